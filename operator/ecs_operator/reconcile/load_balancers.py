"""Load balancer registration for services (pure): which tasks are targets, and the Service.

ECS registers a service's RUNNING, healthy tasks with its target group and deregisters a task
(DEACTIVATING) before stopping it. Here the target group is a Kubernetes Service of the same name,
owned by the EcsService, whose selector includes `ecs-operator.dev/target: registered`: the
operator puts that label on the pod of a task that is RUNNING, healthy and wanted, and takes it
off before the task is stopped. Kubernetes' endpoints controller then lists exactly those pods
that are also Ready (the health check runs as the readiness probe).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ecs_operator.api.meta import owner_reference

SERVICE_LABEL = "ecs-operator.dev/service"
TARGET_LABEL = "ecs-operator.dev/target"
REGISTERED = "registered"


def is_target(task: Mapping[str, Any]) -> bool:
    """RUNNING, HEALTHY or without a health check (then UNKNOWN counts), and not being stopped."""
    status = task.get("status") or {}
    wanted = "STOPPED" not in (task.get("spec", {}).get("desiredStatus"), status.get("desiredStatus"))
    healthy = status.get("healthStatus") in ("HEALTHY", "UNKNOWN", None)
    return bool(wanted and status.get("lastStatus") == "RUNNING" and healthy)


def target_changes(tasks: Iterable[Mapping[str, Any]], labelled: Mapping[str, bool]) -> dict[str, bool]:
    """Pod name → register (True) or deregister (False), for the pods whose label must change.

    `labelled` maps each task pod's name to whether it carries the target label now.
    """
    changes: dict[str, bool] = {}
    for task in tasks:
        pod = (task.get("status") or {}).get("podName")
        if not pod or pod not in labelled:
            continue
        want = is_target(task)
        if labelled[pod] != want:
            changes[str(pod)] = want
    return changes


def service_manifest(service: Mapping[str, Any]) -> dict[str, Any] | None:
    """The Kubernetes Service for an EcsService's `loadBalancers`, or None when it has none."""
    meta, spec = service["metadata"], service["spec"]
    balancers = spec.get("loadBalancers") or []
    if not balancers:
        return None
    ports = [
        {
            "name": f"{lb['containerName']}-{lb['containerPort']}"[:15].rstrip("-"),
            "port": int(lb["containerPort"]),
            "targetPort": int(lb["containerPort"]),
            "protocol": "TCP",
        }
        for lb in balancers
    ]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": meta["name"],
            "namespace": meta["namespace"],
            "labels": {SERVICE_LABEL: meta["name"]},
            "ownerReferences": [owner_reference("EcsService", meta["name"], meta["uid"])],
        },
        "spec": {"selector": {SERVICE_LABEL: meta["name"], TARGET_LABEL: REGISTERED}, "ports": ports},
    }
