"""Managed scaling on the real API server (issue 14 item 4): a provider with managed scaling over a
labelled pool of small KWOK nodes; a service needing more than fits; its extra tasks wait in
PROVISIONING, each with a pending placeholder pod; the test plays the autoscaler (a pending
placeholder → one more KWOK node with the provider's labels); the tasks end RUNNING on the new
nodes and the placeholders go. Managed termination protection: the tasks' pods carry the
autoscalers' marks. And the deadline: a task no node comes for fails with ECS's reason."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.cluster import Kube, fake_node, wait_for
from tests.support.ecs import container, manifest, wait_status
from tests.support.operator import OperatorProcess

PLACEHOLDER = "ecs-operator.dev/provisioning-for"
PROTECTED = {"cluster-autoscaler.kubernetes.io/safe-to-evict": "false", "karpenter.sh/do-not-disrupt": "true"}


def small_node(name: str, labels: dict[str, str]) -> str:
    """A KWOK node with room for one task of `register_big` (1 vCPU = 1024 units; the task: 768)."""
    return fake_node(name, labels, zone="zone-a", cpu="1", memory="4Gi")


def register_big(kube: Kube, namespace: str) -> None:
    body = {"containerDefinitions": [container(cpu=768, memory=1024)]}
    kube.apply(manifest("EcsTaskDefinition", "big", body, namespace))


@dataclass
class Pool:
    cluster: str
    provider: str
    labels: dict[str, str]
    nodes: list[str] = field(default_factory=list)

    def add_node(self, kube: Kube) -> str:
        name = f"{self.cluster}-n{len(self.nodes) + 1}"
        self.nodes.append(name)
        kube.apply(small_node(name, self.labels))
        return name


@pytest.fixture
def pool(kube: Kube, operator: OperatorProcess, unique: str) -> Iterator[Pool]:
    """One small node; a provider with managed scaling and termination protection over its pool;
    a cluster whose default strategy is that provider."""
    labels = {f"test.ecs-operator.dev/ms-{unique}": "yes"}
    result = Pool(f"ms-{unique}", f"scaling-{unique}", labels)
    try:
        result.add_node(kube)
        spec = {
            "nodeSelector": {"matchLabels": labels},
            "managedScaling": {"status": "ENABLED", "targetCapacity": 100},
            "managedTerminationProtection": "ENABLED",
        }
        kube.apply(manifest("EcsCapacityProvider", result.provider, spec))
        cluster = {
            "nodeSelector": {"matchLabels": labels},
            "capacityProviders": [result.provider],
            "defaultCapacityProviderStrategy": [{"capacityProvider": result.provider, "weight": 1}],
        }
        kube.apply(manifest("EcsCluster", result.cluster, cluster))
        wait_for(lambda: len(registered(kube, result.cluster)) == 1, what="the first instance registered")
        yield result
    finally:
        kube.kubectl("delete", "ecscluster", result.cluster, "--wait=false", check=False)
        kube.kubectl("delete", "ecscapacityprovider", result.provider, "--wait=false", check=False)
        for node in result.nodes:
            kube.kubectl("delete", "node", node, "--wait=false", check=False)


def registered(kube: Kube, cluster: str) -> list[dict[str, Any]]:
    items = kube.get_json("ecsci", "-l", f"ecs-operator.dev/cluster={cluster}")["items"]
    return [i for i in items if (i.get("status") or {}).get("registeredResources")]


def placeholders(kube: Kube, namespace: str) -> list[dict[str, Any]]:
    return list(kube.get_json("pods", "-n", namespace, "-l", PLACEHOLDER)["items"])


def tasks(kube: Kube, namespace: str) -> list[dict[str, Any]]:
    return list(kube.get_json("ecstasks", "-n", namespace)["items"])


def by_status(kube: Kube, namespace: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for t in tasks(kube, namespace):
        out.setdefault((t.get("status") or {}).get("lastStatus") or "", []).append(t)
    return out


def test_tasks_wait_for_the_autoscaler_and_run_on_the_nodes_it_adds(
    kube: Kube, pool: Pool, namespace: str
) -> None:
    register_big(kube, namespace)
    body = {"cluster": pool.cluster, "taskDefinition": "big", "desiredCount": 3}
    kube.apply(manifest("EcsService", "web", body, namespace))

    # one task fits on the one node; the other two wait in PROVISIONING, each with a placeholder
    def waiting() -> dict[str, list[dict[str, Any]]] | None:
        states = by_status(kube, namespace)
        ok = len(states.get("RUNNING", [])) == 1 and len(states.get("PROVISIONING", [])) == 2
        return states if ok and len(placeholders(kube, namespace)) == 2 else None

    states = wait_for(waiting, timeout=120, what="1 task RUNNING, 2 PROVISIONING with placeholders")
    provisioning = states["PROVISIONING"]
    for t in provisioning:
        assert not t["status"].get("containerInstance")
        assert t["status"]["capacityProviderName"] == pool.provider
        assert t["spec"].get("desiredStatus") != "STOPPED"
    waiting_uids = {t["metadata"]["uid"] for t in provisioning}
    pods = placeholders(kube, namespace)
    assert {p["metadata"]["labels"][PLACEHOLDER] for p in pods} == waiting_uids
    for p in pods:
        assert p["status"].get("phase") == "Pending" and not p["spec"].get("nodeName")
        assert p["spec"]["nodeSelector"] == pool.labels
        assert p["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "750m", "memory": "1Gi"}
        owner = p["metadata"]["ownerReferences"][0]
        assert owner["kind"] == "EcsTask" and owner["uid"] in waiting_uids
    # the dry run was skipped for this provider: no "unable to place" event
    events = (kube.get_json("ecsservice", "web", "-n", namespace).get("status") or {}).get("events") or []
    assert not [e for e in events if "unable to place" in e.get("message", "")]

    # the autoscaler: one node per pending placeholder, until no task waits
    served: set[str] = set()

    def scale_out() -> bool:
        for p in placeholders(kube, namespace):
            name = p["metadata"]["name"]
            if (
                name not in served
                and not p["spec"].get("nodeName")
                and not p["metadata"].get("deletionTimestamp")
            ):
                served.add(name)
                pool.add_node(kube)
        states = by_status(kube, namespace)
        return len(states.get("RUNNING", [])) == 3 and not placeholders(kube, namespace)

    wait_for(scale_out, timeout=180, what="3 tasks RUNNING and no placeholder left")
    assert len(pool.nodes) == 3  # one node per waiting task, no more
    running = by_status(kube, namespace)["RUNNING"]
    nodes = {t["status"]["containerInstance"].split(".", 1)[1] for t in running}
    assert nodes == set(pool.nodes)  # one task on each node, the new ones included

    # managed termination protection: every task pod carries the autoscalers' marks
    for t in running:
        pod = kube.get_json("pod", t["status"]["podName"], "-n", namespace)
        assert (pod["metadata"].get("annotations") or {}).items() >= PROTECTED.items()
        assert t["status"]["capacityProviderName"] == pool.provider

    # the tasks stop: the marks go with their pods, nothing else holds the nodes
    kube.kubectl(
        "patch", "ecsservice", "web", "-n", namespace, "--type=merge", "-p", '{"spec":{"desiredCount":0}}'
    )
    wait_for(
        lambda: not [p for p in kube.get_json("pods", "-n", namespace)["items"] if p["spec"].get("nodeName")],
        timeout=120,
        what="the task pods gone",
    )


def test_a_task_no_node_comes_for_fails_after_the_timeout_with_ecs_reason(
    kube: Kube, pool: Pool, namespace: str, operator: OperatorProcess, tmp_path: Path
) -> None:
    """An operator with a 5-second timeout (ECS_OPERATOR_PROVISIONING_TIMEOUT); nobody adds a node.
    The task's timer (every 20 s) finds the deadline passed."""
    # --leases=off: it works on every cluster, the session operator's (leased) one included
    short = OperatorProcess(
        operator.kubeconfig,
        tmp_path / "short.log",
        ["--leases=off", "--metrics-port=0"],
        env={"ECS_OPERATOR_PROVISIONING_TIMEOUT": "5"},
    ).start()
    try:
        register_big(kube, namespace)
        spec = {"cluster": pool.cluster, "taskDefinition": "big"}
        kube.apply(manifest("EcsTask", "fits", spec, namespace))
        wait_status(kube, namespace, "fits", "RUNNING", timeout=90)
        kube.apply(manifest("EcsTask", "waits", spec, namespace))
        wait_status(kube, namespace, "waits", "PROVISIONING", timeout=90)
        wait_for(lambda: len(placeholders(kube, namespace)) == 1, timeout=60, what="its placeholder")
        status = wait_status(kube, namespace, "waits", "STOPPED", timeout=120)
        assert status["stopCode"] == "TaskFailedToStart"
        assert status["stoppedReason"] == "TaskFailedToStart: EMPTY CAPACITY PROVIDER"
        assert not status.get("containerInstance")
        wait_for(lambda: not placeholders(kube, namespace), timeout=60, what="the placeholder deleted")
        assert wait_status(kube, namespace, "fits", "RUNNING")
        assert short.alive()
    finally:
        short.stop()
