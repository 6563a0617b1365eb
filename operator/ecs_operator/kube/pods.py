"""Task pods: create (idempotent by the deterministic name), read, delete with a grace period."""

from __future__ import annotations

import contextlib
from typing import Any, cast

from kubernetes import client

from ecs_operator.kube.client import clients
from ecs_operator.kube.errors import AlreadyExists, NotFound, map_api_errors

Obj = dict[str, Any]


@map_api_errors
def _create(namespace: str, body: Obj) -> Obj:
    api = clients()
    created = api.core.create_namespaced_pod(namespace, cast(Any, body))
    return cast(Obj, api.api.sanitize_for_serialization(created))


@map_api_errors
def get(namespace: str, name: str) -> Obj:
    api = clients()
    pod = api.core.read_namespaced_pod(name, namespace)
    return cast(Obj, api.api.sanitize_for_serialization(pod))


def get_or_none(namespace: str, name: str) -> Obj | None:
    try:
        return get(namespace, name)
    except NotFound:
        return None


def create(namespace: str, body: Obj) -> Obj:
    """Create the pod, or return the one that exists: a retry never makes a second pod."""
    try:
        return _create(namespace, body)
    except AlreadyExists:
        return get(namespace, body["metadata"]["name"])


@map_api_errors
def _delete(namespace: str, name: str, grace_seconds: int | None) -> None:
    opts = client.V1DeleteOptions(grace_period_seconds=grace_seconds)
    clients().core.delete_namespaced_pod(name, namespace, body=opts)


def delete(namespace: str, name: str, grace_seconds: int | None = None) -> None:
    """SIGTERM now, SIGKILL after `grace_seconds` (the task's stopTimeout); absent pods are fine."""
    with contextlib.suppress(NotFound):
        _delete(namespace, name, grace_seconds)
