"""Agent disconnect (issue 12, item 7): ECS leaves the tasks of a disconnected instance alone.

The node of the instance reports Ready=False (KWOK's `kwok.ecs-operator.dev/ready=false` stage),
so the node lifecycle controller of the real kube-controller-manager taints it
`node.kubernetes.io/not-ready:NoExecute`. ECS's answer to a disconnected agent: the instance shows
agentConnected false, its tasks keep their last status and are not replaced, nothing new is
placed there. Kubernetes' own answer would be to evict the pods after 300 s; the task pods
tolerate the taint without a time limit, which the API server shows (no `tolerationSeconds` was
added by its DefaultTolerationSeconds admission plugin).
"""

from __future__ import annotations

import json
import time
from typing import Any

from tests.support.cluster import Kube, fake_node, wait_for
from tests.support.ecs import manifest, register, task_status, wait_status
from tests.support.operator import OperatorProcess

NOT_READY = "node.kubernetes.io/not-ready"


def _instance(kube: Kube, name: str) -> dict[str, Any]:
    """The instance's status; {} until the operator has registered it (no error while it is absent)."""
    res = kube.kubectl("get", "ecsci", name, "-o", "json", check=False)
    return (json.loads(res.stdout).get("status") or {}) if res.returncode == 0 else {}


def _service_tasks(kube: Kube, namespace: str) -> list[dict[str, Any]]:
    return list(kube.get_json("ecstasks", "-n", namespace, "-l", "ecs-operator.dev/service=web")["items"])


def test_tasks_of_a_disconnected_instance_are_left_alone(
    kube: Kube, operator: OperatorProcess, namespace: str, unique: str
) -> None:
    label = f"test.ecs-operator.dev/{unique}"
    cluster, node = f"disc-{unique}", f"disc-{unique}"
    kube.apply(fake_node(node, {label: "yes"}))
    kube.apply(manifest("EcsCluster", cluster, {"nodeSelector": {"matchLabels": {label: "yes"}}}))
    instance = f"{cluster}.{node}"
    try:
        wait_for(
            lambda: _instance(kube, instance).get("agentConnected"),
            what="instance registered and connected",
        )
        register(kube, namespace)
        body = {"cluster": cluster, "taskDefinition": "web", "desiredCount": 1}
        kube.apply(manifest("EcsService", "web", body, namespace))
        task = wait_for(
            lambda: (
                (t := _service_tasks(kube, namespace))
                and (t[0].get("status") or {}).get("lastStatus") == "RUNNING"
                and t[0]
            ),
            timeout=90,
            what="service task RUNNING",
        )
        name = task["metadata"]["name"]
        pod_name = task["status"]["podName"]

        kube.kubectl("annotate", "node", node, "kwok.ecs-operator.dev/ready=false")
        wait_for(
            lambda: _instance(kube, instance).get("agentConnected") is False,
            what="agentConnected false",
        )
        wait_for(
            lambda: any(
                t["key"] == NOT_READY and t["effect"] == "NoExecute"
                for t in kube.get_json("node", node)["spec"].get("taints") or []
            ),
            timeout=90,
            what="node lifecycle controller taints the node not-ready:NoExecute",
        )
        pod = kube.get_json("pod", pod_name, "-n", namespace)
        tolerations = {t.get("key"): t for t in pod["spec"].get("tolerations") or []}
        for key in (NOT_READY, "node.kubernetes.io/unreachable"):
            assert tolerations[key]["effect"] == "NoExecute"
            assert "tolerationSeconds" not in tolerations[key], tolerations[key]

        # nothing new is placed on the disconnected instance
        constraint = [{"type": "memberOf", "expression": f"ec2InstanceId == {node}"}]
        kube.apply(
            manifest(
                "EcsTask",
                "pinned",
                {"cluster": cluster, "taskDefinition": "web", "placementConstraints": constraint},
                namespace,
            )
        )
        st = wait_status(kube, namespace, "pinned", "STOPPED")
        assert st["failures"][0]["reason"] == "AGENT", st["failures"]

        # the service's task keeps its status and is not replaced while the agent is away
        # (several service passes: the operator resyncs services every few seconds)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            tasks = _service_tasks(kube, namespace)
            assert [t["metadata"]["name"] for t in tasks] == [name], "a replacement was started"
            st = task_status(kube, namespace, name)
            assert (st["lastStatus"], st["desiredStatus"]) == ("RUNNING", "RUNNING"), st
            live = kube.get_json("pod", pod_name, "-n", namespace)
            assert not live["metadata"].get("deletionTimestamp"), "the pod is being evicted"
            time.sleep(2)
        assert (kube.get_json("ecsservice", "web", "-n", namespace).get("status") or {}).get(
            "runningCount"
        ) == 1

        # the agent reconnects: the instance is connected again and the task never moved
        kube.kubectl("annotate", "node", node, "kwok.ecs-operator.dev/ready-")
        wait_for(
            lambda: _instance(kube, instance).get("agentConnected") is True,
            timeout=90,
            what="agent reconnected",
        )
        assert task_status(kube, namespace, name)["containerInstance"] == instance
    finally:
        kube.kubectl("delete", "ecsservice", "web", "-n", namespace, "--wait=false", check=False)
        kube.kubectl("delete", "ecscluster", cluster, "--wait=false", check=False)
        kube.kubectl("delete", "node", node, "--wait=false", check=False)
