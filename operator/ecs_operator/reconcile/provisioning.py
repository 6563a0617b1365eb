"""Managed scaling (issue 14 item 4): a task that fits nowhere waits in PROVISIONING for a node.

Why here (pure): whether an unplaceable task waits or stops, what its placeholder pod looks like
and when its wait is over are ECS rules and a manifest, decided from plain data; `handlers.tasks`
only writes the status and creates or deletes the pod.

ECS (developer guide, "Amazon ECS managed scaling behavior"; README, "Capacity providers"): a
task whose capacity provider (its strategy's, or the cluster default's) has managed scaling
turned on and that fits on none of the provider's instances is not stopped: it stays in
PROVISIONING while the provider scales out, and is placed when an instance with room registers.
A task still PROVISIONING after the timeout is stopped with ``TaskFailedToStart`` and
``EMPTY CAPACITY PROVIDER``. A task without managed scaling fails at once, as before.

The scale-out itself is Kubernetes': each waiting task is represented by a **placeholder pod**
of its size (requests = the task's cpu and memory reservation) that selects the provider's nodes
(its ``nodeSelector``). It is pending, unschedulable on the nodes there are, so the cluster
autoscaler or Karpenter adds a node that fits it. The pod runs nothing the task needs (the pause
image); it only asks. It is owned by its EcsTask (garbage collection removes it with the task)
and is deleted as soon as the task is placed or stopped.

Priority: the placeholder keeps the default priority, on purpose. A negative PriorityClass (the
"overprovisioning" pattern) would let other pods preempt it, but the cluster autoscaler ignores
pods below its expendable-pods cutoff (-10 by default) and the operator would have to own a
cluster-scoped PriorityClass. The task's own pod never needs to preempt it: the operator binds task
pods to a node by name, past the scheduler, and the placeholder is excluded from the capacity the
operator counts (`PLACEHOLDER_LABEL`, `reconcile.instances.foreign_usage`), and deleted once the
task is placed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from ecs_operator.api.meta import owner_reference
from ecs_operator.lifecycle.observation import StopDecision
from ecs_operator.lifecycle.states import StopCode
from ecs_operator.names import CLUSTER_LABEL, PREFIX

PLACEHOLDER_LABEL = f"{PREFIX}/provisioning-for"
"""On a placeholder pod: the uid of the EcsTask it asks a node for."""
PROVIDER_LABEL = f"{PREFIX}/capacity-provider"
"""On a placeholder pod: the capacity provider whose nodes it selects."""
PLACEHOLDER_IMAGE = "pause"
"""What the placeholder would run if a node took it: nothing (it only asks for a node)."""

DEFAULT_TIMEOUT = timedelta(minutes=30)
"""How long a task may wait in PROVISIONING for capacity (ECS: 30 minutes)."""
EMPTY_CAPACITY = "EMPTY CAPACITY PROVIDER"
EMPTY_CAPACITY_REASON = f"TaskFailedToStart: {EMPTY_CAPACITY}"
TIMED_OUT = StopDecision(StopCode.TASK_FAILED_TO_START, EMPTY_CAPACITY_REASON)
"""The stop of a task whose provider did not bring capacity within the timeout."""


def managed_scaling(provider_spec: Mapping[str, Any] | None) -> bool:
    """Whether the EcsCapacityProvider's spec turns managed scaling on."""
    scaling = (provider_spec or {}).get("managedScaling") or {}
    return scaling.get("status") == "ENABLED"


def waits(provider: str | None, provider_spec: Mapping[str, Any] | None, placement_failed: bool) -> bool:
    """Whether an unplaced task waits in PROVISIONING rather than stopping.

    Only a placement failure (no instance of the provider fits) waits, and only on a provider with
    managed scaling: a bad spec, a missing task definition or a provider that does not exist or is
    not associated stop the task at once, as ECS refuses them. Tasks without a strategy (a launch
    type) never wait: ECS's managed scaling ignores them.
    """
    return placement_failed and provider is not None and managed_scaling(provider_spec)


def scales_out(providers: Sequence[str], specs: Mapping[str, Mapping[str, Any] | None]) -> bool:
    """Whether a service's tasks are started without the dry run's room: every provider of its
    strategy has managed scaling (`specs`: each provider's spec, None when it does not exist), so
    a task that fits nowhere waits for a node instead of failing. The service planner keeps its
    dry run (and ECS's "unable to place a task" event) for every other service."""
    return bool(providers) and all(managed_scaling(specs.get(p)) for p in providers)


def expired(created_at: datetime | None, now: datetime, timeout: timedelta) -> bool:
    """Whether a PROVISIONING task has waited past the timeout (from its createdAt)."""
    return created_at is not None and now - created_at >= timeout


def placeholder_name(task_uid: str) -> str:
    return f"ecs-provisioning-{task_uid}"


def provisioning_fields(created_at: str, provider: str) -> dict[str, Any]:
    """The status of a task that waits: PROVISIONING, since createdAt, on its provider."""
    return {"lastStatus": "PROVISIONING", "createdAt": created_at, "capacityProviderName": provider}


def _affinity(selector: Mapping[str, Any]) -> dict[str, Any] | None:
    """A label selector's matchExpressions as required node affinity (matchLabels go to nodeSelector)."""
    expressions = [
        {
            "key": e["key"],
            "operator": e["operator"],
            **({"values": list(e["values"])} if e.get("values") else {}),
        }
        for e in selector.get("matchExpressions") or []
    ]
    if not expressions:
        return None
    terms = {"nodeSelectorTerms": [{"matchExpressions": expressions}]}
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": terms}}


def placeholder_pod(
    *,
    task_name: str,
    task_uid: str,
    namespace: str,
    cluster: str,
    provider: str,
    node_selector: Mapping[str, Any],
    cpu: int,
    memory: int,
) -> dict[str, Any]:
    """The pending pod that asks the autoscaler for a node of `provider` big enough for the task.

    `cpu` in CPU units (1024 = one vCPU), `memory` in MiB: the task's reservation.
    """
    requests: dict[str, str] = {}
    if cpu > 0:
        requests["cpu"] = f"{-(-cpu * 1000 // 1024)}m"  # CPU units to millicores, rounded up
    if memory > 0:
        requests["memory"] = f"{memory}Mi"
    spec: dict[str, Any] = {
        "containers": [
            {"name": "placeholder", "image": PLACEHOLDER_IMAGE, "resources": {"requests": requests}}
        ],
        "nodeSelector": dict(node_selector.get("matchLabels") or {}),
        "automountServiceAccountToken": False,
        "terminationGracePeriodSeconds": 0,
        "restartPolicy": "Never",
    }
    affinity = _affinity(node_selector)
    if affinity is not None:
        spec["affinity"] = affinity
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": placeholder_name(task_uid),
            "namespace": namespace,
            "labels": {PLACEHOLDER_LABEL: task_uid, PROVIDER_LABEL: provider, CLUSTER_LABEL: cluster},
            "ownerReferences": [owner_reference("EcsTask", task_name, task_uid)],
        },
        "spec": spec,
    }
