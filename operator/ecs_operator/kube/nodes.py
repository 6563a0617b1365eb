"""Node labels, read for capacity provider placement (which instances a provider's nodes hold)."""

from __future__ import annotations

from kubernetes.client import V1Node

from ecs_operator.kube.client import as_model, clients, plain_object
from ecs_operator.kube.errors import map_api_errors


@map_api_errors
def labels_by_name() -> dict[str, dict[str, str]]:
    """Every node's labels, by node name (one list call)."""
    listed = plain_object(clients().core.list_node())
    return {
        str(n["metadata"]["name"]): dict(n["metadata"].get("labels") or {}) for n in listed.get("items") or []
    }


@map_api_errors
def remove_label(node: str, key: str) -> None:
    """Remove one label from a node (a merge patch: the label's value null); as the caller."""
    clients().core.patch_node(
        node,
        as_model({"metadata": {"labels": {key: None}}}, V1Node),
        _content_type="application/merge-patch+json",
    )
