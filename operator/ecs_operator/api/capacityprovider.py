"""EcsCapacityProvider: a pool of nodes that tasks and services choose through a strategy.

Why cluster-scoped, and a kind of its own: in ECS a capacity provider (an Auto Scaling group
provider) is created once and associated with clusters (PutClusterCapacityProviders); here the
pool is the nodes its `nodeSelector` matches, among a cluster's EC2 container instances. The
built-in FARGATE and FARGATE_SPOT providers need no object: they are a cluster's Fargate capacity
(FARGATE_SPOT: its nodes labelled as spot, `SPOT_LABEL`).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import Field

from ecs_operator.api.common import LabelSelector
from ecs_operator.api.conditions import Condition, conditions_field
from ecs_operator.api.meta import AGE, KindInfo, PrinterColumn, Resource, SpecModel, StatusModel

SPOT_LABEL = "karpenter.sh/capacity-type"
"""The node label that makes a Fargate node FARGATE_SPOT capacity when its value is `spot` (the
label Karpenter sets; any node provisioner can set it)."""
SPOT_VALUE = "spot"


class ManagedScalingStatus(StrEnum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


class ManagedTerminationProtection(StrEnum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


class ManagedScaling(SpecModel):
    """Managed scaling of the provider's nodes (through the cluster autoscaler or Karpenter)."""

    status: ManagedScalingStatus = Field(
        default=ManagedScalingStatus.DISABLED, description="ENABLED or DISABLED (default)."
    )
    target_capacity: int = Field(
        default=100,
        ge=1,
        le=100,
        description="Target utilization of the provider's capacity in percent: 1-100, default 100.",
    )


class EcsCapacityProviderSpec(SpecModel):
    """The desired state of a capacity provider."""

    node_selector: LabelSelector = Field(
        description="The nodes of this provider (the analogue of its Auto Scaling group), among the "
        "EC2 container instances of the clusters it is associated with."
    )
    managed_scaling: ManagedScaling | None = Field(
        default=None, description="Managed scaling: status ENABLED or DISABLED, targetCapacity 1-100."
    )
    managed_termination_protection: ManagedTerminationProtection = Field(
        default=ManagedTerminationProtection.DISABLED,
        description="ENABLED: nodes that hold tasks are kept from scale-in. Default DISABLED.",
    )


class EcsCapacityProviderStatus(StatusModel):
    """What the operator observed about the provider."""

    status: str | None = Field(default=None, description="ACTIVE or INACTIVE.")
    conditions: list[Condition] = conditions_field()


class EcsCapacityProvider(Resource):
    """An EcsCapacityProvider object."""

    kind: str = "EcsCapacityProvider"
    spec: EcsCapacityProviderSpec = Field(description="Desired state.")
    status: EcsCapacityProviderStatus = Field(
        default_factory=EcsCapacityProviderStatus, description="Observed state."
    )


def parse_ecs_capacity_provider(body: Mapping[str, Any]) -> EcsCapacityProvider:
    """Parse a raw EcsCapacityProvider object (a dict, or a Kopf `Body`)."""
    return EcsCapacityProvider.from_body(body)


ECS_CAPACITY_PROVIDER = KindInfo(
    kind="EcsCapacityProvider",
    plural="ecscapacityproviders",
    singular="ecscapacityprovider",
    short_names=("ecscp",),
    scope="Cluster",
    resource=EcsCapacityProvider,
    spec=EcsCapacityProviderSpec,
    status=EcsCapacityProviderStatus,
    description="An ECS capacity provider: a pool of nodes that capacity provider strategies choose.",
    columns=(
        PrinterColumn(
            "Scaling", "string", ".spec.managedScaling.status", "Managed scaling: ENABLED or DISABLED."
        ),
        PrinterColumn(
            "Protection", "string", ".spec.managedTerminationProtection", "Managed termination protection."
        ),
        AGE,
    ),
)
