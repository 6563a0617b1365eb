"""EcsService: keeps desiredCount tasks running (REPLICA) or one per instance (DAEMON).

Why the rules: CreateService refuses the combinations a DAEMON or FARGATE service cannot honour
(ecs-semantics §3.2, §8.3); refusing them at admission keeps the reconcilers free of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from ecs_operator.api.cel import absent_if, fargate_rules, immutable, rule, unchanged, validations
from ecs_operator.api.common import (
    MAX_CONSTRAINTS,
    MAX_STRATEGIES,
    CapacityProviderStrategyItem,
    K8sName,
    LaunchType,
    PlacementConstraint,
    PlacementStrategy,
    TaskDefinitionRef,
    capacity_provider_strategy_field,
    launch_type_or_strategy_rule,
)
from ecs_operator.api.conditions import Condition, conditions_field
from ecs_operator.api.containers import ContainerName
from ecs_operator.api.meta import AGE, KindInfo, PrinterColumn, Resource, SpecModel, StatusModel

_DAEMON = "self.schedulingStrategy == 'DAEMON'"


class AvailabilityZoneRebalancing(StrEnum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


class SchedulingStrategy(StrEnum):
    REPLICA = "REPLICA"
    DAEMON = "DAEMON"


class ServiceStatus(StrEnum):
    ACTIVE = "ACTIVE"
    DRAINING = "DRAINING"
    INACTIVE = "INACTIVE"


class DeploymentStatus(StrEnum):
    PRIMARY = "PRIMARY"
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


class RolloutState(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class DeploymentCircuitBreaker(SpecModel):
    """Stops a deployment whose tasks keep failing (ecs-semantics §3.4)."""

    enable: bool = Field(description="Whether the circuit breaker watches deployments.")
    rollback: bool = Field(description="On failure, roll back to the last COMPLETED deployment.")


class DeploymentConfiguration(SpecModel):
    """Bounds of a rolling deployment, as percentages of desiredCount (ecs-semantics §3.3)."""

    minimum_healthy_percent: int | None = Field(
        default=None,
        ge=0,
        le=100,
        description="Healthy RUNNING tasks kept during a deployment, ceil(desired x pct / 100): 0-100. "
        "Default 100 for REPLICA, 0 for DAEMON.",
    )
    maximum_percent: int | None = Field(
        default=None,
        ge=0,
        le=2147483647,
        description="RUNNING plus PENDING tasks allowed during a deployment, floor(desired x pct / 100). "
        "Default 200 for REPLICA; DAEMON: 100 (the only value).",
    )
    deployment_circuit_breaker: DeploymentCircuitBreaker | None = Field(
        default=None, description="Deployment circuit breaker; absent: disabled."
    )


class LoadBalancer(SpecModel):
    """A container port exposed through the service's Kubernetes Service (same name)."""

    container_name: ContainerName = Field(description="A container of the task definition.")
    container_port: int = Field(ge=1, le=65535, description="A containerPort of one of its port mappings.")
    deregistration_delay_seconds: int = Field(
        default=300,
        ge=0,
        le=3600,
        description="How long a task stays DEACTIVATING after it leaves this load balancer, before it "
        "is stopped (the target group's deregistration delay; Elastic Load Balancing's default is 300).",
    )


