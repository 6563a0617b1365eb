"""ListServiceDeployments, DescribeServiceDeployments and DescribeServiceRevisions from an
EcsService's deployment history.

Why from ``status.deploymentHistory``: the service pass records every deployment there when it is
first listed and keeps it after it has finished (`reconcile.service.history`: its status rules,
and its bounds: the last 10 finished ones within 90 days), so a finished deployment is still
listed and described, as in ECS. Each record is a service deployment and the service revision it
rolled out; both ids are the number of the deployment's ``ecs-svc/<number>``::

    arn:aws:ecs:<region>:<account>:service-deployment/<cluster>/<service>/<number>
    arn:aws:ecs:<region>:<account>:service-revision/<cluster>/<service>/<number>

Where this differs from ECS [I]: a revision holds the task definition, launch type, capacity
provider strategy and load balancers (the service has no network configuration or platform
version here); ``sourceServiceRevisions`` are the deployments still listed when it started; task
counts are those of deployments still listed (0 once gone); ``deploymentConfiguration`` is the
service's current one.
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

MAX_DESCRIBE = 20
BREAKER_REASON = "ECS deployment circuit breaker"


def number(deployment_id: str) -> str:
    """``ecs-svc/42`` → ``42``: the id in both ARNs."""
    return deployment_id.rsplit("/", 1)[-1]


def _names(service: Obj) -> tuple[str, str]:
    return str(service["spec"]["cluster"]), str(service["metadata"]["name"])


def records(service: Obj) -> list[dict[str, Any]]:
    """The service's deployment records, newest first."""
    return list((service.get("status") or {}).get("deploymentHistory") or [])


def _listed(service: Obj) -> dict[str, Mapping[str, Any]]:
    return {str(d.get("id")): d for d in (service.get("status") or {}).get("deployments") or []}


def _compact(view: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in view.items() if v is not None}


def brief(service: Obj, record: Mapping[str, Any], arns: Arns) -> dict[str, Any]:
    """ListServiceDeployments' ``serviceDeployments[]`` entry."""
    cluster, name = _names(service)
    created = views.epoch(record.get("createdAt"))
    return _compact(
        {
            "serviceDeploymentArn": arns.service_deployment(cluster, name, number(str(record["id"]))),
            "serviceArn": arns.service(cluster, name),
            "clusterArn": arns.cluster(cluster),
            "createdAt": created,
            "startedAt": created,
            "finishedAt": views.epoch(record.get("finishedAt")),
            "targetServiceRevisionArn": arns.service_revision(cluster, name, number(str(record["id"]))),
            "status": record.get("status"),
            "statusReason": record.get("statusReason"),
        }
    )


def _summary(service: Obj, deployment_id: str, arns: Arns) -> dict[str, Any]:
    """A ServiceRevisionSummary: the revision's ARN and its deployment's task counts."""
    live = _listed(service).get(deployment_id) or {}
    return {
        "arn": arns.service_revision(*_names(service), number(deployment_id)),
        "requestedTaskCount": int(live.get("desiredCount") or 0),
        "runningTaskCount": int(live.get("runningCount") or 0),
        "pendingTaskCount": int(live.get("pendingCount") or 0),
    }


def _breaker(record: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any] | None:
    breaker = config.get("deploymentCircuitBreaker")
    if not breaker:
        return None
    if not breaker.get("enable"):
        return {"status": "DISABLED"}
    if record.get("rollback") or str(record.get("statusReason") or "").startswith(BREAKER_REASON):
        return {"status": "TRIGGERED"}
    return {"status": "MONITORING" if record.get("status") == "IN_PROGRESS" else "MONITORING_COMPLETE"}


