"""explain-placement: the operator's own request and engine over EcsContainerInstance objects."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from ecs_operator.cli.explain import (
    ExplainInput,
    explain_task,
    explanation_text,
    explanation_view,
    without_claim,
)
from ecs_operator.cli.render import document

REVISION = {"containerDefinitions": [{"name": "web", "image": "nginx", "cpu": 512, "memory": 2048}]}


def instance(
    node: str, zone: str, memory: int, *, status: str = "ACTIVE", claims: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "metadata": {"name": f"prod.{node}"},
        "spec": {"cluster": "prod", "nodeName": node, "status": "ACTIVE"},
        "status": {
            "status": status,
            "agentConnected": True,
            "attributes": [{"name": "ecs.availability-zone", "value": zone}],
            "registeredResources": {"cpu": 4096, "memory": memory, "ports": [22]},
            "claims": claims or [],
        },
    }


INSTANCES = [
    instance("a1", "zone-a", 16384),
    instance("a2", "zone-a", 1024),
    instance("b1", "zone-b", 16384, status="DRAINING"),
    instance("c1", "zone-c", 16384),
]


def explain_input(spec: dict[str, Any] | None = None, uid: str = "") -> ExplainInput:
    return ExplainInput("prod", "web", 3, REVISION, "ns/web-1", uid, spec or {}, seed="seed")


def test_every_instance_has_a_verdict_and_a_choice() -> None:
    constraint = {"type": "memberOf", "expression": "attribute:ecs.availability-zone != zone-c"}
    got = explain_task(explain_input({"placementConstraints": [constraint]}), INSTANCES)
    view = explanation_view(got, "prod", "web:3")
    assert [(i["name"], i["result"]) for i in view["instances"]] == [
        ("prod.a1", "pass"),
        ("prod.a2", "RESOURCE:MEMORY"),
        ("prod.b1", "INACTIVE"),
        ("prod.c1", "MemberOf placement constraint unsatisfied"),
    ]
    assert view["instances"][1] == {
        "name": "prod.a2",
        "result": "RESOURCE:MEMORY",
        "check": "memory",
        "detail": "needs 2048 MiB, 1024 MiB remaining",
    }
    assert view["wouldPlaceOn"] == "prod.a1"
    assert "failures" not in view


def test_a_task_that_fits_nowhere_reports_the_ecs_failure() -> None:
    overrides = {"containerOverrides": [{"name": "web", "memory": 30000}]}
    got = explain_task(explain_input({"overrides": overrides}), INSTANCES)
    view = explanation_view(got, "prod", "web:3")
    assert view["wouldPlaceOn"] is None
    assert view["stoppedReason"] == "TaskFailedToStart: RESOURCE:MEMORY"
    assert [f["reason"] for f in view["failures"]] == ["INACTIVE", "RESOURCE:MEMORY"]
    assert yaml.safe_load(document(view, "yaml")) == json.loads(document(view, "json"))  # plain data only
    text = explanation_text(got, "prod", "web:3")
    assert text.splitlines()[0] == "cluster prod, task definition web:3"
    for name in ("prod.a1", "prod.a2", "prod.b1", "prod.c1"):
        assert name in text
    assert text.rstrip().endswith("TaskFailedToStart: RESOURCE:MEMORY")


def test_the_choice_is_seeded_like_the_operator() -> None:
    first = explain_task(explain_input(uid="uid-1"), INSTANCES).chosen
    assert all(explain_task(explain_input(uid="uid-1"), INSTANCES).chosen == first for _ in range(5))


def test_an_already_placed_task_is_explained_without_its_own_claim() -> None:
    claim = {"taskUid": "uid-1", "task": "ns/web-1", "group": "family:web", "cpu": 512, "memory": 16000}
    other = {"taskUid": "uid-2", "task": "ns/web-2", "group": "family:web", "cpu": 512, "memory": 16000}
    placed = [
        instance("a1", "zone-a", 16384, claims=[claim]),
        instance("c1", "zone-c", 16384, claims=[other]),
    ]
    assert [c["taskUid"] for i in without_claim(placed, "uid-1") for c in i["status"]["claims"]] == ["uid-2"]
    got = explain_task(explain_input(uid="uid-1"), placed)
    assert got.chosen == "prod.a1"


def test_invalid_overrides_use_ecs_wording() -> None:
    overrides = {"containerOverrides": [{"name": "nope"}]}
    with pytest.raises(ValueError, match="Override for container named nope is not a container"):
        explain_task(explain_input({"overrides": overrides}), INSTANCES)
