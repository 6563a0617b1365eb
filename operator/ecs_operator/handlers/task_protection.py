"""UpdateTaskProtection on an EcsTask: `spec.protection` answered in `status.protection` (thin).

The decision is `reconcile.protection.apply` (pure, with `now` passed in); this module reads the
task, writes the answer with the resourceVersion it was computed from (re-deciding on a 409),
and posts the Events: Normal `TaskProtectionUpdated` when a request is applied, Warning
`UpdateTaskProtectionFailed` with ECS's TASK_NOT_VALID when the task is not a service's. A
protection that expires is turned off here too (`enabled: false`), on the task's next event or
tick; the service scheduler does not wait for that write: it compares the date with its own now.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import kopf
from pydantic import ValidationError

from ecs_operator.api import ProtectionStatus, TaskProtection, to_wire
from ecs_operator.handlers import task_launch as tl
from ecs_operator.kube import objects
from ecs_operator.kube.objects import TASKS, Obj
from ecs_operator.names import TIME_FORMAT
from ecs_operator.reconcile import protection


def _status(task: Mapping[str, Any]) -> ProtectionStatus | None:
    raw = (task.get("status") or {}).get("protection")
    if not raw:
        return None
    try:
        return ProtectionStatus.model_validate(raw)
    except ValidationError:
        return None  # unreadable (written by hand): answered again from the spec


def _replacing(old: Any, new: Any) -> Any:
    """A merge patch that turns `old` into exactly `new` (removed keys become null)."""
    if not (isinstance(old, Mapping) and isinstance(new, Mapping)):
        return new
    patch = {key: None for key in old if key not in new}
    patch.update({key: _replacing(old.get(key), value) for key, value in new.items()})
    return patch


def sync(task: Obj) -> Obj:
    """Answer the task's protection request if it has a new one (or its protection expired)."""
    if (task.get("status") or {}).get("lastStatus") == "STOPPED":
        return task
    if not (task.get("spec") or {}).get("protection") and not (task.get("status") or {}).get("protection"):
        return task  # the common case: never asked
    meta = task["metadata"]
    decided: list[protection.Applied] = []

    def compute(obj: Obj) -> Obj | None:
        spec = (
            TaskProtection.model_validate(raw) if (raw := (obj.get("spec") or {}).get("protection")) else None
        )
        result = protection.apply(
            spec,
            _status(obj),
            service_task=protection.is_service_task(obj),
            task=f"{meta['namespace']}/{meta['name']}",
            now=tl.now().replace(microsecond=0),
        )
        decided[:] = [result]
        if result.status is None:
            return None
        current = (obj.get("status") or {}).get("protection")
        return {"protection": _replacing(current, to_wire(result.status))}

    updated = objects.update_status(TASKS, meta["name"], compute, namespace=meta["namespace"], current=task)
    if decided and decided[0].status is not None:
        _announce(task, decided[0])
    return updated or task


def _announce(task: Obj, result: protection.Applied) -> None:
    body = cast(kopf.Body, task)
    if result.refused is not None:
        message = f"{result.refused.reason}: {result.refused.detail}"
        kopf.warn(body, reason="UpdateTaskProtectionFailed", message=message)
        return
    status = result.status
    if status is None:
        return
    if status.enabled and status.expiration_date is not None:
        message = f"Scale-in protection enabled until {status.expiration_date.strftime(TIME_FORMAT)}."
    elif status.applied is not None and status.applied.enabled:
        message = "Scale-in protection expired."
    else:
        message = "Scale-in protection disabled."
    kopf.event(body, type="Normal", reason="TaskProtectionUpdated", message=message)
