"""Namespace labels, read when the watch has not delivered a namespace yet (handlers/tenancy.py)."""

from __future__ import annotations

from ecs_operator.kube.client import clients, plain_object
from ecs_operator.kube.errors import NotFound, map_api_errors
from ecs_operator.kube.views import Obj


@map_api_errors
def _get(name: str) -> Obj:
    return plain_object(clients().core.read_namespace(name))


def labels(name: str) -> dict[str, str] | None:
    """The namespace's labels; None when it does not exist."""
    try:
        found = _get(name)
    except NotFound:
        return None
    return dict((found.get("metadata") or {}).get("labels") or {})
