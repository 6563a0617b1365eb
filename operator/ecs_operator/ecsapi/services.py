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
from ecs_operator.ecsapi.operations import (
    Call,
    Operation,
    cluster_must_exist,
    cluster_name,
    describe_in_cluster,
)
from ecs_operator.kube import objects
from ecs_operator.kube.errors import AlreadyExists, NotFound
from ecs_operator.kube.objects import SERVICES, Obj
from ecs_operator.names import CLIENT_TOKEN_LABEL, MICRO_TIME_FORMAT

TOKEN_ANNOTATION = CLIENT_TOKEN_LABEL
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
    "capacityProviderStrategy",
    "loadBalancers",
    "availabilityZoneRebalancing",
)


def find_service(cluster: str, given: str, namespace: str) -> Obj:
    try:
        obj = objects.get(SERVICES, resource_id(given, "service"), namespace)
    except NotFound as exc:
        raise ApiError("ServiceNotFoundException", "Service not found.") from exc
    if (obj.get("spec") or {}).get("cluster") != cluster:
        raise ApiError("ServiceNotFoundException", "Service not found.")
    return obj


def _check_limits(params: Mapping[str, Any]) -> None:
    views.placement(params)
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
    _to_objects(spec)
    token = params.get("clientToken")
    if token is not None and not (isinstance(token, str) and 1 <= len(token) <= 36):
        raise invalid("clientToken must be 1-36 characters.")
    metadata: dict[str, Any] = {"name": name, "namespace": call.namespace}
    if token:
        metadata["annotations"] = {TOKEN_ANNOTATION: token}
    body = {"apiVersion": API_VERSION, "kind": "EcsService", "metadata": metadata, "spec": spec}
    try:
        created = objects.create(SERVICES, body, call.namespace)
    except AlreadyExists as exc:
        existing = objects.get(SERVICES, name, call.namespace)
        if not same_request(existing, spec, token):
            raise invalid("Creation of service was not idempotent.") from exc
        created = existing  # the same CreateService again: ECS answers with the service it made
    return {"service": _view(created, call)}


def _to_objects(spec: dict[str, Any]) -> None:
    """The request's fields as the object holds them: a task definition by family:revision, load
    balancers by container (target groups are AWS's)."""
    if "taskDefinition" in spec:
        spec["taskDefinition"] = resource_id(str(spec["taskDefinition"]), "task-definition")
    if "loadBalancers" in spec:
        spec["loadBalancers"] = [
            {k: lb[k] for k in ("containerName", "containerPort") if k in lb} for lb in spec["loadBalancers"]
        ]


def same_request(existing: Obj, spec: Mapping[str, Any], token: str | None) -> bool:
    """ECS's CreateService idempotency: a service of that name made by the same request (the same
    clientToken, when one is given, and the same fields) is answered again; anything else is not
    idempotent. The fields compared are the request's; the object's defaults do not count."""
    annotations = existing["metadata"].get("annotations") or {}
    if token and annotations.get(TOKEN_ANNOTATION) != token:
        return False
    if existing["metadata"].get("deletionTimestamp"):
        return False
    held = existing.get("spec") or {}
    return all(held.get(k) == v for k, v in spec.items())


def describe_services(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    def describe(cluster: str, text: str) -> dict[str, Any] | None:
        try:
            return _view(find_service(cluster, text, call.namespace), call)
        except ApiError:
            return None

    found, failures = describe_in_cluster(
        params,
        "services",
        10,
        "Services cannot be empty.",
        describe,
        lambda cluster, text: call.arns.service(cluster, resource_id(text, "service")),
    )
    return {"services": found, "failures": failures}


def update_service(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    cluster = cluster_name(params)
    _check_limits(params)
    cluster_must_exist(cluster)
    current = find_service(cluster, str(views.require(params, "service")), call.namespace)
    if (current.get("status") or {}).get("status", "ACTIVE") != "ACTIVE" or current["metadata"].get(
        "deletionTimestamp"
    ):
        raise ApiError("ServiceNotActiveException", "Service was not ACTIVE.")
    spec = {k: params[k] for k in UPDATABLE if k in params}
    _to_objects(spec)
    if params.get("forceNewDeployment"):
        spec["forceNewDeployment"] = datetime.now(UTC).strftime(MICRO_TIME_FORMAT)
    patch = {"metadata": {"resourceVersion": current["metadata"]["resourceVersion"]}, "spec": spec}
    updated = objects.patch(SERVICES, current["metadata"]["name"], patch, call.namespace) if spec else current
    return {"service": _view(updated, call)}


def delete_service(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    cluster = cluster_name(params)
    cluster_must_exist(cluster)
    current = find_service(cluster, str(views.require(params, "service")), call.namespace)
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
