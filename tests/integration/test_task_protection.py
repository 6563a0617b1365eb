"""Task scale-in protection and ECS's scale-in order, end to end on the local control plane
(issue 12, items 3 and 8): `kubectl ecs update-task-protection` / `get-task-protection`, a
protected task surviving a scale-in while the service says why, the scale-in proceeding once the
protection expires, TASK_NOT_VALID for a standalone task, and a scale-in without a strategy
taking from the fullest zone, then the fullest instance."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.support.cluster import Kube, wait_for
from tests.support.ecs import manifest, register

SCRIPT = Path(sys.executable).parent / "kubectl-ecs"
BLOCKED = (
    "was unable to reach steady state because task set {id} was unable to scale in. "
    "Reason: The number of protected tasks are more than the desired count of tasks."
)


def ecs(kube: Kube, namespace: str, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [str(SCRIPT), f"--kubeconfig={kube.kubeconfig}", "-n", namespace, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def kubectl_ecs(kube: Kube, *args: str) -> subprocess.CompletedProcess[str]:
    """`kubectl ecs ...` through kubectl's plugin mechanism (kubectl-ecs on PATH, $KUBECONFIG)."""
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(SCRIPT.parent), str(kube.bin_dir), os.environ.get("PATH", "")]),
        "KUBECONFIG": str(kube.kubeconfig),
    }
    cmd = [str(kube.bin_dir / "kubectl"), "ecs", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)


def ecs_json(kube: Kube, namespace: str, *args: str, code: int = 0) -> dict[str, Any]:
    res = ecs(kube, namespace, *args)
    assert res.returncode == code, f"exit {res.returncode}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}"
    return dict(json.loads(res.stdout))


def when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def tasks_of(kube: Kube, namespace: str, service: str) -> list[dict[str, Any]]:
    items = kube.get_json("ecstasks", "-n", namespace, "-l", f"ecs-operator.dev/service={service}")["items"]
    return list(items)


def wanted(kube: Kube, namespace: str, service: str) -> dict[str, dict[str, Any]]:
    """Tasks RUNNING and not told to stop, by name."""
    return {
        t["metadata"]["name"]: t
        for t in tasks_of(kube, namespace, service)
        if (t.get("status") or {}).get("lastStatus") == "RUNNING"
        and "STOPPED" not in ((t.get("status") or {}).get("desiredStatus"), t["spec"].get("desiredStatus"))
    }


def service(kube: Kube, namespace: str, name: str) -> dict[str, Any]:
    return dict(kube.get_json("ecsservice", name, "-n", namespace))


def scale(kube: Kube, namespace: str, name: str, spec: dict[str, Any]) -> None:
    kube.kubectl(
        "patch", "ecsservice", name, "-n", namespace, "--type=merge", "-p", json.dumps({"spec": spec})
    )


def test_protected_tasks_survive_a_scale_in_until_their_protection_expires(
    kube: Kube, cluster: str, namespace: str
) -> None:
    register(kube, namespace)
    kube.apply(
        manifest(
            "EcsService", "web", {"cluster": cluster, "taskDefinition": "web", "desiredCount": 3}, namespace
        )
    )
    running = wait_for(
        lambda: (r := wanted(kube, namespace, "web")) and len(r) == 3 and r, timeout=90, what="3 running"
    )
    keep = sorted(running)[:2]
    other = sorted(running)[2]

    # UpdateTaskProtection, as aws ecs takes it; the default is 120 minutes from the update
    first = ecs_json(
        kube,
        namespace,
        "update-task-protection",
        "--cluster",
        cluster,
        "--tasks",
        *keep,
        "--protection-enabled",
    )
    assert first["failures"] == []
    assert [(p["taskArn"], p["protectionEnabled"]) for p in first["protectedTasks"]] == [
        (f"{namespace}/{name}", True) for name in keep
    ]
    for name, view in zip(keep, first["protectedTasks"], strict=True):
        status = kube.get_json("ecstask", name, "-n", namespace)["status"]["protection"]
        assert view["expirationDate"] == status["expirationDate"]
        assert when(status["expirationDate"]) - when(status["updatedAt"]) == timedelta(minutes=120)

    # desired 1 with 2 protected: only the unprotected task goes, and the service says why
    scale(kube, namespace, "web", {"desiredCount": 1})
    primary = service(kube, namespace, "web")["status"]["deployments"][0]["id"]
    message = wait_for(
        lambda: next(
            (
                e["message"]
                for e in service(kube, namespace, "web")["status"].get("events", [])
                if BLOCKED.format(id=primary) in e["message"]
            ),
            None,
        ),
        timeout=60,
        what="the protection event",
    )
    assert message == f"service web {BLOCKED.format(id=primary)}"
    wait_for(
        lambda: other not in wanted(kube, namespace, "web"), timeout=60, what="the unprotected task stopped"
    )
    assert sorted(wanted(kube, namespace, "web")) == keep
    got = ecs_json(kube, namespace, "get-task-protection", "--cluster", cluster, "--tasks", *keep)
    assert [p["protectionEnabled"] for p in got["protectedTasks"]] == [True, True]

    # calling again resets the expiry: 1 minute (the smallest) from this update
    again = ecs_json(
        kube, namespace, "update-task-protection", "--cluster", cluster, "--tasks", *keep,
        "--protection-enabled", "--expires-in-minutes", "1",
    )  # fmt: skip
    for name, view in zip(keep, again["protectedTasks"], strict=True):
        status = kube.get_json("ecstask", name, "-n", namespace)["status"]["protection"]
        assert when(view["expirationDate"]) - when(status["updatedAt"]) == timedelta(minutes=1)
        assert when(view["expirationDate"]) < when(first["protectedTasks"][0]["expirationDate"])

    # once it expires, the scale-in proceeds: one task stays
    left = wait_for(
        lambda: (r := wanted(kube, namespace, "web")) and len(r) == 1 and r, timeout=180, what="1 task left"
    )
    [survivor] = left
    assert survivor in keep
    expired = ecs_json(kube, namespace, "get-task-protection", "--cluster", cluster, "--tasks", survivor)
    assert expired == {
        "protectedTasks": [{"taskArn": f"{namespace}/{survivor}", "protectionEnabled": False}],
        "failures": [],
    }
    stopped = [t for t in tasks_of(kube, namespace, "web") if t["metadata"]["name"] != survivor]
    assert all(t["status"].get("stopCode") == "ServiceSchedulerInitiated" for t in stopped)


