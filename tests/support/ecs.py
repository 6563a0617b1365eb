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
    """Wait until the task's lastStatus is `last`; returns that status. On a timeout the error
    shows the task's status and its pod, what one needs to tell why."""
    seen: dict[str, Any] = {}

    def reached() -> dict[str, Any] | None:
        seen.update(status=task_status(kube, namespace, name))
        return seen["status"] if seen["status"].get("lastStatus") == last else None

    try:
        return wait_for(reached, timeout=timeout, what=f"task {name} {last}")
    except AssertionError as error:
        pod = seen["status"].get("podName")
        got = (
            kube.kubectl("get", "pod", str(pod), "-n", namespace, "-o", "json", check=False) if pod else None
        )
        detail = (got.stdout or got.stderr)[-2000:] if got is not None else "no podName"
        raise AssertionError(f"{error}\ntask status: {json.dumps(seen['status'])}\npod: {detail}") from None