class EcsServiceSpec(
    SpecModel,
    json_schema_extra=validations(
        rule(
            f"!({_DAEMON}) || !has(self.desiredCount)",
            "The daemon scheduling strategy does not support a desired count for services. "
            "Remove the desired count value and try again",
            field_path=".desiredCount",
        ),
        rule(
            f"{_DAEMON} || has(self.desiredCount)",
            "The replica scheduling strategy requires a desired count.",
            field_path=".desiredCount",
            reason="FieldValueRequired",
        ),
        absent_if(
            _DAEMON,
            "placementStrategy",
            "The daemon scheduling strategy does not support placement strategies. "
            "Remove the placement strategy and try again",
            is_list=True,
        ),
        rule(
            f"!({_DAEMON}) || !has(self.launchType) || self.launchType != 'FARGATE'",
            "The daemon scheduling strategy is not supported with FARGATE launch type.",
            field_path=".schedulingStrategy",
        ),
        rule(
            f"!({_DAEMON}) || !has(self.deploymentConfiguration)"
            " || !has(self.deploymentConfiguration.maximumPercent)"
            " || self.deploymentConfiguration.maximumPercent == 100",
            "The daemon scheduling strategy supports only 100 for maximumPercent on a deployment "
            "configuration. Change the maximumPercent value to 100, and try again",
            field_path=".deploymentConfiguration.maximumPercent",
        ),
        absent_if(
            _DAEMON,
            "capacityProviderStrategy",
            "The daemon scheduling strategy does not support a capacity provider strategy.",
        ),
        launch_type_or_strategy_rule(),
        # Absent (the cluster's default strategy, else EC2) or given, it stays as created: ECS's
        # UpdateService takes no launch type.
        unchanged("launchType"),
        *fargate_rules(),
    ),
):
    """The desired state of a service."""

    cluster: K8sName = Field(
        description="The EcsCluster to run in. Immutable.",
        json_schema_extra=validations(immutable("cluster")),
    )
    task_definition: TaskDefinitionRef = Field(
        description="family (follows the latest ACTIVE revision: each new one is a deployment) or "
        "family:revision."
    )
    desired_count: int | None = Field(
        default=None,
        ge=0,
        le=2147483647,
        description="Tasks to keep running. Required for REPLICA; not allowed for DAEMON.",
    )
    launch_type: LaunchType | None = Field(
        default=None,
        description="EC2 or FARGATE. Excludes capacityProviderStrategy; with neither, the cluster's "
        "defaultCapacityProviderStrategy applies, and without one EC2. Immutable.",
    )
    capacity_provider_strategy: list[CapacityProviderStrategyItem] | None = capacity_provider_strategy_field(
        "Capacity providers for the service's tasks: base first, the rest by weight; the split is kept as "
        "the service scales out and in. Excludes launchType. Not with DAEMON."
    )
    scheduling_strategy: SchedulingStrategy = Field(
        default=SchedulingStrategy.REPLICA,
        description="REPLICA (default) keeps desiredCount tasks; DAEMON runs one task on every ACTIVE "
        "instance that meets the constraints (EC2 only, no strategies, no desiredCount). Immutable.",
        json_schema_extra=validations(immutable("schedulingStrategy")),
    )
    placement_strategy: list[PlacementStrategy] = Field(
        default_factory=list,
        max_length=MAX_STRATEGIES,
        description="At most 5 strategies, applied in order. Default spread on "
        "attribute:ecs.availability-zone. Not with DAEMON or FARGATE. Changing it starts no deployment.",
    )
    placement_constraints: list[PlacementConstraint] = Field(
        default_factory=list,
        max_length=MAX_CONSTRAINTS,
        description="Hard constraints; at most 10 together with the task definition's. Not with FARGATE.",
    )
    deployment_configuration: DeploymentConfiguration | None = Field(
        default=None, description="Rolling deployment bounds and circuit breaker."
    )
    health_check_grace_period_seconds: int = Field(
        default=0,
        ge=0,
        le=2147483647,
        description="Seconds after a task starts during which failed health checks are ignored. Default 0.",
    )
    load_balancers: list[LoadBalancer] = Field(
        default_factory=list,
        max_length=5,
        description="Container ports served by a Kubernetes Service of the same name. Its endpoints are the "
        "pods of RUNNING tasks not being stopped whose healthStatus is HEALTHY or UNKNOWN (a target is "
        "registered before its first health check, as in ECS; an UNHEALTHY task is deregistered); an "
        "endpoint gets traffic once its pod is Ready. At most 5.",
    )
    availability_zone_rebalancing: AvailabilityZoneRebalancing | None = Field(
        default=None,
        description="ENABLED or DISABLED: move tasks from the zone with the most of the service's tasks to "
        "the zone with the fewest once capacity returns. Absent: ENABLED when the service's placement "
        "spreads across zones first (the default strategy), as ECS defaults new services.",
    )
    force_new_deployment: str | None = Field(
        default=None,
        max_length=253,
        description="Any new value starts a new deployment with the same task definition.",
    )


