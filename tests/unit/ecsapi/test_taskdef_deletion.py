"""DeleteTaskDefinitions' decision: accepted revisions and ECS's failure reasons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from ecs_operator.ecsapi import taskdef_deletion as td
from ecs_operator.ecsapi.errors import ApiError

FAMILIES: dict[str, list[dict[str, Any]]] = {
    "web": [
        {"revision": 3, "status": "ACTIVE"},
        {"revision": 2, "status": "INACTIVE"},
        {"revision": 1, "status": "DELETE_IN_PROGRESS"},
    ],
    "api": [{"revision": 1, "status": "INACTIVE"}],
}


def revisions_of(family: str) -> Sequence[Mapping[str, Any]] | None:
    return FAMILIES.get(family)


ARN = "arn:aws:ecs:eu-west-1:123456789012:task-definition/"


@pytest.mark.parametrize(
    ("given", "accepted", "failures"),
    [
        pytest.param(["web:2"], [("web", 2)], [], id="inactive"),
        pytest.param([ARN + "api:1"], [("api", 1)], [], id="by-arn"),
        pytest.param(["web:1"], [("web", 1)], [], id="again-delete-in-progress"),
        pytest.param(["web:3"], [], [td.Failure("web:3", td.STILL_ACTIVE, "web", 3)], id="active-refused"),
        pytest.param(["web:9"], [], [td.Failure("web:9", td.NOT_FOUND, "web", 9)], id="no-such-revision"),
        pytest.param(["nope:1"], [], [td.Failure("nope:1", td.NOT_FOUND, "nope", 1)], id="no-such-family"),
        pytest.param(["web"], [], [td.Failure("web", td.INVALID_ID)], id="no-revision"),
        pytest.param(["web:x"], [], [td.Failure("web:x", td.INVALID_ID)], id="bad-revision"),
        pytest.param(["web:2", "web:2", ARN + "web:2"], [("web", 2)], [], id="repeated-once"),
        pytest.param(
            ["web:3", "api:1", "web:2"],
            [("api", 1), ("web", 2)],
            [td.Failure("web:3", td.STILL_ACTIVE, "web", 3)],
            id="mixed-in-request-order",
        ),
    ],
)
def test_plan(given: list[str], accepted: list[tuple[str, int]], failures: list[td.Failure]) -> None:
    decided = td.plan(given, revisions_of)
    assert decided.accepted == accepted
    assert decided.failures == failures


def test_plan_groups_revisions_by_family() -> None:
    decided = td.plan(["web:2", "api:1", "web:1"], revisions_of)
    assert decided.by_family() == {"web": [2, 1], "api": [1]}


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({}, id="absent"),
        pytest.param({"taskDefinitions": []}, id="empty"),
        pytest.param({"taskDefinitions": [f"web:{i}" for i in range(1, 12)]}, id="eleven"),
        pytest.param({"taskDefinitions": ["web:1", 2]}, id="not-strings"),
        pytest.param({"taskDefinitions": "web:1"}, id="not-a-list"),
    ],
)
def test_references_refuses_what_ecs_refuses(params: dict[str, Any]) -> None:
    with pytest.raises(ApiError) as err:
        td.references(params)
    assert err.value.code == "InvalidParameterException"


def test_references_takes_up_to_ten() -> None:
    ten = [f"web:{i}" for i in range(1, 11)]
    assert td.references({"taskDefinitions": ten}) == ten
