"""Tenancy at the handler entry points: refuse what a cluster's namespaceSelector does not allow.

The decision is pure (`reconcile.tenancy`); this module finds its inputs (the cluster's spec from
the EcsCluster watch, the namespace's labels from a Kopf index of namespaces, which Kopf fills
before any handler runs, so a selected namespace is never refused for lack of its labels) and
writes the refusal where ECS would show it:

- a task: STOPPED, stopCode TaskFailedToStart, `failures: [{reason: AccessDeniedException}]`, a
  Warning Event; written with compare-and-swap and only while the task is unplaced, so a task
  another replica placed first is never stopped by it;
- a service: `Ready=False` (AccessDeniedException) and a service event, once per message, and a
  Warning Event; its pass starts and stops nothing;
- a schedule: its invocation creates nothing and reports LaunchFailed (handlers/scheduled.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import kopf

from ecs_operator.handlers.instances import cluster_spec
from ecs_operator.kube import namespaces as knamespaces
from ecs_operator.kube import objects
from ecs_operator.kube.errors import Conflict, NotFound
from ecs_operator.kube.objects import CLUSTERS, SERVICES, TASKS, Obj
from ecs_operator.lifecycle.observation import format_time
from ecs_operator.reconcile import tenancy as rt
from ecs_operator.reconcile.conditions import set_condition
from ecs_operator.reconcile.service.naming import event_id

ACCESS_DENIED = rt.ACCESS_DENIED
CREATE_SERVICE = rt.CREATE_SERVICE
RUN_TASK = rt.RUN_TASK
MAX_EVENTS = 100

_labels: dict[str, dict[str, str]] = {}
"""Namespace labels as the index last saw them, for code that has no index kwargs."""


@kopf.index("", "v1", "namespaces")
async def namespace_labels(name: str, labels: kopf.Labels, **_: Any) -> dict[str, dict[str, str]]:
    _labels[name] = dict(labels)
    return {name: dict(labels)}


def _cluster_spec(cluster: str) -> dict[str, Any] | None:
    spec = cluster_spec(cluster)
    if spec is not None:
        return spec
    try:
        return dict(objects.get(CLUSTERS, cluster).get("spec") or {})
    except NotFound:
        return None


def refusal(action: str, cluster: str, namespace: str) -> str | None:
    """ECS's AccessDeniedException message when `namespace` may not use `cluster`, else None."""
    spec = _cluster_spec(cluster)
    if spec is None or spec.get("namespaceSelector") is None:
        return None  # the common case costs no namespace lookup
    labels = _labels.get(namespace)
    if labels is None:
        labels = knamespaces.labels(namespace)
    return rt.denied(action=action, cluster=cluster, cluster_spec=spec, namespace=namespace, labels=labels)


def refuse_task(task: Obj) -> bool:
    """True when the (unplaced) task is refused: it is written STOPPED and the caller stops."""
    status = task.get("status") or {}
    if status.get("lastStatus") == "STOPPED" or status.get("containerInstance"):
        return False
    meta, spec = task["metadata"], task["spec"]
    message = refusal(rt.task_action(spec), str(spec.get("cluster", "")), meta["namespace"])
    if message is None:
        return False
    moment = format_time(datetime.now(UTC).replace(microsecond=0))
    fields = {
        **rt.task_failure(message),
        "createdAt": status.get("createdAt") or moment,
        "stoppingAt": moment,
        "stoppedAt": moment,
    }

    def compute(obj: Obj) -> Obj | None:
        current = obj.get("status") or {}
        if current.get("lastStatus") == "STOPPED" or current.get("containerInstance"):
            return None  # stopped or placed meanwhile: not ours to refuse any more
        return fields

    written = objects.update_status(TASKS, meta["name"], compute, namespace=meta["namespace"], current=task)
    if written is not None and (written.get("status") or {}).get("stoppedReason") == fields["stoppedReason"]:
        kopf.warn(cast(kopf.Body, task), reason=ACCESS_DENIED, message=message)
    return True


def refuse_service(service: Obj) -> bool:
    """True when the service may not run on its cluster: reported once, and the caller stops."""
    meta, spec = service["metadata"], service["spec"]
    message = refusal(CREATE_SERVICE, str(spec.get("cluster", "")), meta["namespace"])
    if message is None:
        return False
    status = service.get("status") or {}
    ready: dict[str, Any] = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {})
    if (
        ready.get("status") == "False"
        and ready.get("reason") == ACCESS_DENIED
        and ready.get("message") == message
    ):
        return True  # said already
    now = datetime.now(UTC).replace(microsecond=0)
    text = rt.service_event(meta["name"], message)
    event = {"id": event_id(meta["uid"], now, text, 0), "createdAt": format_time(now), "message": text}
    patch = {
        "conditions": set_condition(
            status.get("conditions") or [],
            type="Ready",
            status=False,
            reason=ACCESS_DENIED,
            message=message,
            now=now,
            generation=meta.get("generation"),
        ),
        "events": [event, *(status.get("events") or [])][:MAX_EVENTS],
    }
    try:
        objects.patch_status(SERVICES, meta["name"], patch, meta["resourceVersion"], meta["namespace"])
    except Conflict:
        return True  # changed meanwhile: the next pass reports it
    kopf.warn(cast(kopf.Body, service), reason=ACCESS_DENIED, message=message)
    return True
