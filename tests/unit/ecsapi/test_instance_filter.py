"""ListContainerInstances' `status` and `filter`: which EcsContainerInstance objects are listed."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_operator.ecsapi import instance_filter
from ecs_operator.ecsapi.errors import ApiError


def instance(
    name: str,
    *,
    status: str = "ACTIVE",
    instance_type: str = "t2.small",
    zone: str = "zone-a",
    running: int = 0,
    groups: tuple[str, ...] = (),
    custom: dict[str, str] | None = None,
    agent_connected: bool = True,
    registered_at: str = "2026-01-10T08:00:00Z",
    spec_status: str | None = None,
) -> dict[str, Any]:
    attributes = [
        {"name": "ecs.instance-type", "value": instance_type},
        {"name": "ecs.availability-zone", "value": zone},
    ]
    spec: dict[str, Any] = {
        "cluster": "prod",
        "nodeName": name,
        "attributes": [{"name": k, "value": v} for k, v in (custom or {}).items()],
    }
    if spec_status:
        spec["status"] = spec_status
    return {
        "metadata": {"name": f"prod.{name}"},
        "spec": spec,
        "status": {
            "status": status,
            "ec2InstanceId": f"i-{name}",
            "agentConnected": agent_connected,
            "agentVersion": "1.80.0",
            "registeredAt": registered_at,
            "attributes": attributes,
            "registeredResources": {"cpu": 2048, "memory": 4096},
            "runningTasksCount": running,
            "claims": [
                {"taskUid": f"{name}-{i}", "task": f"team/t{i}", "group": g, "cpu": 10, "memory": 10}
                for i, g in enumerate(groups)
            ],
        },
    }


POOL = [
    instance("a1", running=2, groups=("service:web", "service:web")),
    instance("b1", instance_type="m5.large", zone="zone-b", running=1, groups=("family:batch",)),
    instance("c1", instance_type="t2.micro", zone="zone-c", custom={"stack": "prod"}),
    instance("d1", status="DRAINING", instance_type="t3.small", agent_connected=False),
    instance("e1", spec_status="DRAINING", registered_at="2026-03-01T00:00:00Z"),
    instance("x1", status="INACTIVE"),
]


@pytest.mark.parametrize(
    ("status", "expression", "expected"),
    [
        pytest.param(None, None, ["a1", "b1", "c1", "d1", "e1"], id="all-but-inactive"),
        pytest.param("DRAINING", None, ["d1"], id="status-draining-as-status-says"),
        pytest.param("ACTIVE", None, ["a1", "b1", "c1", "e1"], id="status-active"),
        pytest.param(None, "attribute:ecs.instance-type =~ t2.*", ["a1", "c1", "e1"], id="regex-whole-value"),
        pytest.param(None, "attribute:ecs.instance-type == t2.micro", ["c1"], id="equals"),
        pytest.param(
            None,
            "attribute:ecs.availability-zone in [zone-b, zone-c]",
            ["b1", "c1"],
            id="in-list",
        ),
        pytest.param(None, "runningTasksCount > 1", ["a1"], id="running-count-greater"),
        pytest.param(None, "runningTasksCount == 0", ["c1", "d1", "e1"], id="running-count-zero"),
        pytest.param(None, "task:group == service:web", ["a1"], id="task-group"),
        pytest.param(None, "not(task:group == service:web)", ["b1", "c1", "d1", "e1"], id="not-task-group"),
        pytest.param(None, "attribute:stack exists", ["c1"], id="custom-attribute-from-spec"),
        pytest.param(None, "agentConnected == false", ["d1"], id="agent-connected"),
        pytest.param(None, "ec2InstanceId in ['i-a1', 'i-b1']", ["a1", "b1"], id="instance-id"),
        pytest.param(None, "registeredAt >= 2026-02-01", ["e1"], id="registered-at"),
        pytest.param(
            "ACTIVE",
            "attribute:ecs.instance-type =~ t2.* and runningTasksCount < 1",
            ["c1", "e1"],
            id="status-and-filter",
        ),
        pytest.param(None, "attribute:ecs.instance-type == nothing-like-this", [], id="none-match"),
    ],
)
def test_listed(status: str | None, expression: str | None, expected: list[str]) -> None:
    parsed = instance_filter.parse_filter(expression)
    names = instance_filter.listed(POOL, instance_filter.check_status(status), parsed)
    assert names == [f"prod.{n}" for n in expected]


@pytest.mark.parametrize(
    ("text", "column"),
    [
        pytest.param("attribute:ecs.instance-type t2.small", 29, id="no-operator"),
        pytest.param("runningTasksCount == many", 22, id="count-not-a-number"),
        pytest.param("attribute:ecs.instance-type =~ 't2.['", 36, id="bad-regex"),
    ],
)
def test_a_bad_filter_is_invalid_parameter_with_its_column(text: str, column: int) -> None:
    with pytest.raises(ApiError) as err:
        instance_filter.parse_filter(text)
    assert err.value.code == "InvalidParameterException"
    assert err.value.message.startswith("Invalid filter expression: ")
    assert err.value.message.endswith(f" at column {column}.")
    assert "\n" not in err.value.message


@pytest.mark.parametrize("value", ["INACTIVE", "active", 3])
def test_a_status_ecs_does_not_have_is_refused(value: object) -> None:
    with pytest.raises(ApiError) as err:
        instance_filter.check_status(value)
    assert err.value.code == "InvalidParameterException"


def test_a_filter_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(ApiError) as err:
        instance_filter.parse_filter(["runningTasksCount > 1"])
    assert err.value.code == "InvalidParameterException"


def test_subjects_read_the_described_running_count_not_the_claims() -> None:
    obj = instance("z1", running=0, groups=("service:web",))  # a claim of a task still pending
    assert instance_filter.subjects(obj).running_tasks_count == 0
    assert instance_filter.subjects(obj).task_groups == frozenset({"service:web"})
