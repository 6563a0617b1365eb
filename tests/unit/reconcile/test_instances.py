from datetime import UTC, datetime
from typing import Any

import pytest

from ecs_operator.reconcile.instances import (
    ForeignUsage,
    builtin_attributes,
    changed,
    desired_instance_status,
    foreign_usage,
    remaining_resources,
)

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def make_node(
    name: str = "worker-a1", *, ready: bool = True, cordoned: bool = False, **labels: str
) -> dict[str, Any]:
    base = {
        "topology.kubernetes.io/zone": "zone-a",
        "node.kubernetes.io/instance-type": "m5.xlarge",
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
    }
    return {
        "metadata": {"name": name, "labels": {**base, **labels}},
        "spec": {"unschedulable": True} if cordoned else {},
        "status": {
            "allocatable": {"cpu": "4", "memory": "16Gi"},
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "nodeInfo": {"kubeletVersion": "v1.36.3"},
        },
    }


def make_pod(
    cpu: str = "500m", memory: str = "256Mi", host_port: int | None = None, managed: bool = False
) -> dict[str, Any]:
    ports = [{"containerPort": 80, "hostPort": host_port, "protocol": "TCP"}] if host_port else []
    labels = {"ecs-operator.dev/task-uid": "u1"} if managed else {}
    return {
        "metadata": {"labels": labels},
        "spec": {"containers": [{"resources": {"requests": {"cpu": cpu, "memory": memory}}, "ports": ports}]},
        "status": {"phase": "Running"},
    }


def test_builtin_attributes_from_well_known_labels() -> None:
    assert builtin_attributes(make_node()) == [
        {"name": "ecs.availability-zone", "value": "zone-a"},
        {"name": "ecs.cpu-architecture", "value": "x86_64"},
        {"name": "ecs.instance-type", "value": "m5.xlarge"},
        {"name": "ecs.os-family", "value": "LINUX"},
        {"name": "ecs.os-type", "value": "linux"},
    ]


def test_foreign_pods_reduce_registered_resources_and_managed_pods_do_not() -> None:
    usage = foreign_usage([make_pod(host_port=8080), make_pod(managed=True)])
    assert usage == ForeignUsage(cpu=512, memory=256, ports=frozenset({8080}))


def test_remaining_subtracts_claims_and_lists_taken_ports() -> None:
    registered = {"cpu": 4096, "memory": 16384, "ports": [22], "portsUdp": []}
    claims = [{"cpu": 256, "memory": 512, "ports": [8080], "portsUdp": [53]}]
    assert remaining_resources(registered, claims) == {
        "cpu": 3840,
        "memory": 15872,
        "ports": [22, 8080],
        "portsUdp": [53],
    }


@pytest.mark.parametrize(
    ("node", "spec", "selected", "status", "connected"),
    [
        pytest.param(make_node(), {}, True, "ACTIVE", True, id="ready-node-active"),
        pytest.param(make_node(cordoned=True), {}, True, "DRAINING", True, id="cordoned-draining"),
        pytest.param(make_node(), {"status": "DRAINING"}, True, "DRAINING", True, id="spec-draining"),
        pytest.param(make_node(ready=False), {}, True, "ACTIVE", False, id="not-ready-agent-disconnected"),
        pytest.param(make_node(), {}, False, "INACTIVE", True, id="left-selector-inactive"),
        pytest.param(None, {}, False, "INACTIVE", False, id="node-deleted-inactive"),
    ],
)
def test_instance_state(
    node: dict[str, Any] | None, spec: dict[str, Any], selected: bool, status: str, connected: bool
) -> None:
    out = desired_instance_status(
        spec=spec, status={}, node=node, selected=selected, usage=ForeignUsage(), now=NOW
    )
    assert (out["status"], out["agentConnected"]) == (status, connected)


def test_status_carries_claims_custom_attributes_and_registered_at() -> None:
    status = {
        "registeredAt": "2026-01-01T00:00:00Z",
        "claims": [{"taskUid": "t1", "cpu": 1024, "memory": 2048, "ports": [80], "portsUdp": []}],
    }
    spec = {"attributes": [{"name": "stack", "value": "prod"}, {"name": "gpu"}]}
    out = desired_instance_status(
        spec=spec,
        status=status,
        node=make_node(),
        selected=True,
        usage=ForeignUsage(cpu=512, memory=1024),
        now=NOW,
    )
    assert out["registeredAt"] == "2026-01-01T00:00:00Z"
    assert out["ec2InstanceId"] == "worker-a1"
    assert out["agentVersion"] == "1.36.3"
    assert out["attributes"][-2:] == [{"name": "stack", "value": "prod"}, {"name": "gpu"}]
    assert out["registeredResources"] == {
        "cpu": 3584,
        "memory": 15360,
        "ports": [22, 2375, 2376, 51678, 51679],
        "portsUdp": [],
    }
    assert out["remainingResources"] == {
        "cpu": 2560,
        "memory": 13312,
        "ports": [22, 80, 2375, 2376, 51678, 51679],
        "portsUdp": [],
    }
    assert out["runningTasksCount"] == 1
    assert "claims" not in out


def test_changed_returns_only_differences() -> None:
    assert changed(
        {"status": "ACTIVE", "agentConnected": True}, {"status": "ACTIVE", "agentConnected": False}
    ) == {"agentConnected": False}
    assert changed({"status": "ACTIVE"}, {"status": "ACTIVE"}) is None
