"""UpdateTaskProtection and GetTaskProtection (`kubectl ecs update-task-protection`,
`get-task-protection`) with the arguments and the output of `aws ecs`.

Why the update waits: ECS answers the call with the task's ``expirationDate``, computed from the
time of the call. Here the call is a write of ``spec.protection``; the operator computes the date
when it applies it (``status.protection``), so the command writes, then reads the task until
its status answers exactly that request (at most ``WAIT`` seconds), and prints ECS's response::

    {"protectedTasks": [{"taskArn": ..., "protectionEnabled": true, "expirationDate": ...}],
     "failures": []}

Each call writes a new ``spec.protection.renew`` (the time of the call), so calling again with
the same arguments resets the expiry, as in ECS. Failures as ECS reports them: ``MISSING`` for a
task that is not there (or not in ``--cluster``), ``TASK_NOT_VALID`` for a standalone task.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ecs_operator.api import DEFAULT_PROTECTION_MINUTES, MAX_PROTECTION_MINUTES, MIN_PROTECTION_MINUTES
from ecs_operator.cli.instances import EcsError
from ecs_operator.kube import objects, plugin
from ecs_operator.kube.errors import NotFound
from ecs_operator.kube.objects import TASKS, Obj
from ecs_operator.names import MICRO_TIME_FORMAT
from ecs_operator.reconcile.protection import NOT_A_SERVICE_TASK, TASK_NOT_VALID, is_service_task

if TYPE_CHECKING:
    from ecs_operator.cli.commands import Context

MAX_TASKS = 10
WAIT = 30.0
POLL = 0.25
HEADERS = ("task", "protected", "expiration date")


def protection_patch(enabled: bool, minutes: int | None, now: datetime) -> dict[str, Any]:
    """The spec change one UpdateTaskProtection call makes (``renew``: a new call each time)."""
    if minutes is not None and not MIN_PROTECTION_MINUTES <= minutes <= MAX_PROTECTION_MINUTES:
        raise EcsError(
            f"InvalidParameterException: expiresInMinutes must be between {MIN_PROTECTION_MINUTES} and "
            f"{MAX_PROTECTION_MINUTES}."
        )
    protection: dict[str, Any] = {
        "enabled": enabled,
        "expiresInMinutes": DEFAULT_PROTECTION_MINUTES if minutes is None else minutes,
        "renew": now.strftime(MICRO_TIME_FORMAT),
    }
    return {"spec": {"protection": protection}}


def answered(task: Mapping[str, Any]) -> bool:
    """The operator's ``status.protection`` answers the task's current ``spec.protection``."""
    spec = (task.get("spec") or {}).get("protection") or {}
    applied = ((task.get("status") or {}).get("protection") or {}).get("applied") or {}
    return bool(spec) and all(
        applied.get(key) == spec.get(key) for key in ("enabled", "expiresInMinutes", "renew")
    )


def protected_task(task: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """ProtectedTask: protectionEnabled is false once the expirationDate has passed."""
    meta = task["metadata"]
    status = (task.get("status") or {}).get("protection") or {}
    expires = status.get("expirationDate")
    enabled = bool(status.get("enabled")) and expires is not None and _parse(expires) > now
    view: dict[str, Any] = {"taskArn": f"{meta['namespace']}/{meta['name']}", "protectionEnabled": enabled}
    if enabled:
        view["expirationDate"] = expires
    return view


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _find(given: str, ctx: Context, cluster: str | None) -> tuple[Obj | None, dict[str, Any] | None]:
    from ecs_operator.cli.commands import task_ref  # commands registers this module's verbs

    namespace, name = task_ref(given, ctx.namespace)
    missing = {"arn": f"{namespace}/{name}", "reason": "MISSING"}
    try:
        task = objects.get(TASKS, name, namespace)
    except NotFound:
        return None, missing
    if cluster and (task.get("spec") or {}).get("cluster") != cluster:
        return None, missing
    return task, None


def _refused(task: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(((task.get("status") or {}).get("protection") or {}).get("failures") or [])


def _emit(ctx: Context, protected: list[dict[str, Any]], failures: list[dict[str, Any]]) -> int:
    rows = [[p["taskArn"], p["protectionEnabled"], p.get("expirationDate")] for p in protected]
    ctx.emit("json", {"protectedTasks": protected, "failures": failures}, HEADERS, rows)
    return ctx.failures(failures)


def _check_count(tasks: list[str]) -> None:
    if len(tasks) > MAX_TASKS:
        raise EcsError(f"InvalidParameterException: at most {MAX_TASKS} tasks per call.")


def update_task_protection(args: argparse.Namespace, ctx: Context) -> int:
    _check_count(args.tasks)
    patch = protection_patch(args.protection_enabled, args.expires_in_minutes, datetime.now(UTC))
    written: list[Obj] = []
    failures: list[dict[str, Any]] = []
    for given in args.tasks:
        task, failure = _find(given, ctx, args.cluster)
        if task is None:
            failures.append(failure or {})
            continue
        meta = task["metadata"]
        written.append(plugin.update_spec(TASKS, meta["name"], lambda _obj: patch, meta["namespace"]))
    protected: list[dict[str, Any]] = []
    for task in written:
        meta = task["metadata"]
        current = await_answer(meta["name"], meta["namespace"])
        if current is None:
            failures.append(
                {
                    "arn": f"{meta['namespace']}/{meta['name']}",
                    "reason": "PENDING",
                    "detail": f"the operator has not applied the request within {WAIT:.0f} s; is it running?",
                }
            )
        elif refused := _refused(current):
            failures += refused
        else:
            protected.append(protected_task(current, datetime.now(UTC)))
    return _emit(ctx, protected, failures)


def await_answer(name: str, namespace: str) -> Obj | None:
    deadline = time.monotonic() + WAIT
    while True:
        try:
            task = objects.get(TASKS, name, namespace)
        except NotFound:
            return None
        if answered(task):
            return task
        if time.monotonic() > deadline:
            return None
        time.sleep(POLL)


def get_task_protection(args: argparse.Namespace, ctx: Context) -> int:
    _check_count(args.tasks)
    protected: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    for given in args.tasks:
        task, failure = _find(given, ctx, args.cluster)
        if task is None:
            failures.append(failure or {})
        elif not is_service_task(task):
            arn = f"{task['metadata']['namespace']}/{task['metadata']['name']}"
            failures.append({"arn": arn, "reason": TASK_NOT_VALID, "detail": NOT_A_SERVICE_TASK})
        else:
            protected.append(protected_task(task, now))
    return _emit(ctx, protected, failures)
