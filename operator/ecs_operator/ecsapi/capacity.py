"""Capacity provider operations on EcsCapacityProvider and the EcsCluster's provider fields.

CreateCapacityProvider, DescribeCapacityProviders, UpdateCapacityProvider, DeleteCapacityProvider
and PutClusterCapacityProviders. ECS's provider is an Auto Scaling group; here it is the nodes its
`nodeSelector` matches. An ``autoScalingGroupArn`` names the group, and the group's nodes are those
labelled ``ecs-operator.dev/auto-scaling-group=<group name>`` (as CreateCluster's are those
labelled with the cluster's name); DescribeCapacityProviders gives that ARN back. The built-in
FARGATE and FARGATE_SPOT need no object and can be neither created, updated nor deleted. The API
server's admission rules (a default strategy only of associated providers, one base, a weight
above zero, at most 20 providers) answer PutClusterCapacityProviders with ECS's words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecs_operator.api.meta import API_VERSION
from ecs_operator.cli.capacity import BUILT_IN
from ecs_operator.ecsapi import views
from ecs_operator.ecsapi.arns import resource_id
from ecs_operator.ecsapi.errors import ApiError, invalid
from ecs_operator.ecsapi.operations import Call, Operation, cluster_must_exist
from ecs_operator.kube import objects, plugin
from ecs_operator.kube.errors import AlreadyExists, NotFound
from ecs_operator.kube.objects import CAPACITY_PROVIDERS, CLUSTERS, SERVICES, Obj
from ecs_operator.names import AUTO_SCALING_GROUP_LABEL

GROUP_LABEL = AUTO_SCALING_GROUP_LABEL
RESERVED_PREFIXES = ("aws", "ecs", "fargate")
RESERVED = 'The name can\'t be prefixed with "aws", "ecs", or "fargate".'
BUILT_IN_CHANGE = "The FARGATE and FARGATE_SPOT capacity providers are reserved and cannot be changed."
IN_USE = (
    "The specified capacity provider is in use and cannot be removed. Disassociate it from every "
    "cluster (PutClusterCapacityProviders) and remove it from the capacity provider strategy of "
    "every service first."
)
MISSING_PROVIDER = "The specified capacity provider does not exist: {}."


def group_name(arn: str) -> str:
    """``arn:aws:autoscaling:r:a:autoScalingGroup:<uuid>:autoScalingGroupName/web`` → ``web``; a
    bare name is its own."""
    return arn.rsplit("autoScalingGroupName/", 1)[-1] if arn.startswith("arn:") else arn


def group_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:autoscaling:{region}:{account}:autoScalingGroup:ecs-operator:autoScalingGroupName/{name}"


def provider_view(obj: Mapping[str, Any], call: Call) -> dict[str, Any]:
    """A DescribeCapacityProviders ``capacityProviders[]`` entry for an EcsCapacityProvider."""
    name = str(obj["metadata"]["name"])
    spec = obj.get("spec") or {}
    scaling = spec.get("managedScaling") or {}
    labels = (spec.get("nodeSelector") or {}).get("matchLabels") or {}
    group = str(labels.get(GROUP_LABEL) or name)
    return {
        "capacityProviderArn": call.arns.capacity_provider(name),
        "name": name,
        "status": (obj.get("status") or {}).get("status") or "ACTIVE",
        "type": "EC2_AUTOSCALING",
        "autoScalingGroupProvider": {
            "autoScalingGroupArn": group_arn(call.arns.region, call.arns.account, group),
            "managedScaling": {
                "status": scaling.get("status", "DISABLED"),
                "targetCapacity": int(scaling.get("targetCapacity", 100)),
            },
            "managedTerminationProtection": spec.get("managedTerminationProtection", "DISABLED"),
        },
    }


def built_in_view(name: str, call: Call) -> dict[str, Any]:
    return {
        "capacityProviderArn": call.arns.capacity_provider(name),
        "name": name,
        "status": "ACTIVE",
        "type": name,
    }


def _spec_of(group: Mapping[str, Any], full: bool) -> dict[str, Any]:
    """The EcsCapacityProvider spec (or, with `full` False, the merge patch of UpdateCapacityProvider)
    of an ``autoScalingGroupProvider``."""
    spec: dict[str, Any] = {}
    if full:
        arn = str(views.require(group, "autoScalingGroupArn"))
        spec["nodeSelector"] = {"matchLabels": {GROUP_LABEL: group_name(arn)}}
    scaling = group.get("managedScaling")
    if scaling is not None:
        target = scaling.get("targetCapacity", 100)
        if not isinstance(target, int) or not 1 <= target <= 100:
            raise invalid("targetCapacity must be between 1 and 100.")
        spec["managedScaling"] = {"status": scaling.get("status", "ENABLED"), "targetCapacity": target}
    if group.get("managedTerminationProtection") is not None:
        spec["managedTerminationProtection"] = group["managedTerminationProtection"]
    return spec


def _own_name(params: Mapping[str, Any], field_name: str) -> str:
    name = resource_id(str(views.require(params, field_name)), "capacity-provider")
    if name in BUILT_IN:
        raise invalid(BUILT_IN_CHANGE)
    return name


def create_capacity_provider(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    name = str(views.require(params, "name"))
    if name.lower().startswith(RESERVED_PREFIXES):
        raise invalid(RESERVED)
    group = views.require(params, "autoScalingGroupProvider")
    body = {
        "apiVersion": API_VERSION,
        "kind": "EcsCapacityProvider",
        "metadata": {"name": name},
        "spec": _spec_of(group, full=True),
    }
    try:
        created = objects.create(CAPACITY_PROVIDERS, body)
    except AlreadyExists as exc:
        raise invalid(f"A capacity provider with the name {name} already exists.") from exc
    return {"capacityProvider": provider_view(created, call)}


def describe_capacity_providers(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    given = views.string_list(params, "capacityProviders", 100)
    if given:
        found, failures = [], []
        for text in given:
            name = resource_id(text, "capacity-provider")
            if name in BUILT_IN:
                found.append(built_in_view(name, call))
                continue
            try:
                found.append(provider_view(objects.get(CAPACITY_PROVIDERS, name), call))
            except NotFound:
                failures.append(views.failure(call.arns.capacity_provider(name), "MISSING"))
        return {"capacityProviders": found, "failures": failures}
    every = [built_in_view(n, call) for n in BUILT_IN] + [
        provider_view(o, call)
        for o in sorted(objects.list_objects(CAPACITY_PROVIDERS), key=lambda o: str(o["metadata"]["name"]))
    ]
    by_name = {v["name"]: v for v in every}
    chunk, token = views.page(list(by_name), params.get("nextToken"), params.get("maxResults"), limit=10)
    return {
        "capacityProviders": [by_name[n] for n in chunk],
        "failures": [],
        **({"nextToken": token} if token else {}),
    }


def update_capacity_provider(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    name = _own_name(params, "name")
    patch = _spec_of(views.require(params, "autoScalingGroupProvider"), full=False)

    def compute(obj: Obj) -> Obj | None:
        return {"spec": patch} if patch else None

    try:
        updated = plugin.update_spec(CAPACITY_PROVIDERS, name, compute)
    except NotFound as exc:
        raise invalid(MISSING_PROVIDER.format(name)) from exc
    view = provider_view(updated, call)
    view["updateStatus"] = "UPDATE_COMPLETE"
    return {"capacityProvider": view}


def _users(name: str, namespace: str) -> list[str]:
    """Who holds the provider: clusters that list it, services of `namespace` whose strategy names it."""
    clusters = [
        f"cluster {o['metadata']['name']}"
        for o in objects.list_objects(CLUSTERS)
        if name in ((o.get("spec") or {}).get("capacityProviders") or [])
    ]
    services = [
        f"service {o['metadata']['name']}"
        for o in objects.list_objects(SERVICES, namespace)
        if any(
            i.get("capacityProvider") == name
            for i in (o.get("spec") or {}).get("capacityProviderStrategy") or []
        )
    ]
    return clusters + services


def delete_capacity_provider(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    name = _own_name(params, "capacityProvider")
    try:
        current = objects.get(CAPACITY_PROVIDERS, name)
    except NotFound as exc:
        raise invalid(MISSING_PROVIDER.format(name)) from exc
    users = _users(name, call.namespace)
    if users:
        raise ApiError("ClientException", f"{IN_USE} ({', '.join(users)})")
    objects.delete(CAPACITY_PROVIDERS, name)
    view = provider_view(current, call)
    view["updateStatus"] = "DELETE_IN_PROGRESS"
    return {"capacityProvider": view}


def put_cluster_capacity_providers(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    """Both lists are required and replace the cluster's (empty lists remove them)."""
    cluster = resource_id(str(views.require(params, "cluster")), "cluster")
    providers = views.string_list(params, "capacityProviders", 20)
    strategy = params.get("defaultCapacityProviderStrategy")
    if "capacityProviders" not in params or strategy is None:
        raise invalid("capacityProviders and defaultCapacityProviderStrategy are both required.")
    if not isinstance(strategy, list) or len(strategy) > 20:
        raise invalid("defaultCapacityProviderStrategy can have at most 20 elements.")
    cluster_must_exist(cluster)
    names = [resource_id(p, "capacity-provider") for p in providers]
    for name in names:
        if name not in BUILT_IN:
            try:
                objects.get(CAPACITY_PROVIDERS, name)
            except NotFound as exc:
                raise invalid(MISSING_PROVIDER.format(name)) from exc
    default = [
        {
            "capacityProvider": resource_id(str(i.get("capacityProvider") or ""), "capacity-provider"),
            "base": i.get("base", 0),
            "weight": i.get("weight", 0),
        }
        for i in strategy
    ]
    patch = {"spec": {"capacityProviders": names or None, "defaultCapacityProviderStrategy": default or None}}
    written = objects.patch(CLUSTERS, cluster, patch)
    return {"cluster": views.cluster_view(written, call.arns)}


OPERATIONS: dict[str, Operation] = {
    "CreateCapacityProvider": create_capacity_provider,
    "DescribeCapacityProviders": describe_capacity_providers,
    "UpdateCapacityProvider": update_capacity_provider,
    "DeleteCapacityProvider": delete_capacity_provider,
    "PutClusterCapacityProviders": put_cluster_capacity_providers,
}
