"""Kubernetes label selectors, evaluated in the pure core.

EcsCluster.spec.nodeSelector (and fargate.nodeSelector) use the standard LabelSelector shape; the
operator matches nodes itself so that one watch of nodes serves every cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """True when `labels` satisfy every matchLabels entry and matchExpressions requirement.

    An empty selector matches everything, as in Kubernetes; a missing one (None) matches nothing.
    """
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for req in selector.get("matchExpressions") or []:
        key, op, values = req["key"], req["operator"], set(req.get("values") or [])
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True
