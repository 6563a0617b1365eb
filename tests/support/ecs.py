"""Builders for ECS objects in integration tests (JSON manifests applied with kubectl)."""

from __future__ import annotations

import json
from typing import Any

from tests.support.cluster import Kube, wait_for


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


def task_status(kube: Kube, namespace: str, name: str) -> dict[str, Any]:
    return kube.get_json("ecstask", name, "-n", namespace).get("status") or {}


def wait_status(kube: Kube, namespace: str, name: str, last: str, timeout: float = 60) -> dict[str, Any]:
    """Wait until the task's lastStatus is `last`; returns that status."""
    return wait_for(
        lambda: (s := task_status(kube, namespace, name)).get("lastStatus") == last and s,
        timeout=timeout,
        what=f"task {name} {last}",
    )