class Deployment(StatusModel):
    """One deployment of the service (ecs-semantics §3.3)."""

    id: str = Field(description="Deployment id, ecs-svc/<number>; service tasks carry it as startedBy.")
    status: DeploymentStatus = Field(description="PRIMARY (newest), ACTIVE (older, has tasks) or INACTIVE.")
    task_definition: str = Field(description="The family:revision it deploys.")
    desired_count: int = Field(default=0, ge=0, description="Tasks this deployment should run.")
    running_count: int = Field(default=0, ge=0, description="Its tasks in RUNNING.")
    pending_count: int = Field(default=0, ge=0, description="Its tasks in PENDING.")
    failed_tasks: int = Field(default=0, ge=0, description="Consecutive failed tasks (circuit breaker).")
    rollout_state: RolloutState | None = Field(default=None, description="IN_PROGRESS, COMPLETED or FAILED.")
    rollout_state_reason: str | None = Field(default=None, description="Why it is in that state.")
    force_new_deployment: str | None = Field(
        default=None, description="The spec.forceNewDeployment value it was started for."
    )
    created_at: datetime | None = Field(default=None, description="When it started.")
    updated_at: datetime | None = Field(default=None, description="When it last changed.")


class ServiceDeploymentStatus(StrEnum):
    """ECS's status of a service deployment (ListServiceDeployments, DescribeServiceDeployments)."""

    IN_PROGRESS = "IN_PROGRESS"
    SUCCESSFUL = "SUCCESSFUL"
    STOPPED = "STOPPED"
    ROLLBACK_IN_PROGRESS = "ROLLBACK_IN_PROGRESS"
    ROLLBACK_SUCCESSFUL = "ROLLBACK_SUCCESSFUL"


class DeploymentRollback(StatusModel):
    """A circuit-breaker rollback away from this deployment."""

    reason: str = Field(description="Why it was rolled back.")
    started_at: datetime = Field(description="When the rollback began.")
    target: str = Field(description="The deployment id whose service revision it rolled back to.")


class DeploymentRecord(StatusModel):
    """One deployment as ECS's service deployment history shows it, with the service revision it
    rolled out (the revision's id is the deployment's number). Kept after the deployment has left
    ``deployments`` (reconcile.service.history)."""

    id: str = Field(description="Deployment id, ecs-svc/<number>.")
    status: ServiceDeploymentStatus = Field(description="ECS's service deployment status.")
    status_reason: str | None = Field(default=None, description="Why it is in that status.")
    task_definition: str = Field(description="The family:revision it rolled out.")
    launch_type: LaunchType | None = Field(default=None, description="The service's launch type then.")
    capacity_provider_strategy: list[CapacityProviderStrategyItem] | None = Field(
        default=None, max_length=20, description="The service's capacity provider strategy then."
    )
    load_balancers: list[LoadBalancer] = Field(
        default_factory=list, max_length=5, description="The service's load balancers then."
    )
    sources: list[str] = Field(
        default_factory=list, max_length=20, description="Ids of the deployments it replaced."
    )
    created_at: datetime = Field(description="When it was created (and started).")
    finished_at: datetime | None = Field(default=None, description="When it finished; absent while running.")
    rollback: DeploymentRollback | None = Field(default=None, description="Its rollback, if any.")


class ServiceEvent(StatusModel):
    """A service event message, as DescribeServices shows them."""

    id: str = Field(description="Event id.")
    created_at: datetime = Field(description="When it happened.")
    message: str = Field(description="ECS message, e.g. (service web) has reached a steady state.")


class RolledBackFrom(StatusModel):
    """The deployment a circuit-breaker rollback left, so the same spec does not retry it."""

    task_definition: str = Field(description="The family:revision that was rolled back.")
    force_new_deployment: str | None = Field(default=None, description="Its forceNewDeployment value.")


class LastCompleted(StatusModel):
    """The newest deployment that COMPLETED: the breaker's rollback target once it is no longer listed."""

    id: str = Field(description="Its deployment id.")
    task_definition: str = Field(description="Its family:revision.")
    force_new_deployment: str | None = Field(default=None, description="Its forceNewDeployment value.")


