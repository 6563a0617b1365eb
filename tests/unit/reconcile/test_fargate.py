"""Fargate capacity and refusals (pure): which nodes are Fargate instances, ECS's reasons, size split."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ecs_operator.placement import LaunchType
from ecs_operator.reconcile.fargate import (
    FargateIncompatible,
    container_sizes,
    cpu_quantity,
    millicores,
    split,
)
from ecs_operator.reconcile.instances import ForeignUsage, desired_instance_status, selected_launch_type
from ecs_operator.reconcile.launch import effective_task, task_request
from ecs_operator.reconcile.taskdefs import ResolveError

EC2 = {"matchLabels": {"capacity": "ec2"}}
FARGATE = {"matchLabels": {"capacity": "fargate"}}


@pytest.mark.parametrize(
    ("spec", "labels", "expected"),
    [
        pytest.param({"nodeSelector": EC2}, {"capacity": "ec2"}, "EC2", id="ec2-node"),
        pytest.param({"nodeSelector": EC2}, {"capacity": "fargate"}, None, id="ec2-only-cluster"),
        pytest.param(
            {"nodeSelector": EC2, "fargate": {"nodeSelector": FARGATE}},
            {"capacity": "fargate"},
            "FARGATE",
            id="fargate-node",
        ),
        pytest.param(
            {"nodeSelector": {}, "fargate": {"nodeSelector": FARGATE}},
            {"capacity": "fargate"},
            "FARGATE",
            id="fargate-wins-over-ec2",
        ),
        pytest.param({"fargate": {}}, {"capacity": "anything"}, "FARGATE", id="fargate-without-selector"),
        pytest.param(
            {"nodeSelector": EC2, "fargate": {}}, {"capacity": "ec2"}, "EC2", id="fargate-leaves-ec2-nodes"
        ),
        pytest.param({}, {"capacity": "ec2"}, None, id="no-selector-no-capacity"),
    ],
)
def test_selected_launch_type(spec: dict[str, Any], labels: dict[str, str], expected: str | None) -> None:
    assert selected_launch_type(spec, labels) == expected


def node(**annotations: str) -> dict[str, Any]:
    return {
        "metadata": {
            "name": "fargate-a",
            "labels": {"topology.kubernetes.io/zone": "zone-a"},
            "annotations": annotations,
        },
        "spec": {},
        "status": {
            "allocatable": {"cpu": "16", "memory": "64Gi"},
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }


def test_fargate_instance_status_says_its_launch_type_and_a_retirement_date_drains_it() -> None:
    now = datetime(2026, 11, 27, tzinfo=UTC)
    out = desired_instance_status(
        spec={}, status={}, node=node(), selected=True, usage=ForeignUsage(), now=now, launch_type="FARGATE"
    )
    assert (out["status"], out["launchType"]) == ("ACTIVE", "FARGATE")
    retiring = node(**{"ecs-operator.dev/retirement-date": "2026-12-01T00:00:00Z"})
    out = desired_instance_status(
        spec={}, status={}, node=retiring, selected=True, usage=ForeignUsage(), now=now, launch_type="FARGATE"
    )
    assert out["status"] == "DRAINING"
    gone = desired_instance_status(
        spec={}, status={}, node=node(), selected=False, usage=ForeignUsage(), now=now
    )
    assert gone["status"] == "INACTIVE" and "launchType" not in gone  # the last one is kept


@pytest.mark.parametrize(
    ("total", "declared", "first", "expected"),
    [
        pytest.param(1000, [None, None, None], 0, [334, 333, 333], id="equal-shares-remainder-first"),
        pytest.param(1000, [250, None], 0, [250, 750], id="rest-to-undeclared"),
        pytest.param(1000, [250, 250], 1, [250, 750], id="all-declared-rest-to-first-essential"),
        pytest.param(1000, [800, 800], 0, [500, 500], id="over-declared-scaled-down"),
        pytest.param(1000, [1000, None], 0, [999, 1], id="undeclared-keeps-a-minimum"),
        pytest.param(512, [], 0, [], id="no-containers"),
    ],
)
def test_split_adds_up_to_the_total(
    total: int, declared: list[int | None], first: int, expected: list[int]
) -> None:
    shares = split(total, declared, first)
    assert shares == expected
    assert sum(shares) == (total if declared else 0)


def test_container_sizes_hold_exactly_the_task_size() -> None:
    containers = [
        {"name": "sidecar", "essential": False, "cpu": 128},
        {"name": "web", "memoryReservation": 256, "memory": 1024},
        {"name": "log", "essential": False},
    ]
    sizes = container_sizes(containers, task_cpu=1024, task_memory=2048)
    assert sum(s.millicores for s in sizes) == 1000
    assert sum(s.memory_mib for s in sizes) == 2048
    assert sum(s.ephemeral_mib for s in sizes) == 20 * 1024
    assert sizes[0].millicores == millicores(128) == 125
    assert sizes[1].memory_mib == 256  # the soft limit is what it declares
    assert (cpu_quantity(1000), cpu_quantity(250)) == ("1", "250m")


SNAPSHOT = {
    "cpu": "512",
    "memory": "1024",
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "containerDefinitions": [{"name": "web", "image": "nginx", "portMappings": [{"containerPort": 80}]}],
}


def request(
    snapshot: dict[str, Any], spec: dict[str, Any] | None = None, overrides: dict[str, Any] | None = None
) -> Any:
    task = effective_task("web", 1, snapshot, overrides)
    return task_request(
        task, name="ns/t", uid="u", group="family:web", launch_type="FARGATE", spec=spec or {}
    )


def test_a_fargate_task_that_fits_fargate_becomes_a_fargate_request() -> None:
    req = request(SNAPSHOT)
    assert (req.launch_type, req.cpu, req.memory, req.ports) == (LaunchType.FARGATE, 512, 1024, frozenset())


@pytest.mark.parametrize(
    ("snapshot", "spec", "overrides", "message"),
    [
        pytest.param(
            {**SNAPSHOT, "requiresCompatibilities": ["EC2"], "networkMode": "bridge"},
            {},
            None,
            "Task definition does not support launch_type FARGATE.",
            id="not-compatible",
        ),
        pytest.param(
            {**SNAPSHOT, "networkMode": "bridge"},
            {},
            None,
            "Fargate only supports network mode 'awsvpc'.",
            id="network-mode",
        ),
        pytest.param(
            SNAPSHOT,
            {},
            {"cpu": "256", "memory": "4096"},
            "No Fargate configuration exists for given values: 256 CPU, 4096 memory. "
            "See the Amazon ECS documentation for the valid values.",
            id="size-override",
        ),
        pytest.param(
            {
                **SNAPSHOT,
                "memory": None,
                "containerDefinitions": [{"name": "web", "image": "x", "memory": 512}],
            },
            {},
            None,
            "Fargate requires that 'memory' be defined at the task level.",
            id="no-memory",
        ),
        pytest.param(
            {**SNAPSHOT, "containerDefinitions": [{"name": "web", "image": "x", "privileged": True}]},
            {},
            None,
            "containerDefinitions[0].privileged is not supported on Fargate.",
            id="unsupported-parameter",
        ),
        pytest.param(
            SNAPSHOT,
            {"containerInstance": "c.fargate-a"},
            None,
            "StartTask (containerInstance) is not supported with FARGATE launch type.",
            id="start-task",
        ),
        pytest.param(
            SNAPSHOT,
            {"placementStrategy": [{"type": "random"}]},
            None,
            "Placement strategies are not supported with FARGATE launch type.",
            id="strategy",
        ),
        pytest.param(
            {**SNAPSHOT, "placementConstraints": [{"type": "memberOf", "expression": "attribute:a == b"}]},
            {},
            None,
            "Placement constraints are not supported with FARGATE launch type.",
            id="task-definition-constraint",
        ),
    ],
)
def test_fargate_refusals_use_ecs_wording(
    snapshot: dict[str, Any], spec: dict[str, Any], overrides: dict[str, Any] | None, message: str
) -> None:
    with pytest.raises(FargateIncompatible) as caught:
        request({k: v for k, v in snapshot.items() if v is not None}, spec, overrides)
    assert caught.value.detail == message
    # a service reports it like an unresolvable task definition; RunTask as an invalid request
    assert isinstance(caught.value, ResolveError) and isinstance(caught.value, ValueError)
    assert caught.value.reason == "INVALID"


def test_ec2_requests_are_not_checked_against_fargate() -> None:
    task = effective_task("web", 1, {**SNAPSHOT, "requiresCompatibilities": ["EC2"], "cpu": "100"}, None)
    req = task_request(task, name="ns/t", uid="u", group="g", launch_type="EC2", spec={})
    assert req.launch_type is LaunchType.EC2
