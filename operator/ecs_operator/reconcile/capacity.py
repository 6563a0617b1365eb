"""Which capacity provider a task uses, and which container instances belong to that provider.

Why here (pure, over plain objects): the task launch and the service scheduler both need the same
three answers, and they are ECS rules rather than Kubernetes plumbing:

1. The strategy in effect (RunTask, CreateService): the task's own ``capacityProviderStrategy``;
   without it and without a ``launchType``, the cluster's ``defaultCapacityProviderStrategy``;
   otherwise none (the launch type, EC2 by default, applies).
2. The provider of one more task: ``placement.capacity.choose`` over the providers the group's
   tasks already hold (base first, then weight). A provider the cluster is not associated with is
   refused with ECS's message.
3. The instances of a provider: FARGATE is the cluster's Fargate capacity on nodes not labelled as
   spot, FARGATE_SPOT the Fargate capacity on nodes labelled ``karpenter.sh/capacity-type=spot``;
   any other provider is the cluster's EC2 instances whose node its ``nodeSelector`` matches.
   Placement strategies and constraints then apply within these instances only.

Managed termination protection is carried by the task pods, not written on nodes: a pod of a
provider with ``managedTerminationProtection: ENABLED`` is annotated with the autoscalers' own
per-pod marks (:data:`SCALE_DOWN_PROTECTION`), so the cluster autoscaler and Karpenter keep a node
while it holds a task and may remove it once it holds none. The operator's ClusterRole stays
read-only on nodes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ecs_operator.api.capacityprovider import SPOT_LABEL, SPOT_VALUE
from ecs_operator.api.cluster import NOT_ASSOCIATED
from ecs_operator.placement.capacity import BUILT_IN, FARGATE, FARGATE_SPOT, Strategy, strategy_from_spec
from ecs_operator.reconcile.selectors import matches

SCALE_DOWN_PROTECTION = {
    "cluster-autoscaler.kubernetes.io/safe-to-evict": "false",
    "karpenter.sh/do-not-disrupt": "true",
}
"""The pod annotations that keep the cluster autoscaler and Karpenter from removing a pod's node."""

__all__ = [
    "NOT_ASSOCIATED",
    "SCALE_DOWN_PROTECTION",
    "associated",
    "counts_of",
    "effective_strategy",
    "launch_type_of",
    "provider_launch_type",
    "serves",
    "termination_protection",
]


def effective_strategy(spec: Mapping[str, Any], cluster_spec: Mapping[str, Any] | None) -> Strategy | None:
    """The capacity provider strategy in effect for a task, service or scheduled target spec.

    None for StartTask (``containerInstance``): the caller chose the instance, and StartTask
    takes no capacity provider strategy."""
    if spec.get("containerInstance"):
        return None
    own = spec.get("capacityProviderStrategy")
    if own:
        return strategy_from_spec(own)
    if spec.get("launchType"):
        return None
    default = (cluster_spec or {}).get("defaultCapacityProviderStrategy")
    return strategy_from_spec(default) if default else None


def provider_launch_type(provider: str) -> str:
    """FARGATE and FARGATE_SPOT run tasks on Fargate capacity; every other provider on EC2."""
    return "FARGATE" if provider in BUILT_IN else "EC2"


def launch_type_of(spec: Mapping[str, Any], strategy: Strategy | None) -> str:
    """The launch type placement uses: the spec's, else the strategy's kind of capacity, else EC2."""
    if spec.get("launchType"):
        return str(spec["launchType"])
    if strategy is not None and strategy.fargate:
        return "FARGATE"
    return "EC2"


def associated(provider: str, cluster_spec: Mapping[str, Any] | None) -> bool:
    """ECS places only on providers associated with the cluster (PutClusterCapacityProviders)."""
    return provider in ((cluster_spec or {}).get("capacityProviders") or [])


def serves(
    provider: str,
    selector: Mapping[str, Any] | None,
    instance_launch_type: str,
    node_labels: Mapping[str, str],
) -> bool:
    """Whether a container instance (its launch type, its node's labels) is capacity of `provider`.

    `selector` is the EcsCapacityProvider's nodeSelector (unused for FARGATE and FARGATE_SPOT).
    """
    spot = node_labels.get(SPOT_LABEL) == SPOT_VALUE
    if provider == FARGATE:
        return instance_launch_type == "FARGATE" and not spot
    if provider == FARGATE_SPOT:
        return instance_launch_type == "FARGATE" and spot
    return instance_launch_type == "EC2" and matches(selector, node_labels)


def counts_of(tasks: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many live tasks of a group each provider holds (its recorded or assigned provider)."""
    out: dict[str, int] = {}
    for task in tasks:
        status = task.get("status") or {}
        if (
            status.get("lastStatus") == "STOPPED"
            or (task.get("spec") or {}).get("desiredStatus") == "STOPPED"
        ):
            continue
        provider = status.get("capacityProviderName") or _assigned(task)
        if provider:
            out[provider] = out.get(provider, 0) + 1
    return out


def _assigned(task: Mapping[str, Any]) -> str | None:
    """The provider a scheduler assigned to a task not placed yet (a one-item strategy)."""
    items = (task.get("spec") or {}).get("capacityProviderStrategy") or []
    return str(items[0]["capacityProvider"]) if len(items) == 1 else None


def termination_protection(provider_spec: Mapping[str, Any] | None) -> dict[str, str]:
    """The pod annotations a task of this provider carries (none unless protection is ENABLED)."""
    if (provider_spec or {}).get("managedTerminationProtection") == "ENABLED":
        return dict(SCALE_DOWN_PROTECTION)
    return {}
