"""Custom resources → ECS response shapes (pure), and the request checks ECS makes first.

Field names are ECS's (botocore's service model for ``ecs``); timestamps are epoch seconds (JSON
numbers: some SDKs refuse ISO strings); ARNs come from `arns.Arns`. The task view starts from
`cli.tasks.task_view` (what `kubectl ecs describe-tasks` shows) and puts ARNs and numbers where
the wire wants them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ecs_operator.cli import tasks as ctasks
from ecs_operator.ecsapi.arns import Arns, instance_id
from ecs_operator.ecsapi.errors import invalid
from ecs_operator.names import CLUSTER_SETTINGS_ANNOTATION

TIMESTAMPS = ("createdAt", "startedAt", "stoppingAt", "stoppedAt", "pullStartedAt", "pullStoppedAt")


def epoch(value: Any) -> float | None:
    """An RFC 3339 string (what the objects hold) as epoch seconds; numbers pass through."""
    if value is None or isinstance(value, int | float):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _compact(view: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in view.items() if v is not None}


CLUSTER_SETTINGS = CLUSTER_SETTINGS_ANNOTATION
"""The annotation of an EcsCluster that keeps its ECS settings (see `ecsapi.settings`)."""


def json_annotation(obj: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The JSON object an annotation holds; empty when absent or not a JSON object."""
    text = ((obj.get("metadata") or {}).get("annotations") or {}).get(key)
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def cluster_settings(obj: Mapping[str, Any]) -> dict[str, Any]:
    """``settings``, ``configuration`` and ``serviceConnectDefaults`` as UpdateCluster stored them."""
    return json_annotation(obj, CLUSTER_SETTINGS)


