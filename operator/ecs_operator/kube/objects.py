"""Reads and writes of custom objects, with compare-and-swap on resourceVersion.

Every status write here sends `metadata.resourceVersion` in a merge patch, which the API server
treats as a precondition: if the object changed since it was read, the write fails with 409 and
nothing is applied. `update_status` wraps the re-read-and-retry loop of architecture.md §2.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import cast

from ecs_operator.kube.client import clients
from ecs_operator.kube.errors import Conflict, map_api_errors
from ecs_operator.kube.views import Obj as Obj
from ecs_operator.names import GROUP as GROUP
from ecs_operator.names import VERSION as VERSION


@dataclass(frozen=True)
class Resource:
    """A custom resource type of ours."""

    plural: str
    namespaced: bool
    group: str = GROUP
    version: str = VERSION


CLUSTERS = Resource("ecsclusters", namespaced=False)
INSTANCES = Resource("ecscontainerinstances", namespaced=False)
TASK_DEFINITIONS = Resource("ecstaskdefinitions", namespaced=True)
TASKS = Resource("ecstasks", namespaced=True)
SERVICES = Resource("ecsservices", namespaced=True)
SCHEDULED_TASKS = Resource("scheduledtasks", namespaced=True)
CAPACITY_PROVIDERS = Resource("ecscapacityproviders", namespaced=False)


def _ns(namespace: str | None) -> str:
    if not namespace:
        raise ValueError("a namespaced resource needs a namespace")
    return namespace


@map_api_errors
def get(res: Resource, name: str, namespace: str | None = None) -> Obj:
    api = clients().custom
    if res.namespaced:
        return cast(
            Obj, api.get_namespaced_custom_object(res.group, res.version, _ns(namespace), res.plural, name)
        )
    return cast(Obj, api.get_cluster_custom_object(res.group, res.version, res.plural, name))


@map_api_errors
def list_objects(res: Resource, namespace: str | None = None, label_selector: str = "") -> list[Obj]:
    api = clients().custom
    if res.namespaced and namespace:
        out = api.list_namespaced_custom_object(
            res.group, res.version, _ns(namespace), res.plural, label_selector=label_selector
        )
    else:
        out = api.list_cluster_custom_object(
            res.group, res.version, res.plural, label_selector=label_selector
        )
    return cast(list[Obj], cast(Obj, out).get("items", []))


@map_api_errors
def create(res: Resource, body: Obj, namespace: str | None = None) -> Obj:
    api = clients().custom
    if res.namespaced:
        return cast(
            Obj, api.create_namespaced_custom_object(res.group, res.version, _ns(namespace), res.plural, body)
        )
    return cast(Obj, api.create_cluster_custom_object(res.group, res.version, res.plural, body))


@map_api_errors
def patch(res: Resource, name: str, body: Obj, namespace: str | None = None) -> Obj:
    """A merge patch of the main resource (spec, metadata)."""
    api = clients().custom
    if res.namespaced:
        return cast(
            Obj,
            api.patch_namespaced_custom_object(
                res.group, res.version, _ns(namespace), res.plural, name, body
            ),
        )
    return cast(Obj, api.patch_cluster_custom_object(res.group, res.version, res.plural, name, body))


@map_api_errors
def delete(res: Resource, name: str, namespace: str | None = None) -> None:
    api = clients().custom
    if res.namespaced:
        api.delete_namespaced_custom_object(res.group, res.version, _ns(namespace), res.plural, name)
    else:
        api.delete_cluster_custom_object(res.group, res.version, res.plural, name)


@map_api_errors
def patch_status(
    res: Resource, name: str, status: Obj, resource_version: str, namespace: str | None = None
) -> Obj:
    """Merge-patch `status`, only if the object is still at `resource_version` (else `Conflict`)."""
    body = {"metadata": {"resourceVersion": resource_version}, "status": status}
    api = clients().custom
    if res.namespaced:
        return cast(
            Obj,
            api.patch_namespaced_custom_object_status(
                res.group, res.version, _ns(namespace), res.plural, name, body
            ),
        )
    return cast(Obj, api.patch_cluster_custom_object_status(res.group, res.version, res.plural, name, body))


def update_status(
    res: Resource,
    name: str,
    compute: Callable[[Obj], Obj | None],
    namespace: str | None = None,
    current: Obj | None = None,
    attempts: int = 8,
    on_conflict: Callable[[], None] | None = None,
) -> Obj | None:
    """Compare-and-swap loop: compute a status patch from the object as read, write it with that
    object's resourceVersion; on 409 re-read and recompute, at most `attempts` times.

    `compute` returns None when nothing needs writing (then nothing is written). `current` may be
    a (possibly stale) copy from a watch cache: a stale copy only costs one 409 and a re-read.
    Raises `Conflict` when every attempt lost the race, so the caller can plan again.
    """
    obj = current if current is not None else get(res, name, namespace)
    for _ in range(attempts):
        patch_body = compute(obj)
        if patch_body is None:
            return obj
        try:
            return patch_status(res, name, patch_body, obj["metadata"]["resourceVersion"], namespace)
        except Conflict:
            if on_conflict is not None:
                on_conflict()
            obj = get(res, name, namespace)
    raise Conflict(f"{res.plural}/{name}: still conflicting after {attempts} attempts", 409)


def plain(body: Mapping[str, object]) -> Obj:
    """A deep plain-dict copy of a Kopf Body (or any mapping), safe to keep and modify."""
    import copy

    return cast(Obj, copy.deepcopy(dict(body)))
