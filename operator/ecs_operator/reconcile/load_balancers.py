"""Load balancer registration for services (pure): which tasks are targets, and the Service.

ECS registers a service's RUNNING tasks with its target group (the target's health is then decided
by the load balancer's checks, not before) and deregisters a task (DEACTIVATING) before stopping
it. Here the target group is a Kubernetes Service of the same name, owned by the EcsService, whose
selector includes `ecs-operator.dev/target: registered`. Which tasks carry that label on their pod
(:func:`is_target`, applied by the service handler on each of its passes):

| lastStatus  | desired status (spec or status) | healthStatus                    | registered |
|-------------|---------------------------------|---------------------------------|------------|
| RUNNING     | not STOPPED                     | HEALTHY                         | yes        |
| RUNNING     | not STOPPED                     | UNKNOWN, or not written yet     | yes        |
| RUNNING     | not STOPPED                     | UNHEALTHY (grace period or not) | no         |
| RUNNING     | STOPPED                         | any                             | no         |
| not RUNNING | any                             | any                             | no         |

UNKNOWN covers two cases, both admitted as ECS registers a target before its first check: a task
none of whose essential containers defines a health check (always UNKNOWN), and a task whose check
has not passed yet within its window (startPeriod + retries × interval + timeout, see
``lifecycle.health``). healthCheckGracePeriodSeconds is not consulted: an UNHEALTHY task in its
grace period is deregistered, though the scheduler does not stop it. The service handler removes
the label from the tasks it is about to stop before it writes their stop; a task stopped by
anything else loses it on the service's next pass (its endpoint is already not ready by then, or
gone with the pod). Being registered is not receiving traffic: Kubernetes' EndpointSlice
controller marks a registered pod's endpoint ready only when the pod is Ready (a container health
check runs as the readiness probe; without one, KWOK or the kubelet reports Ready once the
containers run).

Target health (:func:`healthy_targets`), used only by the service scheduler to count a
load-balanced task as healthy (records.ServiceTask.healthy), never written into a task's
healthStatus: a target is healthy when its pod's Ready condition is True and its endpoint is ready
(or has no ready condition) in the Service's EndpointSlices. Registering UNKNOWN tasks is what makes
this work at all: a task without a container health check never becomes HEALTHY, so a Service
admitting only HEALTHY tasks would never have an endpoint, and the service's first deployment would
never complete.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ecs_operator.api.meta import owner_reference
from ecs_operator.names import SERVICE_LABEL as SERVICE_LABEL
from ecs_operator.names import TARGET_LABEL as TARGET_LABEL

REGISTERED = "registered"


def is_target(task: Mapping[str, Any]) -> bool:
    """Registered as a target: RUNNING, desired status not STOPPED, and healthStatus HEALTHY,
    UNKNOWN or absent, whether or not the task has a health check (the table above)."""
    status = task.get("status") or {}
    wanted = "STOPPED" not in (task.get("spec", {}).get("desiredStatus"), status.get("desiredStatus"))
    healthy = status.get("healthStatus") in ("HEALTHY", "UNKNOWN", None)
    return bool(wanted and status.get("lastStatus") == "RUNNING" and healthy)


def pod_ready(pod: Mapping[str, Any]) -> bool:
    """The pod's Ready condition is True."""
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def ready_endpoints(slices: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """Names of the pods with a ready endpoint in these EndpointSlices (discovery.k8s.io/v1).

    An absent ``conditions.ready`` means ready (the API's documented default); an endpoint not
    backed by a pod (no ``targetRef`` of kind Pod) is not a task's target and is left out.
    """
    names: set[str] = set()
    for endpoint_slice in slices:
        for endpoint in endpoint_slice.get("endpoints") or []:
            ref = endpoint.get("targetRef") or {}
            if ref.get("kind") != "Pod" or not ref.get("name"):
                continue
            if (endpoint.get("conditions") or {}).get("ready", True) is not False:
                names.add(str(ref["name"]))
    return frozenset(names)


def healthy_targets(pods: Iterable[Mapping[str, Any]], slices: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """Names of the task pods whose target is healthy: pod Ready and endpoint ready (both: the
    slice lags the pod, and a pod that stopped being Ready must not count on a stale slice)."""
    ready = ready_endpoints(slices)
    return frozenset(
        str(p["metadata"]["name"]) for p in pods if pod_ready(p) and p["metadata"]["name"] in ready
    )


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