def detail(service: Obj, record: Mapping[str, Any], arns: Arns) -> dict[str, Any]:
    """DescribeServiceDeployments' ``serviceDeployments[]`` entry."""
    view = brief(service, record, arns)
    view.pop("targetServiceRevisionArn")
    finished = view.get("finishedAt")
    live = _listed(service).get(str(record["id"])) or {}
    view["updatedAt"] = finished or views.epoch(live.get("updatedAt")) or view.get("createdAt")
    if record.get("status") == "STOPPED":
        view["stoppedAt"] = finished
    view["sourceServiceRevisions"] = [_summary(service, str(s), arns) for s in record.get("sources") or []]
    view["targetServiceRevision"] = _summary(service, str(record["id"]), arns)
    rollback = record.get("rollback")
    if rollback:
        view["rollback"] = {
            "reason": rollback.get("reason"),
            "startedAt": views.epoch(rollback.get("startedAt")),
            "serviceRevisionArn": arns.service_revision(
                *_names(service), number(str(rollback.get("target")))
            ),
        }
    config = (service.get("spec") or {}).get("deploymentConfiguration") or {}
    if config:
        view["deploymentConfiguration"] = config
    view["deploymentCircuitBreaker"] = _breaker(record, config)
    return _compact(view)


def revision(service: Obj, record: Mapping[str, Any], arns: Arns) -> dict[str, Any]:
    """DescribeServiceRevisions' ``serviceRevisions[]`` entry."""
    cluster, name = _names(service)
    family, _, rev = str(record.get("taskDefinition") or "").partition(":")
    balancers = [
        {k: lb[k] for k in ("containerName", "containerPort") if k in lb}
        for lb in record.get("loadBalancers") or []
    ]
    return _compact(
        {
            "serviceRevisionArn": arns.service_revision(cluster, name, number(str(record["id"]))),
            "serviceArn": arns.service(cluster, name),
            "clusterArn": arns.cluster(cluster),
            "taskDefinition": arns.task_definition(family, rev or "latest") if family else None,
            "launchType": record.get("launchType"),
            "capacityProviderStrategy": record.get("capacityProviderStrategy"),
            "loadBalancers": balancers,
            "createdAt": views.epoch(record.get("createdAt")),
        }
    )


def list_service_deployments(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    cluster = cluster_name(params)
    cluster_must_exist(cluster)
    service = find_service(cluster, str(views.require(params, "service")), call.namespace)
    wanted = set(views.string_list(params, "status", 10))
    window = params.get("createdAt") or {}
    after, before = views.epoch(window.get("after")), views.epoch(window.get("before"))
    entries = []
    for record in records(service):
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


def parse_arn(arn: str, kind: str = "service-deployment") -> tuple[str, str, str]:
    """(cluster, service, number) of a service deployment (or `kind`: service revision) ARN."""
    parts = arn.split(":", 5)
    found, _, rest = (parts[5] if len(parts) == 6 else "").partition("/")
    segments = rest.split("/")
    if found != kind or len(segments) != 3 or not all(segments):
        raise invalid(f"Invalid {kind.replace('-', ' ')} ARN: {arn}")
    return segments[0], segments[1], segments[2]


def _describe(
    params: Mapping[str, Any], call: Call, field: str, kind: str, view: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The records `field`'s ARNs of `kind` name, each as `view` makes it; MISSING failures."""
    given = views.string_list(params, field, MAX_DESCRIBE)
    if not given:
        raise invalid(f"{field} can not be empty.")
    found, failures = [], []
    for arn in given:
        cluster, name, wanted = parse_arn(arn, kind)
        try:
            service = find_service(cluster, resource_id(name, "service"), call.namespace)
        except ApiError:
            failures.append(views.failure(arn, "MISSING"))
            continue
        record = next((r for r in records(service) if number(str(r.get("id", ""))) == wanted), None)
        if record is None:
            failures.append(views.failure(arn, "MISSING"))
        else:
            found.append(view(service, record, call.arns))
    return found, failures


def describe_service_deployments(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    found, failures = _describe(params, call, "serviceDeploymentArns", "service-deployment", detail)
    return {"serviceDeployments": found, "failures": failures}


def describe_service_revisions(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    found, failures = _describe(params, call, "serviceRevisionArns", "service-revision", revision)
    return {"serviceRevisions": found, "failures": failures}


OPERATIONS: dict[str, Operation] = {
    "ListServiceDeployments": list_service_deployments,
    "DescribeServiceDeployments": describe_service_deployments,
    "DescribeServiceRevisions": describe_service_revisions,
}
