"""EcsCluster: which nodes are a cluster's EC2 container instances, and its Fargate capacity.

Why cluster-scoped: an ECS cluster is a pool of machines, and nodes are cluster-scoped; tasks and
services in any namespace name the cluster they run in.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from ecs_operator.api.cel import rule, validations
from ecs_operator.api.common import (
    DNS_SUBDOMAIN,
    CapacityProviderName,
    CapacityProviderStrategyItem,
    LabelSelector,
    SelectorRequirement,
    capacity_provider_strategy_field,
)
from ecs_operator.api.conditions import Condition, conditions_field
from ecs_operator.api.meta import AGE, KindInfo, PrinterColumn, Resource, SpecModel, StatusModel


class ClusterStatus(StrEnum):
    ACTIVE = "ACTIVE"
    PROVISIONING = "PROVISIONING"
    DEPROVISIONING = "DEPROVISIONING"
    FAILED = "FAILED"
    INACTIVE = "INACTIVE"


class FargateCapacity(SpecModel):
    """Where and how the cluster's Fargate tasks run (each task is an isolated pod)."""

    node_selector: LabelSelector | None = Field(
        default=None,
        description="Nodes that host this cluster's Fargate tasks; the operator keeps one "
        "EcsContainerInstance (launchType FARGATE) per matching node. A node that both selectors match "
        "is Fargate capacity. Absent: every node that spec.nodeSelector does not select.",
    )
    runtime_class_name: str | None = Field(
        default=None,
        max_length=253,
        pattern=DNS_SUBDOMAIN,
        description="Optional RuntimeClass (a sandbox such as kata or gvisor) for Fargate task pods.",
    )
    platform_revision: str | None = Field(
        default=None,
        min_length=1,
        max_length=63,
        description="The Fargate platform revision. Changing it retires the tasks of the old revision: "
        "service tasks are replaced within the deployment configuration, standalone tasks are stopped "
        "and never replaced (ECS task maintenance).",
    )
    task_retirement_wait_period_days: Literal[0, 7, 14] = Field(
        default=7,
        description="Days between a platform revision change and the retirement of old standalone tasks "
        "(ECS fargateTaskRetirementWaitPeriod): 0, 7 or 14. Default 7.",
    )


class NamespaceSelectorRequirement(SelectorRequirement):
    """A Kubernetes label selector requirement over namespace labels."""

    key: str = Field(min_length=1, max_length=317, description="The namespace label key.")


class NamespaceSelector(SpecModel):
    """A Kubernetes label selector over namespaces; an empty selector matches every namespace."""

    match_labels: dict[str, str] | None = Field(
        default=None,
        description="Namespaces must carry every one of these labels with exactly these values "
        "(kubernetes.io/metadata.name is the namespace's name).",
    )
    match_expressions: list[NamespaceSelectorRequirement] | None = Field(
        default=None, max_length=64, description="Namespaces must satisfy every one of these requirements."
    )


NOT_ASSOCIATED = (
    "The specified capacity provider strategy cannot contain a capacity provider that is not associated "
    "with the cluster. Associate the capacity provider with the cluster or specify a valid capacity "
    "provider and try again."
)
MAX_CLUSTER_CAPACITY_PROVIDERS = 20


class EcsClusterSpec(
    SpecModel,
    json_schema_extra=validations(
        rule(
            "!has(self.defaultCapacityProviderStrategy) || self.defaultCapacityProviderStrategy.all(i,"
            " has(self.capacityProviders) && i.capacityProvider in self.capacityProviders)",
            NOT_ASSOCIATED,
            field_path=".defaultCapacityProviderStrategy",
        ),
    ),
):
    """The desired state of an EcsCluster."""

    node_selector: LabelSelector | None = Field(
        default=None,
        description="Nodes that are this cluster's EC2 container instances; the operator keeps one "
        "EcsContainerInstance per matching node. Absent: the cluster has no EC2 capacity.",
    )
    fargate: FargateCapacity | None = Field(
        default=None, description="Optional Fargate capacity. Absent: FARGATE tasks cannot run here."
    )
    namespace_selector: NamespaceSelector | None = Field(
        default=None,
        description="The namespaces whose EcsTasks, EcsServices and ScheduledTasks may run on this "
        "cluster (ECS guards RunTask and CreateService with IAM; this is that guard). Others are refused "
        "with AccessDeniedException and nothing is placed; tasks already placed keep running. Absent: "
        "every namespace.",
    )
    capacity_providers: list[CapacityProviderName] | None = Field(
        default=None,
        max_length=MAX_CLUSTER_CAPACITY_PROVIDERS,
        description="Capacity providers associated with the cluster (PutClusterCapacityProviders): "
        "EcsCapacityProvider names and the built-in FARGATE and FARGATE_SPOT. At most 20.",
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )
    default_capacity_provider_strategy: list[CapacityProviderStrategyItem] | None = (
        capacity_provider_strategy_field(
            "The strategy of tasks and services that name neither a launchType nor a "
            "capacityProviderStrategy. Only providers in capacityProviders."
        )
    )


class EcsClusterStatus(StatusModel):
    """What the operator observed about the cluster."""

    status: ClusterStatus | None = Field(
        default=None, description="ACTIVE, PROVISIONING, DEPROVISIONING, FAILED or INACTIVE."
    )
    registered_container_instances_count: int | None = Field(
        default=None, ge=0, description="Container instances registered (ACTIVE or DRAINING)."
    )
    running_tasks_count: int | None = Field(
        default=None, ge=0, description="Tasks whose lastStatus is RUNNING."
    )
    pending_tasks_count: int | None = Field(
        default=None, ge=0, description="Tasks whose lastStatus is PENDING."
    )
    active_services_count: int | None = Field(
        default=None, ge=0, description="Services whose status is ACTIVE."
    )
    conditions: list[Condition] = conditions_field()


class EcsCluster(Resource):
    """An EcsCluster object."""

    kind: str = "EcsCluster"
    spec: EcsClusterSpec = Field(default_factory=EcsClusterSpec, description="Desired state.")
    status: EcsClusterStatus = Field(default_factory=EcsClusterStatus, description="Observed state.")


def parse_ecs_cluster(body: Mapping[str, Any]) -> EcsCluster:
    """Parse a raw EcsCluster object (a dict, or a Kopf `Body`)."""
    return EcsCluster.from_body(body)


ECS_CLUSTER = KindInfo(
    kind="EcsCluster",
    plural="ecsclusters",
    singular="ecscluster",
    short_names=("ecscl",),
    scope="Cluster",
    resource=EcsCluster,
    spec=EcsClusterSpec,
    status=EcsClusterStatus,
    description="An ECS cluster: the nodes that are its EC2 container instances and its Fargate capacity.",
    spec_required=False,
    columns=(
        PrinterColumn(
            "Status", "string", ".status.status", "ACTIVE, PROVISIONING, DEPROVISIONING, FAILED or INACTIVE."
        ),
        PrinterColumn(
            "Instances",
            "integer",
            ".status.registeredContainerInstancesCount",
            "Registered container instances.",
        ),
        PrinterColumn("Running", "integer", ".status.runningTasksCount", "Tasks in RUNNING."),
        PrinterColumn("Pending", "integer", ".status.pendingTasksCount", "Tasks in PENDING."),
        PrinterColumn("Services", "integer", ".status.activeServicesCount", "ACTIVE services."),
        AGE,
    ),
)