class SchedulerMemory(StatusModel):
    """The service scheduler's memory between passes (written by the operator; not for people)."""

    deployments_created: int = Field(default=0, ge=0, description="Deployments created so far.")
    tasks_started: int = Field(default=0, ge=0, description="Tasks started so far (names tasks).")
    counted_failures: list[str] = Field(
        default_factory=list, description="Uids of failed tasks already counted by the circuit breaker."
    )
    start_failures: int = Field(default=0, ge=0, description="Consecutive launches that failed to start.")
    last_start_failure_at: datetime | None = Field(default=None, description="When the last one failed.")
    launch_not_before: datetime | None = Field(
        default=None, description="Start-failure backoff: no launch before this time."
    )
    backoff_task_definition: str | None = Field(
        default=None, description="The revision the backoff applies to (a new one resets it)."
    )
    last_task_failure_at: datetime | None = Field(default=None, description="When a task last failed.")
    rolled_back_from: RolledBackFrom | None = Field(default=None, description="The rolled-back deployment.")
    active_messages: list[str] = Field(
        default_factory=list, description="Event messages whose cause holds (repeat suppression)."
    )
    last_completed: LastCompleted | None = Field(default=None, description="The newest COMPLETED deployment.")
    rebalancing_task: str | None = Field(
        default=None, description="Uid of the task an Availability Zone rebalancing is moving."
    )


class EcsServiceStatus(StatusModel):
    """What the operator observed about the service."""

    status: ServiceStatus | None = Field(default=None, description="ACTIVE, DRAINING or INACTIVE.")
    desired_count: int | None = Field(default=None, ge=0, description="Tasks wanted (DAEMON: instances).")
    running_count: int | None = Field(default=None, ge=0, description="Tasks in RUNNING.")
    pending_count: int | None = Field(default=None, ge=0, description="Tasks in PENDING.")
    deployments: list[Deployment] = Field(default_factory=list, description="Deployments, PRIMARY first.")
    events: list[ServiceEvent] = Field(default_factory=list, description="Events, newest first, at most 100.")
    deployment_history: list[DeploymentRecord] = Field(
        default_factory=list,
        max_length=64,
        description="Service deployments, newest first: every listed one and the last 10 finished ones.",
    )
    conditions: list[Condition] = conditions_field()
    scheduler: SchedulerMemory | None = Field(
        default=None, description="The service scheduler's memory between passes (operator-owned)."
    )


class EcsService(Resource):
    """An EcsService object."""

    kind: str = "EcsService"
    spec: EcsServiceSpec = Field(description="Desired state.")
    status: EcsServiceStatus = Field(default_factory=EcsServiceStatus, description="Observed state.")


def parse_ecs_service(body: Mapping[str, Any]) -> EcsService:
    """Parse a raw EcsService object (a dict, or a Kopf `Body`)."""
    return EcsService.from_body(body)


ECS_SERVICE = KindInfo(
    kind="EcsService",
    plural="ecsservices",
    singular="ecsservice",
    short_names=("ecssvc",),
    scope="Namespaced",
    resource=EcsService,
    spec=EcsServiceSpec,
    status=EcsServiceStatus,
    description="An ECS service: keeps desiredCount tasks running (REPLICA) or one per instance (DAEMON).",
    columns=(
        PrinterColumn("Desired", "integer", ".status.desiredCount", "Tasks wanted."),
        PrinterColumn("Running", "integer", ".status.runningCount", "Tasks in RUNNING."),
        PrinterColumn("Pending", "integer", ".status.pendingCount", "Tasks in PENDING."),
        PrinterColumn("Status", "string", ".status.status", "ACTIVE, DRAINING or INACTIVE."),
        PrinterColumn(
            "Task Definition", "string", ".spec.taskDefinition", "The task definition.", priority=1
        ),
        PrinterColumn("Strategy", "string", ".spec.schedulingStrategy", "REPLICA or DAEMON.", priority=1),
        AGE,
    ),
)
