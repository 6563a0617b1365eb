"""EventBridge Scheduler's REST-JSON API for schedules whose target is ECS RunTask, on ScheduledTask.

``POST /schedules/{Name}`` CreateSchedule, ``GET /schedules/{Name}`` GetSchedule, ``PUT`` UpdateSchedule,
``DELETE`` DeleteSchedule, ``GET /schedules`` ListSchedules (signing name ``scheduler``). A schedule is
the ScheduledTask of that name in the caller's namespace, in the group ``default`` (other groups are
refused); its target must be an ECS cluster ARN with ``EcsParameters``: the task definition, count,
launch type, group, placement. Roles, inputs, dead-letter queues and network configuration are not
kept. Errors are Scheduler's: ValidationException (400), ResourceNotFoundException (404),
ConflictException (409).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ecs_operator.api.meta import API_VERSION
from ecs_operator.ecsapi import views
from ecs_operator.ecsapi.arns import resource_id
from ecs_operator.ecsapi.errors import ApiError
from ecs_operator.ecsapi.operations import Call
from ecs_operator.kube import objects
from ecs_operator.kube.errors import AlreadyExists, NotFound
from ecs_operator.kube.objects import SCHEDULED_TASKS, Obj
from ecs_operator.names import TIME_FORMAT

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def validation(message: str) -> ApiError:
    return ApiError("ValidationException", message, 400)


def _not_found(name: str) -> ApiError:
    return ApiError("ResourceNotFoundException", f"Schedule {name} does not exist.", 404)


def schedule_arn(call: Call, name: str) -> str:
    return f"arn:aws:scheduler:{call.arns.region}:{call.arns.account}:schedule/default/{name}"


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return datetime.fromtimestamp(float(value), UTC).strftime(TIME_FORMAT)


def _pairs(items: Any, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{k: i[k] for k in keys if k in i} for i in items or []]


def spec_of(body: Mapping[str, Any]) -> dict[str, Any]:
    """Scheduler's CreateSchedule/UpdateSchedule body → ScheduledTask spec."""
    if (body.get("GroupName") or "default") != "default":
        raise validation("Only the schedule group default is supported.")
    target = body.get("Target") or {}
    arn = str(target.get("Arn") or "")
    ecs = target.get("EcsParameters")
    if ":ecs:" not in arn or ":cluster/" not in arn or not isinstance(ecs, dict):
        raise validation(
            "Only ECS RunTask targets are supported: Target.Arn a cluster ARN, with EcsParameters."
        )
    if not body.get("ScheduleExpression"):
        raise validation("ScheduleExpression can not be blank.")
    window = body.get("FlexibleTimeWindow") or {}
    if not window.get("Mode"):
        raise validation("FlexibleTimeWindow.Mode can not be blank.")
    target_spec: dict[str, Any] = {
        "taskDefinition": resource_id(str(ecs.get("TaskDefinitionArn") or ""), "task-definition"),
        "taskCount": ecs.get("TaskCount", 1),
        "launchType": ecs.get("LaunchType") or "EC2",
        "group": ecs.get("Group"),
        "placementStrategy": _pairs(ecs.get("PlacementStrategy"), ("type", "field")) or None,
        "placementConstraints": _pairs(ecs.get("PlacementConstraints"), ("type", "expression")) or None,
    }
    retry = target.get("RetryPolicy")
    spec: dict[str, Any] = {
        "cluster": resource_id(arn, "cluster"),
        "scheduleExpression": body["ScheduleExpression"],
        "scheduleExpressionTimezone": body.get("ScheduleExpressionTimezone"),
        "startDate": _iso(body.get("StartDate")),
        "endDate": _iso(body.get("EndDate")),
        "state": body.get("State") or "ENABLED",
        "flexibleTimeWindow": {
            "mode": window["Mode"],
            **(
                {"maximumWindowInMinutes": window["MaximumWindowInMinutes"]}
                if "MaximumWindowInMinutes" in window
                else {}
            ),
        },
        "retryPolicy": {
            "maximumRetryAttempts": retry.get("MaximumRetryAttempts", 185),
            "maximumEventAgeInSeconds": retry.get("MaximumEventAgeInSeconds", 86400),
        }
        if isinstance(retry, dict)
        else None,
        "target": {k: v for k, v in target_spec.items() if v is not None},
    }
    return {k: v for k, v in spec.items() if v is not None}