def cluster_view(
    obj: Mapping[str, Any], arns: Arns, settings: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """DescribeClusters' ``clusters[]`` entry; `settings` (``settings``, ``configuration``,
    ``serviceConnectDefaults``) where the caller asked for them."""
    name, spec, status = obj["metadata"]["name"], obj.get("spec") or {}, obj.get("status") or {}
    return _compact(
        {
            "clusterArn": arns.cluster(name),
            "clusterName": name,
            "status": status.get("status") or "PROVISIONING",
            "registeredContainerInstancesCount": status.get("registeredContainerInstancesCount", 0),
            "runningTasksCount": status.get("runningTasksCount", 0),
            "pendingTasksCount": status.get("pendingTasksCount", 0),
            "activeServicesCount": status.get("activeServicesCount", 0),
            "capacityProviders": list(spec.get("capacityProviders") or []),
            "defaultCapacityProviderStrategy": [
                {
                    "capacityProvider": i["capacityProvider"],
                    "base": i.get("base", 0),
                    "weight": i.get("weight", 0),
                }
                for i in spec.get("defaultCapacityProviderStrategy") or []
            ],
            **dict(settings or {}),
        }
    )


def task_view(task: Mapping[str, Any], arns: Arns) -> dict[str, Any]:
    """DescribeTasks' ``tasks[]`` entry."""
    view = ctasks.task_view(task)
    cluster = str(view.get("clusterArn") or "")
    view["clusterArn"] = arns.cluster(cluster)
    view["taskArn"] = arns.task(cluster, task["metadata"]["name"])
    family, _, revision = str(view.get("taskDefinitionArn") or "").partition(":")
    if family:
        view["taskDefinitionArn"] = arns.task_definition(family, revision or "latest")
    if view.get("containerInstanceArn"):
        view["containerInstanceArn"] = arns.container_instance(
            cluster, instance_id(cluster, str(view["containerInstanceArn"]))
        )
    for key in TIMESTAMPS:
        if key in view:
            view[key] = epoch(view[key])
    view["containers"] = [
        _compact(
            {
                "name": c.get("name"),
                "taskArn": view["taskArn"],
                "lastStatus": c.get("lastStatus"),
                "exitCode": c.get("exitCode"),
                "reason": c.get("reason"),
                "healthStatus": c.get("healthStatus"),
            }
        )
        for c in view.get("containers") or []
    ]
    for internal in ("failures", "podName"):  # not fields of ECS's Task
        view.pop(internal, None)
    return _compact(view)


def failure(arn: str, reason: str, detail: str | None = None) -> dict[str, Any]:
    return _compact({"arn": arn, "reason": reason, "detail": detail})


def run_task_failures(tasks: Sequence[Mapping[str, Any]], arns: Arns) -> list[dict[str, Any]]:
    """RunTask's ``failures[]``: `cli.tasks.task_failures`, with the task's ARN for the object's
    ``namespace/name`` (a failure that names a container instance keeps that name)."""
    out = []
    for task in tasks:
        cluster = str((task.get("spec") or {}).get("cluster") or "")
        own = f"{task['metadata']['namespace']}/{task['metadata']['name']}"
        for entry in ctasks.task_failures(task):
            arn = arns.task(cluster, task["metadata"]["name"]) if entry["arn"] == own else entry["arn"]
            out.append(failure(arn, str(entry["reason"]), entry.get("detail")))
    return out


def task_definition_view(
    family: str, revision: int, snapshot: Mapping[str, Any], status: str, registered_at: Any, arns: Arns
) -> dict[str, Any]:
    view = dict(snapshot)
    view.update(
        {
            "taskDefinitionArn": arns.task_definition(family, revision),
            "family": family,
            "revision": revision,
            "status": status,
            "registeredAt": epoch(registered_at),
        }
    )
    return _compact(view)


# ---- requests -----------------------------------------------------------------------------------


def page(
    items: Sequence[str], next_token: str | None, max_results: int | None, limit: int = 100, default: int = 0
) -> Any:
    """(``items`` of this page, the next token or None): ECS's opaque tokens, here an offset. A page
    holds `max_results` (1 to `limit`), else `default` (else `limit`) items."""
    if max_results is not None and not 1 <= max_results <= limit:
        raise invalid(f"maxResults must be between 1 and {limit}.")
    size = max_results or default or limit
    start = 0
    if next_token:
        try:
            start = int(base64.urlsafe_b64decode(next_token.encode()).decode())
        except ValueError as exc:
            raise invalid("Invalid nextToken.") from exc
    chunk = list(items[start : start + size])
    more = start + size < len(items)
    token = base64.urlsafe_b64encode(str(start + size).encode()).decode() if more else None
    return chunk, token


def require(params: Mapping[str, Any], name: str) -> Any:
    value = params.get(name)
    if value is None or value == "":
        raise invalid(f"{name} can not be blank.")
    return value


def string_list(params: Mapping[str, Any], name: str, most: int) -> list[str]:
    value = params.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(f"{name} must be a list of strings.")
    if len(value) > most:
        raise invalid(f"{name} can have at most {most} elements.")
    return value


def placement(params: Mapping[str, Any]) -> tuple[list[Any], list[Any]]:
    """(placementStrategy, placementConstraints) of a request, within ECS's limits (5 and 10)."""
    strategies = params.get("placementStrategy") or []
    constraints = params.get("placementConstraints") or []
    if len(strategies) > 5:
        raise invalid("placementStrategy can have at most 5 elements.")
    if len(constraints) > 10:
        raise invalid("placementConstraints can have at most 10 elements.")
    return list(strategies), list(constraints)


CLUSTER_SETTING_VALUES = {"containerInsights": ("enhanced", "enabled", "disabled")}


def check_cluster_settings(items: Any) -> list[dict[str, str]]:
    if not isinstance(items, list):
        raise invalid("settings must be a list.")
    out = []
    for item in items:
        name, value = str(item.get("name") or ""), str(item.get("value") or "")
        allowed = CLUSTER_SETTING_VALUES.get(name)
        if allowed is None:
            raise invalid(f"Invalid cluster setting name: {name}.")
        if value not in allowed:
            raise invalid(f"Invalid value for {name}: {value}. Valid values: {', '.join(allowed)}.")
        out.append({"name": name, "value": value})
    return out


def _taskdef_arn(text: str, arns: Arns) -> str | None:
    family, _, revision = text.partition(":")
    return arns.task_definition(family, revision or "latest") if family else None


def service_view(service: Mapping[str, Any], base: Mapping[str, Any], arns: Arns) -> dict[str, Any]:
    """DescribeServices' ``services[]`` entry: `base` (what `cli.services.service_view` makes of
    the object, as `kubectl ecs describe-services` shows it) with ARNs and epoch timestamps."""
    view = dict(base)
    wanted = (service.get("spec") or {}).get("desiredCount")
    if wanted is not None:  # what the caller asked for, at once (as UpdateService answers in ECS)
        view["desiredCount"] = wanted
    cluster = str(view.get("clusterArn") or "")
    view["clusterArn"] = arns.cluster(cluster)
    view["serviceArn"] = arns.service(cluster, service["metadata"]["name"])
    view["taskDefinition"] = _taskdef_arn(str(view.get("taskDefinition") or ""), arns)
    view["createdAt"] = epoch(service["metadata"].get("creationTimestamp"))
    view["deployments"] = [
        _compact(
            {
                **d,
                "taskDefinition": _taskdef_arn(str(d.get("taskDefinition") or ""), arns),
                "createdAt": epoch(d.get("createdAt")),
                "updatedAt": epoch(d.get("updatedAt")),
            }
        )
        for d in view.get("deployments") or []
    ]
    view["events"] = [{**e, "createdAt": epoch(e.get("createdAt"))} for e in view.get("events") or []]
    return _compact(view)
