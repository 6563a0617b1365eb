"""ListServiceDeployments and DescribeServiceDeployments from an EcsService's deployments.

Why only what the status holds: the service's status lists its PRIMARY deployment and the older
ones that still have tasks (as DescribeServices' ``deployments[]``); a deployment whose tasks are
gone is no longer kept, so ECS's history of finished deployments is not here. Each record becomes
a service deployment: ``arn:aws:ecs:<region>:<account>:service-deployment/<cluster>/<service>/<id>``
(the id is the number of the deployment's ``ecs-svc/<number>``), with ECS's statuses:

    PRIMARY, rollout IN_PROGRESS  → IN_PROGRESS
    rollout COMPLETED             → SUCCESSFUL
    rollout FAILED                → STOPPED (statusReason: the rollout's reason)
    ACTIVE, rollout IN_PROGRESS   → STOPPED (a newer deployment replaced it before it finished)

There are no service revisions here, so ``targetServiceRevision`` carries the counts but no ARN.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecs_operator.ecsapi import views
from ecs_operator.ecsapi.arns import Arns, resource_id
from ecs_operator.ecsapi.errors import ApiError, invalid
from ecs_operator.ecsapi.operations import Call, Operation, cluster_must_exist, cluster_name
from ecs_operator.ecsapi.services import find_service
from ecs_operator.kube.objects import Obj

SUPERSEDED = "A newer deployment of the service replaced this one."
MAX_DESCRIBE = 20


def deployment_status(record: Mapping[str, Any]) -> tuple[str, str | None]:
    """(ECS ServiceDeploymentStatus, statusReason) of one deployment record (table above)."""
    rollout = record.get("rolloutState") or "IN_PROGRESS"
    if rollout == "COMPLETED":
        return "SUCCESSFUL", None
    if rollout == "FAILED":
        return "STOPPED", record.get("rolloutStateReason")
    if record.get("status") == "PRIMARY":
        return "IN_PROGRESS", None
    return "STOPPED", SUPERSEDED


def deployment_arn(arns: Arns, cluster: str, service: str, deployment_id: str) -> str:
    return arns.service_deployment(cluster, service, deployment_id.rsplit("/", 1)[-1])


def brief(service: Obj, record: Mapping[str, Any], arns: Arns) -> dict[str, Any]:
    """ListServiceDeployments' ``serviceDeployments[]`` entry."""
    cluster, name = str(service["spec"]["cluster"]), str(service["metadata"]["name"])
    status, reason = deployment_status(record)
    created = views.epoch(record.get("createdAt"))
    finished = views.epoch(record.get("updatedAt")) if status != "IN_PROGRESS" else None
    view = {
        "serviceDeploymentArn": deployment_arn(arns, cluster, name, str(record.get("id") or "")),
        "serviceArn": arns.service(cluster, name),
        "clusterArn": arns.cluster(cluster),
        "createdAt": created,
        "startedAt": created,
        "finishedAt": finished,
        "status": status,
        "statusReason": reason,
    }
    return {k: v for k, v in view.items() if v is not None}


def detail(service: Obj, record: Mapping[str, Any], arns: Arns) -> dict[str, Any]:
    """DescribeServiceDeployments' ``serviceDeployments[]`` entry."""
    view = brief(service, record, arns)
    view["updatedAt"] = views.epoch(record.get("updatedAt")) or view.get("createdAt")
    view["targetServiceRevision"] = {
        "requestedTaskCount": int(record.get("desiredCount") or 0),
        "runningTaskCount": int(record.get("runningCount") or 0),
        "pendingTaskCount": int(record.get("pendingCount") or 0),
    }
    config = (service.get("spec") or {}).get("deploymentConfiguration")
    if config:
        view["deploymentConfiguration"] = config
        breaker = config.get("deploymentCircuitBreaker")
        if breaker:
            view["deploymentCircuitBreaker"] = {
                "status": "MONITORING" if breaker.get("enable") else "DISABLED"
            }
    return {k: v for k, v in view.items() if v is not None}


def _records(service: Obj) -> list[dict[str, Any]]:
    return list((service.get("status") or {}).get("deployments") or [])


def list_service_deployments(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    cluster = cluster_name(params)
    cluster_must_exist(cluster)
    service = find_service(cluster, str(views.require(params, "service")), call.namespace)
    wanted = set(views.string_list(params, "status", 10))
    window = params.get("createdAt") or {}
    after, before = views.epoch(window.get("after")), views.epoch(window.get("before"))
    entries = []
    for record in _records(service):
        entry = brief(service, record, call.arns)
        created = entry.get("createdAt")
        if wanted and entry["status"] not in wanted:
            continue
        if created is not None and (
            (after is not None and created < after) or (before is not None and created > before)
        ):
            continue
        entries.append(entry)
    by_arn = {e["serviceDeploymentArn"]: e for e in entries}
    chunk, token = views.page(list(by_arn), params.get("nextToken"), params.get("maxResults"), default=20)
    return {"serviceDeployments": [by_arn[a] for a in chunk], **({"nextToken": token} if token else {})}


def parse_arn(arn: str) -> tuple[str, str, str]:
    """(cluster, service, deployment number) of a service deployment ARN."""
    parts = arn.split(":", 5)
    kind, _, rest = (parts[5] if len(parts) == 6 else "").partition("/")
    segments = rest.split("/")
    if kind != "service-deployment" or len(segments) != 3 or not all(segments):
        raise invalid(f"Invalid service deployment ARN: {arn}")
    return segments[0], segments[1], segments[2]


def describe_service_deployments(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    given = views.string_list(params, "serviceDeploymentArns", MAX_DESCRIBE)
    if not given:
        raise invalid("serviceDeploymentArns can not be empty.")
    found, failures = [], []
    for arn in given:
        cluster, name, number = parse_arn(arn)
        try:
            service = find_service(cluster, resource_id(name, "service"), call.namespace)
        except ApiError:
            failures.append(views.failure(arn, "MISSING"))
            continue
        record = next(
            (r for r in _records(service) if str(r.get("id", "")).rsplit("/", 1)[-1] == number), None
        )
        if record is None:
            failures.append(views.failure(arn, "MISSING"))
        else:
            found.append(detail(service, record, call.arns))
    return {"serviceDeployments": found, "failures": failures}


OPERATIONS: dict[str, Operation] = {
    "ListServiceDeployments": list_service_deployments,
    "DescribeServiceDeployments": describe_service_deployments,
}
