"""Builders for ECS objects in integration tests (JSON manifests applied with kubectl)."""

from __future__ import annotations

import json
from typing import Any

from tests.support.cluster import Kube


def manifest(kind: str, name: str, spec: dict[str, Any], namespace: str | None = None) -> str:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return json.dumps(
        {"apiVersion": "ecs-operator.dev/v1alpha1", "kind": kind, "metadata": meta, "spec": spec}
    )


def container(name: str = "web", **extra: Any) -> dict[str, Any]:
    return {"name": name, "image": "nginx:1.27", "cpu": 256, "memory": 512, **extra}


def register(kube: Kube, namespace: str, family: str = "web", **spec: Any) -> None:
    body = {"containerDefinitions": [container()], **spec}
    kube.apply(manifest("EcsTaskDefinition", family, body, namespace))
