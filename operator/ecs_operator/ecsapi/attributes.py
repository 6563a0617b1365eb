"""PutAttributes, DeleteAttributes, ListAttributes, UpdateContainerInstancesState and
DeregisterContainerInstance on EcsContainerInstance, with `kubectl ecs`'s rules (`cli.instances`) and compare-and-swap writes.

A targetId (or a containerInstances entry) is a container instance ARN, its id (the node name)
or the EcsContainerInstance name; every target is checked before any is written, so a refused
call changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ecs_operator.cli import instances as cinst
from ecs_operator.ecsapi import views
from ecs_operator.ecsapi.arns import instance_id, resource_id
from ecs_operator.ecsapi.errors import ApiError, invalid
from ecs_operator.ecsapi.operations import (
    NODE_CLUSTER_LABEL,
    Call,
    Operation,
    cluster_must_exist,
    cluster_name,
    instance_view,
    list_cluster_instances,
)
from ecs_operator.kube import nodes, objects, plugin
from ecs_operator.kube.errors import NotFound
from ecs_operator.kube.objects import INSTANCES, Obj


def _target_not_found(target: str) -> ApiError:
    return ApiError("TargetNotFoundException", f"The specified target wasn't found. ({target})")


def _instance(cluster: str, name: str) -> Obj:
    try:
        obj = objects.get(INSTANCES, name)
    except NotFound as exc:
        raise _target_not_found(name) from exc
    if (obj.get("spec") or {}).get("cluster") != cluster:
        raise _target_not_found(name)
    return obj


def _edit(params: Mapping[str, Any], call: Call, put: bool) -> dict[str, Any]:
    cluster = cluster_name(params)
    cluster_must_exist(cluster)
    items = params.get("attributes") or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise invalid("attributes must be a list of attributes.")
    items = [
        {**i, "targetId": resource_id(str(i["targetId"]), "container-instance")} if i.get("targetId") else i
        for i in items
    ]
    requests = cinst.attribute_requests(items, cluster, with_values=put)
    by_target: dict[str, list[cinst.AttributeRequest]] = {}
    for request in requests:
        by_target.setdefault(request.target, []).append(request)

    def compute_for(target: str, group: list[cinst.AttributeRequest]) -> Callable[[Obj], Obj | None]:
        def compute(obj: Obj) -> Obj | None:
            spec = obj.get("spec") or {}
            new = cinst.put_attributes(spec, target, group) if put else cinst.delete_attributes(spec, group)
            return None if new == list(spec.get("attributes") or []) else {"spec": {"attributes": new}}

        return compute

    for target, group in by_target.items():  # every target checked before any write
        compute_for(target, group)(_instance(cluster, target))
    for target, group in by_target.items():
        plugin.update_spec(INSTANCES, target, compute_for(target, group))
    return {
        "attributes": [
            {
                "name": r.name,
                **({"value": r.value} if r.value is not None else {}),
                "targetType": cinst.TARGET_TYPE,
                "targetId": call.arns.container_instance(cluster, instance_id(cluster, r.target)),
            }
            for r in requests
        ]
    }


def put_attributes(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    return _edit(params, call, put=True)


def delete_attributes(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    return _edit(params, call, put=False)


def list_attributes(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    cluster = cluster_name(params)
    if views.require(params, "targetType") != cinst.TARGET_TYPE:
        raise invalid(f"targetType must be {cinst.TARGET_TYPE}.")
    cluster_must_exist(cluster)
    name, value = params.get("attributeName"), params.get("attributeValue")
    if value is not None and name is None:
        raise invalid("attributeValue requires attributeName.")
    found = []
    for obj in sorted(list_cluster_instances(cluster), key=lambda o: str(o["metadata"]["name"])):
        arn = call.arns.container_instance(cluster, instance_id(cluster, obj["metadata"]["name"]))
        for attribute in (obj.get("status") or {}).get("attributes") or []:
            if (name is None or attribute.get("name") == name) and (
                value is None or attribute.get("value") == value
            ):
                found.append({**attribute, "targetType": cinst.TARGET_TYPE, "targetId": arn})
    return {"attributes": found}


def update_container_instances_state(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    cluster = cluster_name(params)
    wanted = views.require(params, "status")
    if wanted not in ("ACTIVE", "DRAINING"):
        raise invalid("status must be ACTIVE or DRAINING.")
    given = views.string_list(params, "containerInstances", 10)
    if not given:
        raise invalid("containerInstances can not be empty.")
    cluster_must_exist(cluster)
    updated, failures = [], []
    for text in given:
        name = cinst.instance_name(cluster, resource_id(text, "container-instance"))
        arn = call.arns.container_instance(cluster, instance_id(cluster, name))
        try:
            current = _instance(cluster, name)
        except ApiError:
            failures.append(views.failure(arn, "MISSING"))
            continue
        refusal = cinst.state_change(current, str(wanted))
        if refusal is not None:
            failures.append(views.failure(arn, refusal["reason"], refusal.get("detail")))
            continue

        def compute(obj: Obj) -> Obj | None:
            return None if (obj.get("spec") or {}).get("status") == wanted else {"spec": {"status": wanted}}

        obj = plugin.update_spec(INSTANCES, name, compute)
        view = instance_view(obj, cluster, call.arns)
        view["status"] = wanted
        updated.append(view)
    return {"containerInstances": updated, "failures": failures}


HAS_TASKS = (
    "The container instance has tasks; deregister it with force to leave them to run without being "
    "managed, or stop them (or drain the instance) first."
)
NOT_API_CLUSTER = (
    "Only the container instances of a cluster made by CreateCluster (nodes labelled "
    f"{NODE_CLUSTER_LABEL}=<cluster>) can be deregistered through the API; change the cluster's "
    "nodeSelector or the node's labels instead."
)


def deregister_container_instance(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    """ECS's deregistration: the instance leaves the cluster (its node loses the label that made it
    a member, so the operator makes it INACTIVE); refused while it has tasks, unless `force`."""
    cluster = cluster_name(params)
    given = str(views.require(params, "containerInstance"))
    selected = ((cluster_must_exist(cluster).get("spec") or {}).get("nodeSelector") or {}).get(
        "matchLabels"
    ) or {}
    try:
        current = _instance(cluster, cinst.instance_name(cluster, resource_id(given, "container-instance")))
    except ApiError as exc:
        raise invalid("The referenced container instance was not found.") from exc
    status = current.get("status") or {}
    busy = int(status.get("runningTasksCount") or 0) + int(status.get("pendingTasksCount") or 0)
    if (busy or status.get("claims")) and not params.get("force"):
        raise invalid(HAS_TASKS)
    if selected.get(NODE_CLUSTER_LABEL) != cluster:
        raise invalid(NOT_API_CLUSTER)
    nodes.remove_label(str(current["spec"]["nodeName"]), NODE_CLUSTER_LABEL)
    view = instance_view(current, cluster, call.arns)
    view["status"] = "INACTIVE"
    return {"containerInstance": view}


OPERATIONS: dict[str, Operation] = {
    "PutAttributes": put_attributes,
    "DeleteAttributes": delete_attributes,
    "ListAttributes": list_attributes,
    "UpdateContainerInstancesState": update_container_instances_state,
    "DeregisterContainerInstance": deregister_container_instance,
}
