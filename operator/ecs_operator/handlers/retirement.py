"""Task retirement and Fargate task recycling (ecs-semantics §7): notices ahead, stops at the date.

Thin: a timer per EcsCluster reads its tasks (a watch index), its nodes' retirement dates and its
Fargate platform revision, asks `reconcile.retirement.plan_retirement` what to do now, and applies
the plan: the retirement date goes onto the EcsTask as an annotation with a Warning event (the
notice; one more per service), a task whose causes are gone loses it, and a task whose date has
come is stopped through the task's own status (`handlers.tasks.write_status`), after which the
task handlers stop its pod as for any StopTask.

Time comes from `now()`, which tests may replace; the pass runs every
``ECS_OPERATOR_RETIREMENT_INTERVAL`` seconds (default 5), so a task stops at most that long after
its date.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections import Counter
from datetime import UTC, datetime
from typing import Any, cast

import kopf

from ecs_operator.handlers.tasks import write_status
from ecs_operator.kube import objects
from ecs_operator.kube.errors import NotFound
from ecs_operator.kube.objects import TASKS
from ecs_operator.names import (
    API_VERSION,
    GROUP,
    RETIREMENT_ANNOTATION,
    SERVICE_LABEL,
    SPOT_INTERRUPTION_ANNOTATION,
    VERSION,
)
from ecs_operator.reconcile.retirement import (
    Notice,
    Platform,
    RetirementPlan,
    Stop,
    TaskView,
    format_date,
    parse_date,
    plan_retirement,
)

INTERVAL = float(os.environ.get("ECS_OPERATOR_RETIREMENT_INTERVAL", "5"))
log = logging.getLogger(__name__)
_malformed: set[tuple[str, str]] = set()


def now() -> datetime:
    """The clock of retirement decisions (replaced in tests)."""
    return datetime.now(UTC)


@kopf.index(GROUP, VERSION, "ecstasks")
async def retirement_tasks(
    name: str, namespace: str | None, meta: kopf.Meta, spec: kopf.Spec, status: kopf.Status, **_: Any
) -> dict[str, dict[str, Any]] | None:
    """The tasks of each cluster that might be retired: placed, not STOPPED."""
    instance = status.get("containerInstance")
    if not instance or status.get("lastStatus") == "STOPPED":
        return None
    cluster = str(spec.get("cluster", ""))
    wanted = "STOPPED" not in (spec.get("desiredStatus"), status.get("desiredStatus"))
    return {
        cluster: {
            "name": name,
            "namespace": namespace,
            "uid": meta.uid,
            "launch_type": str(
                spec.get("launchType")
                or ("FARGATE" if status.get("capacityProviderName") in ("FARGATE", "FARGATE_SPOT") else "EC2")
            ),
            "node": str(instance)[len(cluster) + 1 :] if str(instance).startswith(f"{cluster}.") else None,
            "launched": bool(status.get("podName")),
            "platform_revision": status.get("platformRevision"),
            "service": (meta.get("labels") or {}).get(SERVICE_LABEL),
            "retirement_date": (meta.get("annotations") or {}).get(RETIREMENT_ANNOTATION),
            "wanted": wanted,
        }
    }


def node_dates(
    nodes: kopf.Index[str, dict[str, Any]], annotation: str = RETIREMENT_ANNOTATION
) -> dict[str, datetime]:
    """Nodes carrying `annotation` (a retirement date, or a spot interruption deadline) and its
    time; a malformed time is logged once and ignored."""
    out: dict[str, datetime] = {}
    for name, store in nodes.items():
        for node in store:
            text = ((node.get("metadata") or {}).get("annotations") or {}).get(annotation)
            date = parse_date(text)
            if date is not None:
                out[name] = date
            elif text and (name, text) not in _malformed:
                _malformed.add((name, text))
                log.warning("node %s: %s=%r is not an RFC 3339 time; ignored", name, annotation, text)
    return out


def _task_ref(task: TaskView) -> kopf.Body:
    """Enough of the EcsTask for an Event's involvedObject."""
    ref = {
        "apiVersion": API_VERSION,
        "kind": "EcsTask",
        "metadata": {"name": task.name, "namespace": task.namespace, "uid": task.uid},
    }
    return cast(kopf.Body, ref)


