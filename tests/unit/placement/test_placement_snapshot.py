"""Snapshots: derived resources, the builder from API objects, provisional claims, Subjects."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ecs_operator.placement import (
    Claim,
    ClusterSnapshot,
    InstanceSnapshot,
    InstanceStatus,
    LaunchType,
    SnapshotError,
    make_cluster,
    make_instance,
    snapshot_from_objects,
)
from ecs_operator.query import Subjects, parse


def container_instance(name: str, **status: Any) -> dict[str, Any]:
    cluster, node = name.split(".", 1)
    return {
        "apiVersion": "ecs-operator.dev/v1alpha1",
        "kind": "EcsContainerInstance",
        "metadata": {"name": name, "resourceVersion": "41"},
        "spec": {"cluster": cluster, "nodeName": node, "status": "ACTIVE", "attributes": []},
        "status": {
            "status": "ACTIVE",
            "agentConnected": True,
            "ec2InstanceId": node,
            "registeredAt": "2026-11-27T10:00:00Z",
            "attributes": [
                {"name": "ecs.availability-zone", "value": "zone-a"},
                {"name": "ecs.instance-type", "value": "m5.large"},
                {"name": "ecs.os-type", "value": "linux"},
                {"name": "ecs.cpu-architecture", "value": "x86_64"},
            ],
            "registeredResources": {"cpu": 4096, "memory": 15872, "ports": [22], "portsUdp": []},
            "remainingResources": {"cpu": 0, "memory": 0, "ports": [], "portsUdp": []},  # ignored: derived
            "runningTasksCount": 1,
            "claims": [
                {
                    "taskUid": "u1",
                    "task": "default/web-7f3k",
                    "group": "service:web",
                    "cpu": 256,
                    "memory": 512,
                    "ports": [8080],
                    "portsUdp": [],
                },
            ],
            **status,
        },
    }


def test_snapshot_from_objects_reads_the_api_shape() -> None:
    snapshot = snapshot_from_objects([container_instance("prod.worker-a1")])
    assert snapshot.instances == (
        InstanceSnapshot(
            name="prod.worker-a1",
            ec2_instance_id="worker-a1",
            registered_cpu=4096,
            registered_memory=15872,
            registered_ports=frozenset({22}),
            registered_ports_udp=frozenset(),
            status=InstanceStatus.ACTIVE,
            agent_connected=True,
            agent_version=None,
            registered_at=datetime(2026, 11, 27, 10, 0, tzinfo=UTC),
            launch_type=LaunchType.EC2,
            attributes={
                "ecs.availability-zone": "zone-a",
                "ecs.instance-type": "m5.large",
                "ecs.os-type": "linux",
                "ecs.cpu-architecture": "x86_64",
            },
            claims=(Claim("u1", "default/web-7f3k", "service:web", 256, 512, (8080,), ()),),
        ),
    )
    inst = snapshot.instance("prod.worker-a1")
    assert (inst.remaining_cpu, inst.remaining_memory) == (3840, 15360)
    assert (inst.used_ports, inst.used_ports_udp) == (frozenset({22, 8080}), frozenset())
    assert (inst.running_tasks_count, dict(inst.task_groups)) == (1, {"service:web": 1})


OBJECT_CASES = [
    pytest.param({"agentConnected": False}, lambda i: i.agent_connected, False, id="agent-disconnected"),
    pytest.param({"status": "DRAINING"}, lambda i: i.status, InstanceStatus.DRAINING, id="draining"),
    pytest.param({"status": None}, lambda i: i.status, InstanceStatus.INACTIVE, id="not-registered-yet"),
    pytest.param(
        {"launchType": "FARGATE"}, lambda i: i.launch_type, LaunchType.FARGATE, id="fargate-capacity"
    ),
    pytest.param({"agentVersion": "1.80.0"}, lambda i: i.agent_version, "1.80.0", id="agent-version"),
    pytest.param(
        {"registeredResources": {"cpu": 2048, "memory": "1024", "ports": ["22", "2375"]}},
        lambda i: (i.remaining_cpu, i.remaining_memory, i.used_ports),
        (1792, 512, frozenset({22, 2375, 8080})),
        id="string-sets-and-strings",
    ),
    pytest.param(
        {"attributes": [{"name": "gpu"}]}, lambda i: i.attributes, {"gpu": ""}, id="attribute-without-value"
    ),
]


@pytest.mark.parametrize(("status", "read", "expected"), OBJECT_CASES)
def test_snapshot_from_objects_fields(status: dict[str, Any], read: Any, expected: Any) -> None:
    (inst,) = snapshot_from_objects([container_instance("prod.a", **status)])
    assert read(inst) == expected


def test_spec_draining_and_spec_attributes_apply_before_the_status_catches_up() -> None:
    obj = container_instance("prod.a")
    obj["spec"]["status"] = "DRAINING"
    obj["spec"]["attributes"] = [{"name": "stack", "value": "prod"}]
    (inst,) = snapshot_from_objects([obj])
    assert inst.status is InstanceStatus.DRAINING
    assert inst.attribute("stack") == "prod"


def test_snapshot_from_objects_keeps_one_cluster_and_sorts_by_name() -> None:
    objects = [container_instance("prod.b"), container_instance("dev.a"), container_instance("prod.a")]
    assert [i.name for i in snapshot_from_objects(objects, cluster="prod")] == ["prod.a", "prod.b"]
    assert [i.name for i in snapshot_from_objects(objects)] == ["dev.a", "prod.a", "prod.b"]


BAD_OBJECTS = [
    pytest.param({"metadata": {}}, "EcsContainerInstance without metadata.name", id="no-name"),
    pytest.param(
        {"metadata": {"name": "x"}, "status": {"status": "GONE"}},
        "EcsContainerInstance x: 'GONE' is not a valid InstanceStatus",
        id="bad-status",
    ),
    pytest.param(
        {"metadata": {"name": "x"}, "status": {"registeredResources": {"cpu": "lots"}}},
        "EcsContainerInstance x: invalid literal for int() with base 10: 'lots'",
        id="bad-cpu",
    ),
    pytest.param(
        {"metadata": {"name": "x"}, "status": {"registeredResources": {"ports": [0]}}},
        "EcsContainerInstance x: registeredResources.ports: ports are 1-65535",
        id="bad-port",
    ),
    pytest.param(
        {"metadata": {"name": "x"}, "status": {"claims": [{"task": "t"}]}},
        "EcsContainerInstance x: 'taskUid'",
        id="claim-without-uid",
    ),
]


@pytest.mark.parametrize(("obj", "message"), BAD_OBJECTS)
def test_bad_objects_name_the_object(obj: dict[str, Any], message: str) -> None:
    with pytest.raises(SnapshotError) as raised:
        snapshot_from_objects([obj])
    assert str(raised.value) == message


def test_duplicate_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        make_cluster(make_instance("c.a"), make_instance("c.a"))


def test_instance_snapshot_is_a_query_subject() -> None:
    inst = make_instance("c.a").zone("zone-a").instance_type("t2.small").task("service:web").build()
    subjects: Subjects = inst
    assert parse("attribute:ecs.instance-type =~ t2.* and task:group == service:web").evaluate(subjects)
    assert not parse("runningTasksCount > 1").evaluate(subjects)


def test_with_instance_carries_spread_counts_forward() -> None:
    cluster = make_cluster(
        make_instance("c.a").zone("zone-a").task("g"),
        make_instance("c.b").zone("zone-b"),
        make_instance("c.x").zone("zone-b").draining().task("g"),
    )
    assert dict(cluster.tasks_by_value("g", "ecs.availability-zone")) == {"zone-a": 1}
    claim = Claim("new", "t", "g", 0, 0)
    updated = cluster.with_instance(cluster.instance("c.b").with_claim(claim))
    fresh = ClusterSnapshot(updated.instances)
    assert dict(updated.tasks_by_value("g", "ecs.availability-zone")) == {"zone-a": 1, "zone-b": 1}
    assert dict(fresh.tasks_by_value("g", "ecs.availability-zone")) == {"zone-a": 1, "zone-b": 1}
    assert updated.instance("c.b").without_claim("new") == cluster.instance("c.b")
