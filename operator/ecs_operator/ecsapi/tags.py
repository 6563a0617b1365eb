"""TagResource, UntagResource and ListTagsForResource: ECS tags as one annotation of the object.

The ARN names the object (cluster → EcsCluster, task → EcsTask, service → EcsService,
container-instance → EcsContainerInstance, task-definition → the family's EcsTaskDefinition: one
set of tags per family, where ECS keeps one per revision). The tags are the JSON object of the
annotation ``ecs-operator.dev/tags``, written with the resourceVersion read. ECS's limits: at most
50 tags, keys 1-128 characters, values at most 256, and no key may start with ``aws:``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ecs_operator.cli import instances as cinst
from ecs_operator.ecsapi import views
from ecs_operator.ecsapi.errors import ApiError, invalid
from ecs_operator.ecsapi.operations import Call, Operation
from ecs_operator.kube import objects, plugin
from ecs_operator.kube.errors import NotFound
from ecs_operator.kube.objects import (
    CAPACITY_PROVIDERS,
    CLUSTERS,
    INSTANCES,
    SERVICES,
    TASK_DEFINITIONS,
    TASKS,
    Obj,
    Resource,
)
from ecs_operator.names import TAGS_ANNOTATION

ANNOTATION = TAGS_ANNOTATION
MAX_TAGS = 50


def target(arn: str, namespace: str) -> tuple[Resource, str, str | None]:
    """(resource, name, namespace) of the object an ECS ARN names; InvalidParameterException else."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[:3] != ["arn", "aws", "ecs"]:
        raise invalid(f"Invalid resource ARN: {arn}")
    kind, _, rest = parts[5].partition("/")
    segments = rest.split("/")
    if kind == "cluster" and len(segments) == 1:
        return CLUSTERS, segments[0], None
    if kind == "task-definition" and len(segments) == 1:
        return TASK_DEFINITIONS, segments[0].partition(":")[0], namespace
    if kind == "task" and len(segments) == 2:
        return TASKS, segments[1], namespace
    if kind == "service" and len(segments) == 2:
        return SERVICES, segments[1], namespace
    if kind == "capacity-provider" and len(segments) == 1:
        return CAPACITY_PROVIDERS, segments[0], None
    if kind == "container-instance" and len(segments) == 2:
        return INSTANCES, cinst.instance_name(segments[0], segments[1]), None
    raise invalid(f"Invalid resource ARN: {arn}")


def tags_of(obj: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in views.json_annotation(obj, ANNOTATION).items()}


def check(tags: Mapping[str, str]) -> None:
    if len(tags) > MAX_TAGS:
        raise invalid(f"A resource can have at most {MAX_TAGS} tags.")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise invalid("Tag keys are 1-128 characters and values at most 256.")
        if key.lower().startswith("aws:"):
            raise invalid("Tag keys starting with aws: are reserved.")


def _update(arn: str, call: Call, change: Any) -> Obj:
    res, name, namespace = target(arn, call.namespace)

    def compute(obj: Obj) -> Obj | None:
        before = tags_of(obj)
        after = change(dict(before))
        check(after)
        if after == before:
            return None
        return {"metadata": {"annotations": {ANNOTATION: json.dumps(after, sort_keys=True)}}}

    try:
        return plugin.update_spec(res, name, compute, namespace)
    except NotFound as exc:
        raise ApiError("ResourceNotFoundException", "The specified resource could not be found.") from exc


def tag_resource(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    arn = str(params.get("resourceArn") or "")
    given = params.get("tags") or []
    if not given or not all(isinstance(t, dict) and t.get("key") for t in given):
        raise invalid("tags can not be empty.")
    new = {str(t["key"]): str(t.get("value") or "") for t in given}
    _update(arn, call, lambda tags: tags | new)
    return {}


def untag_resource(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    arn = str(params.get("resourceArn") or "")
    keys = {str(k) for k in params.get("tagKeys") or []}
    if not keys:
        raise invalid("tagKeys can not be empty.")
    _update(arn, call, lambda tags: {k: v for k, v in tags.items() if k not in keys})
    return {}


def list_tags_for_resource(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    res, name, namespace = target(str(params.get("resourceArn") or ""), call.namespace)
    try:
        obj = objects.get(res, name, namespace)
    except NotFound as exc:
        raise ApiError("ResourceNotFoundException", "The specified resource could not be found.") from exc
    return {"tags": [{"key": k, "value": v} for k, v in sorted(tags_of(obj).items())]}


OPERATIONS: dict[str, Operation] = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}
