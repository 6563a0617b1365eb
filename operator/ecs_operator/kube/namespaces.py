"""Namespace labels, read when the watch has not delivered a namespace yet (handlers/tenancy.py)."""

from __future__ import annotations

from typing import Any, cast

from ecs_operator.kube.client import clients
from ecs_operator.kube.errors import NotFound, map_api_errors


@map_api_errors
def _get(name: str) -> dict[str, Any]:
    response = clients().core.read_namespace(name)
    return cast(dict[str, Any], clients().api.sanitize_for_serialization(response))


def labels(name: str) -> dict[str, str] | None:
    """The namespace's labels; None when it does not exist."""
    try:
        found = _get(name)
    except NotFound:
        return None
    return dict((found.get("metadata") or {}).get("labels") or {})