def schedule_view(obj: Mapping[str, Any], call: Call) -> dict[str, Any]:
    """GetSchedule's answer from a ScheduledTask."""
    spec, meta = obj.get("spec") or {}, obj["metadata"]
    target = spec.get("target") or {}
    family, _, revision = str(target.get("taskDefinition") or "").partition(":")
    ecs = {
        "TaskDefinitionArn": call.arns.task_definition(family, revision) if revision else f"{family}",
        "TaskCount": target.get("taskCount", 1),
        "LaunchType": target.get("launchType", "EC2"),
        "Group": target.get("group"),
        # Scheduler spells placement in lower camel case, like ECS.
        "PlacementStrategy": [dict(p) for p in target.get("placementStrategy") or []] or None,
        "PlacementConstraints": [dict(c) for c in target.get("placementConstraints") or []] or None,
    }
    window = spec.get("flexibleTimeWindow") or {}
    retry = spec.get("retryPolicy")
    view = {
        "Arn": schedule_arn(call, meta["name"]),
        "Name": meta["name"],
        "GroupName": "default",
        "ScheduleExpression": spec.get("scheduleExpression"),
        "ScheduleExpressionTimezone": spec.get("scheduleExpressionTimezone"),
        "StartDate": views.epoch(spec.get("startDate")),
        "EndDate": views.epoch(spec.get("endDate")),
        "State": spec.get("state", "ENABLED"),
        "CreationDate": views.epoch(meta.get("creationTimestamp")),
        "FlexibleTimeWindow": {
            "Mode": window.get("mode", "OFF"),
            **(
                {"MaximumWindowInMinutes": window["maximumWindowInMinutes"]}
                if "maximumWindowInMinutes" in window
                else {}
            ),
        },
        "Target": {
            "Arn": call.arns.cluster(str(spec.get("cluster") or "")),
            "RoleArn": f"arn:aws:iam::{call.arns.account}:role/ecs-operator",  # required by the shape; not used
            "EcsParameters": {k: v for k, v in ecs.items() if v is not None},
            **(
                {
                    "RetryPolicy": {
                        "MaximumRetryAttempts": retry.get("maximumRetryAttempts"),
                        "MaximumEventAgeInSeconds": retry.get("maximumEventAgeInSeconds"),
                    }
                }
                if isinstance(retry, dict)
                else {}
            ),
        },
    }
    return {k: v for k, v in view.items() if v is not None}


def _name(name: str) -> str:
    if not _NAME.match(name):
        raise validation(
            f"Schedule name {name!r} must be a Kubernetes object name here: lower-case letters, digits and"
            " hyphens, at most 63."
        )
    return name


def create(name: str, body: Mapping[str, Any], call: Call) -> dict[str, Any]:
    manifest = {
        "apiVersion": API_VERSION,
        "kind": "ScheduledTask",
        "metadata": {"name": _name(name), "namespace": call.namespace},
        "spec": spec_of(body),
    }
    try:
        objects.create(SCHEDULED_TASKS, manifest, call.namespace)
    except AlreadyExists as exc:
        raise ApiError("ConflictException", f"Schedule {name} already exists.", 409) from exc
    return {"ScheduleArn": schedule_arn(call, name)}


def _get(name: str, call: Call) -> Obj:
    """The schedule; one being deleted (the operator still holds it to stop its daemon) is gone
    for Scheduler's callers: DeleteSchedule has returned, so GetSchedule says it does not exist."""
    try:
        obj = objects.get(SCHEDULED_TASKS, _name(name), call.namespace)
    except NotFound as exc:
        raise _not_found(name) from exc
    if obj["metadata"].get("deletionTimestamp"):
        raise _not_found(name)
    return obj


def get(name: str, call: Call) -> dict[str, Any]:
    return schedule_view(_get(name, call), call)


def update(name: str, body: Mapping[str, Any], call: Call) -> dict[str, Any]:
    current = _get(name, call)
    spec = spec_of(body)
    patch = {k: None for k in current.get("spec") or {} if k not in spec} | spec
    body_patch = {"metadata": {"resourceVersion": current["metadata"]["resourceVersion"]}, "spec": patch}
    objects.patch(SCHEDULED_TASKS, name, body_patch, call.namespace)
    return {"ScheduleArn": schedule_arn(call, name)}


def delete(name: str, call: Call) -> dict[str, Any]:
    _get(name, call)
    objects.delete(SCHEDULED_TASKS, name, call.namespace)
    return {}


def list_schedules(query: Mapping[str, str], call: Call) -> dict[str, Any]:
    prefix, state = query.get("NamePrefix") or "", query.get("State")
    items = sorted(
        (
            o
            for o in objects.list_objects(SCHEDULED_TASKS, call.namespace)
            if o["metadata"]["name"].startswith(prefix) and not o["metadata"].get("deletionTimestamp")
        ),
        key=lambda o: str(o["metadata"]["name"]),
    )
    if state:
        items = [o for o in items if (o.get("spec") or {}).get("state", "ENABLED") == state]
    most = int(query["MaxResults"]) if query.get("MaxResults", "").isdigit() else None
    names = [o["metadata"]["name"] for o in items]
    chunk, token = views.page(names, query.get("NextToken"), most)
    by_name = {o["metadata"]["name"]: o for o in items}
    summaries = [
        {
            "Arn": schedule_arn(call, n),
            "Name": n,
            "GroupName": "default",
            "State": (by_name[n].get("spec") or {}).get("state", "ENABLED"),
            "CreationDate": views.epoch(by_name[n]["metadata"].get("creationTimestamp")),
            "Target": {"Arn": call.arns.cluster(str((by_name[n].get("spec") or {}).get("cluster") or ""))},
        }
        for n in chunk
    ]
    return {"Schedules": summaries, **({"NextToken": token} if token else {})}


def dispatch(
    method: str, path: str, query: Mapping[str, str], body: Mapping[str, Any], call: Call
) -> dict[str, Any]:
    """The operation a REST request names, run; ValidationException for any other path."""
    parts = [p for p in path.split("/") if p]
    if parts == ["schedules"] and method == "GET":
        return list_schedules(query, call)
    if len(parts) == 2 and parts[0] == "schedules":
        from urllib.parse import unquote

        name = unquote(parts[1])
        if method == "POST":
            return create(name, body, call)
        if method == "GET":
            return get(name, call)
        if method == "PUT":
            return update(name, body, call)
        if method == "DELETE":
            return delete(name, call)
    raise ApiError(
        "UnsupportedOperationException",
        f"{method} {path} is not supported by this EventBridge Scheduler endpoint (ecs-operator): only schedules.",
        400,
    )
