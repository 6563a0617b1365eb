"""An unhealthy task of a REPLICA service is replaced first, then stopped (issue 12, item 2).

ECS (ecs-semantics §3.1): "If maximumPercent leaves room, the scheduler starts the replacement
first and then stops the unhealthy task". A container health check runs as the readiness probe;
KWOK reports every container ready, so the test turns one task UNHEALTHY by writing its
container's ``ready: false`` into the pod's status, as a kubelet does when the probe fails
``retries`` times in a row. Before the fix, the scheduler stopped the unhealthy task in the same
pass that created its replacement, so the service had one RUNNING task until the replacement ran.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tests.integration.test_services import create_service, service_status, service_tasks
from tests.support.cluster import Kube, wait_for
from tests.support.ecs import container, register

HEALTH_CHECK = {"command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], "interval": 5, "retries": 2}
UNHEALTHY_REASON = "Task failed container health checks"


def _view(task: dict[str, Any]) -> tuple[str, str | None, str, str | None]:
    """(name, lastStatus, desired status, healthStatus) of a task as the API shows it."""
    spec, status = task.get("spec") or {}, task.get("status") or {}
    desired = (
        "STOPPED" if "STOPPED" in (spec.get("desiredStatus"), status.get("desiredStatus")) else "RUNNING"
    )
    return (task["metadata"]["name"], status.get("lastStatus"), desired, status.get("healthStatus"))


def _event_time(events: list[dict[str, Any]], ending: str) -> datetime:
    (event,) = [e for e in events if e["message"].endswith(ending)]
    return datetime.fromisoformat(event["createdAt"])


def _fail_health_check(kube: Kube, namespace: str, pod: str) -> None:
    """The container's readiness probe (its ECS health check) fails: ready false, still running."""
    patch = [{"op": "replace", "path": "/status/containerStatuses/0/ready", "value": False}]
    kube.kubectl(
        "patch", "pod", pod, "-n", namespace, "--subresource=status", "--type=json", "-p", json.dumps(patch)
    )


def test_an_unhealthy_task_is_stopped_only_once_its_replacement_is_healthy(
    kube: Kube, cluster: str, namespace: str
) -> None:
    register(kube, namespace, containerDefinitions=[container(healthCheck=HEALTH_CHECK)])
    create_service(kube, namespace, cluster, desiredCount=2)  # maximumPercent 200: room to start first

    def healthy_pair() -> list[dict[str, Any]] | None:
        tasks = [
            t
            for t in service_tasks(kube, namespace, "web")
            if _view(t)[1:] == ("RUNNING", "RUNNING", "HEALTHY")
        ]
        return tasks if len(tasks) == 2 else None

    first = wait_for(healthy_pair, timeout=120, what="2 tasks RUNNING and HEALTHY")
    victim = first[0]["metadata"]["name"]
    _fail_health_check(kube, namespace, first[0]["status"]["podName"])

    samples: list[list[tuple[str, str | None, str, str | None]]] = []

    def victim_stopped() -> bool:
        views = [_view(t) for t in service_tasks(kube, namespace, "web")]
        samples.append(views)
        return any(name == victim and last == "STOPPED" for name, last, _, _ in views)

    wait_for(victim_stopped, timeout=180, interval=0.1, what=f"{victim} STOPPED")

    def report() -> str:
        return "\n".join(str(s) for s in samples)

    # One replacement was created; the victim was stopped for its health (stoppedReason).
    names = {name for s in samples for name, *_ in s}
    assert len(names) == 3, report()
    (replacement,) = names - {t["metadata"]["name"] for t in first}
    stopped = kube.get_json("ecstask", victim, "-n", namespace)["status"]
    assert (stopped["stopCode"], stopped["stoppedReason"]) == ("ServiceSchedulerInitiated", UNHEALTHY_REASON)

    # From the scheduler's own record, whatever the test's sampling caught: the replacement was
    # started by one scheduler pass, the victim stopped by a later one, once the replacement had
    # reached RUNNING. (Before the fix, one pass did both, at the same instant.)
    events = service_status(kube, namespace, "web")["events"]
    started_at = _event_time(events, f"has started 1 tasks: task {replacement}.")
    stopped_at = _event_time(events, f"has stopped 1 running tasks: task {victim}.")
    assert started_at < stopped_at, events
    running_since = kube.get_json("ecstask", replacement, "-n", namespace)["status"]["startedAt"]
    assert datetime.fromisoformat(running_since) <= stopped_at, (running_since, events)

    # Never below desiredCount: two tasks RUNNING and not told to stop, in every sample, until the
    # victim left RUNNING (before the fix: one, from the victim's stop until the replacement ran).
    for s in samples:
        if any(name == victim and last == "RUNNING" for name, last, _, _ in s):
            wanted = sum(1 for _, last, desired, _ in s if last == "RUNNING" and desired == "RUNNING")
            assert wanted >= 2, report()
    # Stopped only once the replacement was HEALTHY: whenever the victim is told to stop, two other
    # tasks are RUNNING, wanted and HEALTHY.
    told = [s for s in samples if (victim, "STOPPED") in {(n, d) for n, _, d, _ in s}]
    assert told, report()
    for s in told:
        others = [v for v in s if v[0] != victim and v[1:] == ("RUNNING", "RUNNING", "HEALTHY")]
        assert len(others) == 2, report()
    final = wait_for(healthy_pair, timeout=60, what="2 HEALTHY tasks after the replacement")
    assert victim not in {t["metadata"]["name"] for t in final}
