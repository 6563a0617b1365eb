"""CreateService, DescribeServices, UpdateService, DeleteService and ListServices on EcsService.

A service is an EcsService of the caller's namespace; its name is the service's name. What the
objects do not hold (service registries, network configuration, capacity providers, tags) is not
kept: see the README's table.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ecs_operator.api.meta import API_VERSION
from ecs_operator.api.service import EcsServiceSpec
from ecs_operator.cli.services import service_view as cli_view
from ecs_operator.ecsapi import views
from ecs_operator.ecsapi.arns import resource_id
from ecs_operator.ecsapi.errors import ApiError, invalid
from ecs_operator.ecsapi.operations import Call, Operation, cluster_must_exist, cluster_name
from ecs_operator.kube import objects
from ecs_operator.kube.errors import AlreadyExists, NotFound
from ecs_operator.kube.objects import SERVICES, Obj
from ecs_operator.names import MICRO_TIME_FORMAT

SPEC_KEYS = tuple(f.alias or name for name, f in EcsServiceSpec.model_fields.items())


def _view(obj: Obj, call: Call) -> dict[str, Any]:
    return views.service_view(obj, cli_view(obj), call.arns)


UPDATABLE = (
    "desiredCount",
    "taskDefinition",
    "deploymentConfiguration",
    "placementStrategy",
    "placementConstraints",
    "healthCheckGracePeriodSeconds",
)


def _service(cluster: str, given: str, namespace: str) -> Obj:
    try:
        obj = objects.get(SERVICES, resource_id(given, "service"), namespace)
    except NotFound as exc:
        raise ApiError("ServiceNotFoundException", "Service not found.") from exc
    if (obj.get("spec") or {}).get("cluster") != cluster:
        raise ApiError("ServiceNotFoundException", "Service not found.")
    return obj


def _check_limits(params: Mapping[str, Any]) -> None:
    if len(params.get("placementStrategy") or []) > 5:
        raise invalid("placementStrategy can have at most 5 elements.")
    if len(params.get("placementConstraints") or []) > 10:
        raise invalid("placementConstraints can have at most 10 elements.")
    count = params.get("desiredCount")
    if count is not None and (not isinstance(count, int) or count < 0):
        raise invalid("desiredCount must be 0 or more.")


def create_service(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    name = str(views.require(params, "serviceName"))
    cluster = cluster_name(params)
    _check_limits(params)
    cluster_must_exist(cluster)
    spec = {k: params[k] for k in SPEC_KEYS if k in params and k not in ("cluster", "forceNewDeployment")}
    spec["cluster"] = cluster
    if "taskDefinition" in spec:
        spec["taskDefinition"] = resource_id(str(spec["taskDefinition"]), "task-definition")
    if "loadBalancers" in spec:  # the objects keep the container; target groups are AWS's
        spec["loadBalancers"] = [
            {k: lb[k] for k in ("containerName", "containerPort") if k in lb} for lb in spec["loadBalancers"]
        ]
    body = {
        "apiVersion": API_VERSION,
        "kind": "EcsService",
        "metadata": {"name": name, "namespace": call.namespace},
        "spec": spec,
    }
    try:
        created = objects.create(SERVICES, body, call.namespace)
    except AlreadyExists as exc:
        raise invalid("Creation of service was not idempotent.") from exc
    return {"service": _view(created, call)}


def describe_services(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    cluster = cluster_name(params)
    given = views.string_list(params, "services", 10)
    if not given:
        raise invalid("Services cannot be empty.")
    cluster_must_exist(cluster)
    found, failures = [], []
    for text in given:
        try:
            found.append(_view(_service(cluster, text, call.namespace), call))
        except ApiError:
            failures.append(
                views.failure(call.arns.service(cluster, resource_id(text, "service")), "MISSING")
            )
    return {"services": found, "failures": failures}


def update_service(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    cluster = cluster_name(params)
    _check_limits(params)
    cluster_must_exist(cluster)
    current = _service(cluster, str(views.require(params, "service")), call.namespace)
    if (current.get("status") or {}).get("status", "ACTIVE") != "ACTIVE" or current["metadata"].get(
        "deletionTimestamp"
    ):
        raise ApiError("ServiceNotActiveException", "Service was not ACTIVE.")
    spec = {k: params[k] for k in UPDATABLE if k in params}
    if "taskDefinition" in spec:
        spec["taskDefinition"] = resource_id(str(spec["taskDefinition"]), "task-definition")
    if params.get("forceNewDeployment"):
        spec["forceNewDeployment"] = datetime.now(UTC).strftime(MICRO_TIME_FORMAT)
    patch = {"metadata": {"resourceVersion": current["metadata"]["resourceVersion"]}, "spec": spec}
    updated = objects.patch(SERVICES, current["metadata"]["name"], patch, call.namespace) if spec else current
    return {"service": _view(updated, call)}


def delete_service(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    cluster = cluster_name(params)
    cluster_must_exist(cluster)
    current = _service(cluster, str(views.require(params, "service")), call.namespace)
    spec = current.get("spec") or {}
    scaled = spec.get("schedulingStrategy", "REPLICA") == "REPLICA" and int(spec.get("desiredCount") or 0) > 0
    if scaled and not params.get("force"):
        raise invalid("The service cannot be stopped while it is scaled above 0.")
    objects.delete(SERVICES, current["metadata"]["name"], call.namespace)
    view = _view(current, call)
    view["status"] = "DRAINING"
    return {"service": view}


def list_services(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    cluster = cluster_name(params)
    cluster_must_exist(cluster)
    launch, strategy = params.get("launchType"), params.get("schedulingStrategy")
    names = sorted(
        o["metadata"]["name"]
        for o in objects.list_objects(SERVICES, call.namespace)
        if (o.get("spec") or {}).get("cluster") == cluster
        and (not launch or (o.get("spec") or {}).get("launchType", "EC2") == launch)
        and (not strategy or (o.get("spec") or {}).get("schedulingStrategy", "REPLICA") == strategy)
    )
    chunk, token = views.page(
        [call.arns.service(cluster, n) for n in names], params.get("nextToken"), params.get("maxResults")
    )
    return {"serviceArns": chunk, **({"nextToken": token} if token else {})}


OPERATIONS: dict[str, Operation] = {
    "CreateService": create_service,
    "DescribeServices": describe_services,
    "UpdateService": update_service,
    "DeleteService": delete_service,
    "ListServices": list_services,
}