def _annotate(task: TaskView, value: str | None) -> None:
    with contextlib.suppress(NotFound):
        objects.patch(
            TASKS, task.name, {"metadata": {"annotations": {RETIREMENT_ANNOTATION: value}}}, task.namespace
        )


def _notice(notice: Notice) -> None:
    task, date = notice.task, format_date(notice.date)
    _annotate(task, date)
    if notice.spot:
        then = "It is stopped then." if task.service is None else f"Service {task.service} replaces it."
        kopf.event(
            _task_ref(task),
            type="Warning",
            reason="SpotInterruption",
            message=f"Task {task.name} receives a spot interruption notice: {notice.cause}; "
            f"it is stopped at {date}. {then}",
        )
        return
    if task.service is None:
        then = "Standalone tasks are stopped on that date and not replaced: run a new task to replace it."
    else:
        then = f"Service {task.service} replaces it before then."
    verb = "is scheduled for retirement" if notice.first else "has a new retirement date"
    kopf.event(
        _task_ref(task),
        type="Warning",
        reason="TaskRetirementScheduled",
        message=f"Task {task.name} {verb} on {date}: {notice.cause}. {then}",
    )


def _stop(stop: Stop) -> None:
    task, cause = stop.task, stop.cause
    try:
        current = objects.get(TASKS, task.name, task.namespace)
    except NotFound:
        return
    if current["metadata"].get("uid") != task.uid:
        return
    write_status(
        current, {"desiredStatus": "STOPPED", "stopCode": stop.stop_code, "stoppedReason": stop.reason}
    )
    what = "interrupted" if stop.spot else "stopped for retirement"
    kopf.event(
        _task_ref(task),
        type="Warning",
        reason="SpotInterruption" if stop.spot else "TaskRetired",
        message=f"Task {task.name} {what} ({cause}): {stop.reason}",
    )


def apply(plan: RetirementPlan) -> None:
    for notice in plan.notices:
        _notice(notice)
    for task in plan.cancels:
        _annotate(task, None)
        kopf.event(
            _task_ref(task), type="Normal", reason="TaskRetirementCancelled", message="No longer retiring."
        )
    for stop in plan.stops:
        _stop(stop)
    # ECS sends one notice per service: one event on each service with newly noticed tasks.
    services = Counter(
        (n.task.namespace, n.task.service) for n in plan.notices if n.first and n.task.service and not n.spot
    )
    for (namespace, service), count in services.items():
        with contextlib.suppress(NotFound):
            body = objects.get(objects.SERVICES, str(service), namespace)
            kopf.event(
                cast(kopf.Body, body),
                type="Warning",
                reason="TaskRetirementScheduled",
                message=f"(service {service}) {count} task(s) are scheduled for retirement; "
                "the service replaces them before their retirement date.",
            )


@kopf.timer(GROUP, VERSION, "ecsclusters", interval=INTERVAL, initial_delay=1)
def retirement_pass(name: str, spec: kopf.Spec, **kwargs: Any) -> None:
    """One level-triggered pass over the cluster's tasks."""
    index: kopf.Index[str, dict[str, Any]] = kwargs["retirement_tasks"]
    tasks = [TaskView(**dict(t)) for t in index.get(name, ())]
    if not tasks:
        return
    fargate = spec.get("fargate") or {}
    platform = Platform(fargate.get("platformRevision"), int(fargate.get("taskRetirementWaitPeriodDays", 7)))
    nodes = kwargs["node_index"]
    spot = node_dates(nodes, SPOT_INTERRUPTION_ANNOTATION)
    apply(plan_retirement(tasks, node_dates(nodes), platform, now(), spot))
