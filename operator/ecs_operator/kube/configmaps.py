"""A small mutable ConfigMap as a string map: read it, merge keys into it.

Why: the ECS API keeps a namespace's account settings in one ConfigMap (`ecsapi.settings`). A merge
patch changes only the keys given (None removes one), so two writers of different keys never undo
each other; the first writer creates it.
"""

from __future__ import annotations

from typing import Any, cast

from ecs_operator.kube.client import clients
from ecs_operator.kube.errors import AlreadyExists, NotFound, map_api_errors


@map_api_errors
def _read(name: str, namespace: str) -> dict[str, str]:
    return dict(clients().core.read_namespaced_config_map(name, namespace).data or {})


@map_api_errors
def _create(name: str, namespace: str, data: dict[str, str]) -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}
    clients().core.create_namespaced_config_map(namespace, cast(Any, body))


@map_api_errors
def _patch(name: str, namespace: str, data: dict[str, str | None]) -> None:
    clients().core.patch_namespaced_config_map(
        name, namespace, cast(Any, {"data": data}), _content_type="application/merge-patch+json"
    )


def read_data(name: str, namespace: str) -> dict[str, str]:
    """The ConfigMap's data; empty when it does not exist."""
    try:
        return _read(name, namespace)
    except NotFound:
        return {}


def merge_data(name: str, namespace: str, data: dict[str, str | None]) -> None:
    """Set the keys of `data` (None: remove the key), creating the ConfigMap when it is missing."""
    for _ in range(3):
        try:
            _patch(name, namespace, data)
            return
        except NotFound:
            pass
        try:
            _create(name, namespace, {k: v for k, v in data.items() if v is not None})
            return
        except AlreadyExists:
            continue  # created meanwhile: patch it
