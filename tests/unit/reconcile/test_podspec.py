"""The pod of a task (pure): the EC2 shape it keeps, and the isolated pod of a FARGATE task."""

from __future__ import annotations

from typing import Any

from ecs_operator.api.units import cpu_quantity_to_millicores, memory_quantity_to_mib
from ecs_operator.reconcile.isolation import FargateSettings, network_policy
from ecs_operator.reconcile.launch import effective_task
from ecs_operator.reconcile.podspec import build_pod

UID = "0b1d2f3a-uid"


def pod(snapshot: dict[str, Any], fargate: FargateSettings | None = None) -> dict[str, Any]:
    return build_pod(
        task=effective_task("web", 3, snapshot, None),
        task_name="t1",
        namespace="ns",
        task_uid=UID,
        cluster="prod",
        group="family:web",
        node_name="fargate-a",
        fargate=fargate,
    )


FARGATE_TASK = {
    "cpu": "1 vCPU",
    "memory": "3 GB",
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "containerDefinitions": [
        {
            "name": "web",
            "image": "nginx",
            "cpu": 512,
            "memory": 1024,
            "user": "1000:2000",
            "portMappings": [{"containerPort": 8080}, {"containerPort": 8080, "protocol": "udp"}],
        },
        {"name": "log", "image": "fluent-bit", "essential": False, "portMappings": [{"containerPort": 2020}]},
    ],
}


def test_ec2_pod_keeps_its_shape_and_maps_user() -> None:
    snapshot = {
        "containerDefinitions": [{"name": "web", "image": "nginx", "cpu": 256, "memory": 512, "user": "0"}]
    }
    out = pod(snapshot)
    spec = out["spec"]
    assert "runtimeClassName" not in spec and "automountServiceAccountToken" not in spec
    web = spec["containers"][0]
    assert web["resources"] == {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "512Mi"}}
    assert web["securityContext"] == {"runAsUser": 0}
    assert "ecs-operator.dev/launch-type" not in out["metadata"]["labels"]


def test_fargate_pod_is_guaranteed_and_adds_up_to_the_task_size() -> None:
    out = pod(FARGATE_TASK, FargateSettings("kata", "1.4.0"))
    containers = out["spec"]["containers"]
    for c in containers:
        assert c["resources"]["requests"] == c["resources"]["limits"]
    limits = [c["resources"]["limits"] for c in containers]
    assert sum(cpu_quantity_to_millicores(r["cpu"]) for r in limits) == 1000
    assert sum(memory_quantity_to_mib(r["memory"]) for r in limits) == 3072
    assert sum(memory_quantity_to_mib(r["ephemeral-storage"]) for r in limits) == 20 * 1024
    assert limits[0] == {"cpu": "500m", "memory": "1Gi", "ephemeral-storage": "10Gi"}
    assert limits[1] == {"cpu": "500m", "memory": "2Gi", "ephemeral-storage": "10Gi"}


def test_fargate_pod_is_its_own_isolation_boundary() -> None:
    out = pod(FARGATE_TASK, FargateSettings("kata", "1.4.0"))
    spec = out["spec"]
    assert spec["runtimeClassName"] == "kata"
    assert (spec["hostNetwork"], spec["hostPID"], spec["hostIPC"]) == (False, False, False)
    assert spec["automountServiceAccountToken"] is False
    assert spec["securityContext"] == {"seccompProfile": {"type": "RuntimeDefault"}}
    assert "volumes" not in spec
    web, log = spec["containers"]
    assert web["securityContext"] == {
        "privileged": False,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
        "seccompProfile": {"type": "RuntimeDefault"},
        "runAsUser": 1000,
        "runAsNonRoot": True,
        "runAsGroup": 2000,
    }
    assert "runAsNonRoot" not in log["securityContext"]  # no user: the image decides (it may need root)
    assert all("hostPort" not in p for c in spec["containers"] for p in c.get("ports", []))
    assert out["metadata"]["labels"]["ecs-operator.dev/launch-type"] == "FARGATE"
    assert out["metadata"]["annotations"]["ecs-operator.dev/platform-revision"] == "1.4.0"


def test_fargate_pod_without_runtime_class_or_revision() -> None:
    out = pod(FARGATE_TASK, FargateSettings())
    assert "runtimeClassName" not in out["spec"]
    assert "ecs-operator.dev/platform-revision" not in out["metadata"]["annotations"]


def test_network_policy_admits_only_the_declared_ports() -> None:
    task = effective_task("web", 3, FARGATE_TASK, None)
    policy = network_policy(
        name="web-x", namespace="ns", task_name="t1", task_uid=UID, containers=task.containers
    )
    assert policy["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "ecs-operator.dev/v1alpha1",
            "kind": "EcsTask",
            "name": "t1",
            "uid": UID,
            "controller": True,
            "blockOwnerDeletion": False,
        }
    ]
    assert policy["spec"] == {
        "podSelector": {"matchLabels": {"ecs-operator.dev/task-uid": UID}},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "ports": [
                    {"port": 2020, "protocol": "TCP"},
                    {"port": 8080, "protocol": "TCP"},
                    {"port": 8080, "protocol": "UDP"},
                ]
            }
        ],
    }


def test_network_policy_without_ports_admits_no_ingress() -> None:
    policy = network_policy(
        name="p", namespace="ns", task_name="t", task_uid=UID, containers=[{"name": "batch", "image": "x"}]
    )
    assert policy["spec"]["ingress"] == []
    assert policy["spec"]["policyTypes"] == ["Ingress"]  # egress stays open


def test_pods_tolerate_a_disconnected_node_without_limit() -> None:
    """ECS leaves the tasks of a disconnected agent alone: no eviction after Kubernetes' 300 s."""
    for out in (pod(FARGATE_TASK), pod(FARGATE_TASK, FargateSettings("kata", "1.4.0"))):
        tolerations = out["spec"]["tolerations"]
        assert sorted(t["key"] for t in tolerations) == [
            "node.kubernetes.io/not-ready",
            "node.kubernetes.io/unreachable",
        ]
        assert all(t["effect"] == "NoExecute" and "tolerationSeconds" not in t for t in tolerations)