def test_a_standalone_task_cannot_be_protected(kube: Kube, cluster: str, namespace: str) -> None:
    register(kube, namespace)
    spec = {
        "cluster": cluster,
        "taskDefinition": "web",
        "protection": {"enabled": True, "expiresInMinutes": 30},
    }
    kube.apply(manifest("EcsTask", "solo", spec, namespace))
    status = wait_for(
        lambda: (kube.get_json("ecstask", "solo", "-n", namespace).get("status") or {}).get("protection"),
        what="the protection answered",
    )
    assert status["enabled"] is False and "expirationDate" not in status
    [failure] = status["failures"]
    assert failure["reason"] == "TASK_NOT_VALID" and failure["arn"] == f"{namespace}/solo"
    assert "isn't part of an Amazon ECS service" in failure["detail"]
    events = wait_for(
        lambda: [
            e
            for e in kube.get_json("events", "-n", namespace, "--field-selector", "involvedObject.name=solo")[
                "items"
            ]
            if e.get("reason") == "UpdateTaskProtectionFailed"
        ],
        what="the Warning Event",
    )
    assert events[0]["type"] == "Warning" and events[0]["message"].startswith("TASK_NOT_VALID: ")

    # the verbs report it as ECS does, and exit 1
    updated = ecs_json(
        kube, namespace, "update-task-protection", "--tasks", "solo", "--protection-enabled", code=1
    )
    assert updated["protectedTasks"] == []
    assert [(f["arn"], f["reason"]) for f in updated["failures"]] == [(f"{namespace}/solo", "TASK_NOT_VALID")]
    res = kubectl_ecs(kube, "get-task-protection", "-n", namespace, "--tasks", "solo", "missing")
    assert res.returncode == 1, res.stderr
    got = json.loads(res.stdout)
    assert [(f["arn"], f["reason"]) for f in got["failures"]] == [
        (f"{namespace}/solo", "TASK_NOT_VALID"),
        (f"{namespace}/missing", "MISSING"),
    ]
    # refused protection changes nothing else: the task runs
    wait_for(
        lambda: kube.get_json("ecstask", "solo", "-n", namespace)["status"].get("lastStatus") == "RUNNING",
        what="solo RUNNING",
    )


def _on(kube: Kube, namespace: str, name: str) -> dict[str, str]:
    """Task name → node of its container instance."""
    return {
        n: str(t["status"]["containerInstance"]).split(".", 1)[1]
        for n, t in wanted(kube, namespace, name).items()
    }


def test_scale_in_without_a_strategy_takes_from_the_fullest_zone_then_instance(
    kube: Kube, cluster: str, namespace: str
) -> None:
    """worker-a2 and worker-b1 get two tasks each, worker-a1 eight (memberOf on ec2InstanceId, then
    the constraint changed: no new deployment). Scaling in to 6 stops six: zone-a holds the most
    each time and, within it, worker-a1, so every task of worker-a2 and worker-b1 stays. (Spread on
    zones alone, today's main for an absent strategy, picks at random within zone-a: it keeps both
    of worker-a2's tasks with a chance of 28 in 210.)"""
    register(kube, namespace)
    first = "ec2InstanceId in [worker-a2, worker-b1]"
    spec: dict[str, Any] = {
        "cluster": cluster,
        "taskDefinition": "web",
        "desiredCount": 4,
        "placementConstraints": [{"type": "memberOf", "expression": first}],
    }
    kube.apply(manifest("EcsService", "web", spec, namespace))
    early = wait_for(
        lambda: (r := _on(kube, namespace, "web")) and len(r) == 4 and r, timeout=90, what="4 running"
    )
    assert sorted(early.values()) == ["worker-a2", "worker-a2", "worker-b1", "worker-b1"]
    on_a1 = [{"type": "memberOf", "expression": "ec2InstanceId == worker-a1"}]
    scale(kube, namespace, "web", {"desiredCount": 12, "placementConstraints": on_a1})
    layout = wait_for(
        lambda: (r := _on(kube, namespace, "web")) and len(r) == 12 and r, timeout=120, what="12 running"
    )
    assert list(layout.values()).count("worker-a1") == 8
    # changing constraints starts no deployment
    assert len(service(kube, namespace, "web")["status"]["deployments"]) == 1

    # every task healthy (40 s RUNNING without a health check), so none goes first for that
    def steady() -> bool:
        events = service(kube, namespace, "web")["status"].get("events") or []
        return bool(events) and events[0]["message"].endswith("has reached a steady state.")

    wait_for(steady, timeout=120, what="steady state with 12 healthy tasks")
    scale(kube, namespace, "web", {"desiredCount": 6})
    kept = wait_for(
        lambda: (r := _on(kube, namespace, "web")) and len(r) == 6 and r, timeout=90, what="6 left"
    )
    assert sorted(kept.values()) == [
        "worker-a1",
        "worker-a1",
        "worker-a2",
        "worker-a2",
        "worker-b1",
        "worker-b1",
    ]
    assert set(early) <= set(kept)
