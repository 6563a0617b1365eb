"""Task pods: create (idempotent by the deterministic name), read, delete with a grace period."""

from __future__ import annotations

from kubernetes import client

from ecs_operator.kube.client import as_model, clients, raw_json
from ecs_operator.kube.errors import AlreadyExists, NotFound, map_api_errors
from ecs_operator.kube.views import Obj


@map_api_errors
def _create(namespace: str, body: Obj) -> Obj:
    return raw_json(
        clients().core.create_namespaced_pod(namespace, as_model(body, client.V1Pod), _preload_content=False)
    )


@map_api_errors
def get(namespace: str, name: str) -> Obj:
    return raw_json(clients().core.read_namespaced_pod(name, namespace, _preload_content=False))


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


def delete(namespace: str, name: str, grace_seconds: int | None = None) -> bool:
    """SIGTERM now, SIGKILL after `grace_seconds` (the task's stopTimeout); absent pods are fine
    (False: there was none to delete)."""
    try:
        _delete(namespace, name, grace_seconds)
    except NotFound:
        return False
    return True
