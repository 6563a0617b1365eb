"""UpdateTaskProtection and GetTaskProtection on EcsTask ``spec.protection``, with the rules and
the wait of `kubectl ecs update-task-protection` (`cli.protection`): the call writes the request,
then answers with the ``expirationDate`` the operator computed for it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ecs_operator.cli import protection as cprotection
from ecs_operator.ecsapi import views
from ecs_operator.ecsapi.arns import Arns, resource_id
from ecs_operator.ecsapi.errors import invalid
from ecs_operator.ecsapi.operations import Call, Operation, cluster_must_exist, cluster_name, task_in_cluster
from ecs_operator.kube import plugin
from ecs_operator.kube.objects import TASKS, Obj
from ecs_operator.reconcile.protection import NOT_A_SERVICE_TASK, TASK_NOT_VALID, is_service_task


def _tasks(params: Mapping[str, Any]) -> list[str]:
    given = views.string_list(params, "tasks", cprotection.MAX_TASKS)
    if not given:
        raise invalid("tasks can not be empty.")
    return given


def _view(task: Mapping[str, Any], cluster: str, arns: Arns, now: datetime) -> dict[str, Any]:
    view = cprotection.protected_task(task, now)
    view["taskArn"] = arns.task(cluster, task["metadata"]["name"])
    if "expirationDate" in view:
        view["expirationDate"] = views.epoch(view["expirationDate"])
    return view


def _failure(entry: Mapping[str, Any], task: Mapping[str, Any], cluster: str, arns: Arns) -> dict[str, Any]:
    return views.failure(
        arns.task(cluster, task["metadata"]["name"]), str(entry.get("reason")), entry.get("detail")
    )


def update_task_protection(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    cluster = cluster_name(params)
    given = _tasks(params)
    enabled = params.get("protectionEnabled")
    if not isinstance(enabled, bool):
        raise invalid("protectionEnabled can not be blank.")
    minutes = params.get("expiresInMinutes")
    patch = cprotection.protection_patch(
        enabled, minutes if isinstance(minutes, int) else None, datetime.now(UTC)
    )
    cluster_must_exist(cluster)
    written: list[Obj] = []
    failures: list[dict[str, Any]] = []
    for text in given:
        task = task_in_cluster(cluster, text, call.namespace)
        if task is None:
            failures.append(views.failure(call.arns.task(cluster, resource_id(text, "task")), "MISSING"))
            continue
        written.append(
            plugin.update_spec(TASKS, task["metadata"]["name"], lambda _obj: patch, call.namespace)
        )
    protected = []
    for task in written:
        current = cprotection.await_answer(task["metadata"]["name"], call.namespace)
        if current is None:
            detail = "the operator has not applied the request in time"
            failures.append(
                views.failure(call.arns.task(cluster, task["metadata"]["name"]), "PENDING", detail)
            )
        elif refused := ((current.get("status") or {}).get("protection") or {}).get("failures"):
            failures += [_failure(entry, current, cluster, call.arns) for entry in refused]
        else:
            protected.append(_view(current, cluster, call.arns, datetime.now(UTC)))
    return {"protectedTasks": protected, "failures": failures}


def get_task_protection(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    cluster = cluster_name(params)
    given = _tasks(params)
    cluster_must_exist(cluster)
    now = datetime.now(UTC)
    protected, failures = [], []
    for text in given:
        task = task_in_cluster(cluster, text, call.namespace)
        if task is None:
            failures.append(views.failure(call.arns.task(cluster, resource_id(text, "task")), "MISSING"))
        elif not is_service_task(task):
            failures.append(
                views.failure(
                    call.arns.task(cluster, task["metadata"]["name"]), TASK_NOT_VALID, NOT_A_SERVICE_TASK
                )
            )
        else:
            protected.append(_view(task, cluster, call.arns, now))
    return {"protectedTasks": protected, "failures": failures}


OPERATIONS: dict[str, Operation] = {
    "UpdateTaskProtection": update_task_protection,
    "GetTaskProtection": get_task_protection,
}
