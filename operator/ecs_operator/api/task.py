"""EcsTask: one ECS task (RunTask, or StartTask when `containerInstance` is set), one pod.

Why the spec is mostly immutable: a task is placed once, with the spec it had then (ECS: the group
cannot change after launch). Only `desiredStatus` (StopTask) and `stopReason` may change, and a
stopped task cannot be started again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import Field

from ecs_operator.api.cel import FARGATE_TASK, absent_if, fargate_rules, rule, unchanged, validations
from ecs_operator.api.common import (
    MAX_CONSTRAINTS,
    MAX_STRATEGIES,
    CapacityProviderStrategyItem,
    K8sName,
    LaunchType,
    PlacementConstraint,
    PlacementStrategy,
    StartedBy,
    TaskDefinitionRef,
    TaskGroup,
    capacity_provider_strategy_field,
    launch_type_or_strategy_rule,
)
from ecs_operator.api.conditions import Condition, conditions_field
from ecs_operator.api.meta import AGE, KindInfo, PrinterColumn, Resource, SpecModel, StatusModel
from ecs_operator.api.overrides import TaskOverride
from ecs_operator.enums import DesiredStatus as DesiredStatus
from ecs_operator.enums import HealthStatus as HealthStatus
from ecs_operator.enums import StopCode as StopCode
from ecs_operator.enums import TaskStatus as TaskStatus

MIN_PROTECTION_MINUTES = 1
MAX_PROTECTION_MINUTES = 2880
DEFAULT_PROTECTION_MINUTES = 120
"""UpdateTaskProtection's expiresInMinutes: 1 minute to 48 hours, 2 hours when not given."""


class TaskProtection(SpecModel):
    """Task scale-in protection, as UpdateTaskProtection sets it (service tasks only)."""

    enabled: bool = Field(
        description="protectionEnabled: true keeps the task from being stopped by a scale-in or a "
        "deployment until the protection expires; false makes it eligible again."
    )
    expires_in_minutes: int = Field(
        default=DEFAULT_PROTECTION_MINUTES,
        ge=MIN_PROTECTION_MINUTES,
        le=MAX_PROTECTION_MINUTES,
        description="How long the protection lasts from the time it is applied: 1 to 2880 (48 hours), "
        "default 120.",
    )
    renew: str | None = Field(
        default=None,
        max_length=253,
        description="Any new value applies the protection again, restarting expiresInMinutes (as "
        "calling UpdateTaskProtection again does); kubectl ecs update-task-protection sets it.",
    )


# Everything but desiredStatus, stopReason and protection; and overrides, whose unbounded command and environment
# lists would make a whole-object comparison too costly for the API server's CEL budget (the
# operator snapshots the spec at placement, so a later change of overrides has no effect).
_IMMUTABLE = (
    "cluster",
    "taskDefinition",
    "launchType",
    "capacityProviderStrategy",
    "group",
    "startedBy",
    "containerInstance",
    "placementStrategy",
    "placementConstraints",
)


class EcsTaskSpec(
    SpecModel,
    json_schema_extra=validations(
        *fargate_rules(),
        launch_type_or_strategy_rule(),
        absent_if(
            "has(self.capacityProviderStrategy)",
            "containerInstance",
            "StartTask (containerInstance) does not take a capacity provider strategy.",
        ),
        absent_if(
            FARGATE_TASK,
            "containerInstance",
            "StartTask (containerInstance) is not supported with FARGATE launch type.",
        ),
        *(unchanged(name) for name in _IMMUTABLE),
    ),
):
    """The desired state of a task."""

    cluster: K8sName = Field(description="The EcsCluster to run in. Immutable.")
    task_definition: TaskDefinitionRef = Field(
        description="family:revision, or family for its latest ACTIVE revision (resolved once, at "
        "launch, into status.taskDefinition). Immutable."
    )
    launch_type: LaunchType | None = Field(
        default=None,
        description="EC2 or FARGATE. Excludes capacityProviderStrategy; with neither, the cluster's "
        "defaultCapacityProviderStrategy applies, and without one EC2. Immutable.",
    )
    capacity_provider_strategy: list[CapacityProviderStrategyItem] | None = capacity_provider_strategy_field(
        "Capacity providers to run on (RunTask capacityProviderStrategy): base first, the rest by weight; "
        "strategies and constraints apply within the chosen provider's instances. Excludes launchType. "
        "Immutable."
    )
    group: TaskGroup | None = Field(
        default=None,
        description="Task group, the scope of spread and distinctInstance and what task:group matches. "
        "Default family:<family>; service tasks are service:<name>. At most 255 characters. Immutable.",
    )
    started_by: StartedBy | None = Field(
        default=None,
        description="Free tag of who started the task: at most 128 letters, digits, hyphens, slashes and "
        "underscores. Service tasks carry their deployment id. Immutable.",
    )
    overrides: TaskOverride | None = Field(
        default=None, description="Task-level and per-container overrides of the task definition."
    )
    placement_strategy: list[PlacementStrategy] = Field(
        default_factory=list,
        max_length=MAX_STRATEGIES,
        description="At most 5 strategies, applied in order, each breaking the ties of the one before. "
        "Default random. Not with FARGATE; ignored with containerInstance. Immutable.",
    )
    placement_constraints: list[PlacementConstraint] = Field(
        default_factory=list,
        max_length=MAX_CONSTRAINTS,
        description="Hard constraints; at most 10 together with the task definition's. Not with FARGATE. "
        "Immutable.",
    )
    container_instance: K8sName | None = Field(
        default=None,
        description="StartTask: the EcsContainerInstance the caller chose; no strategy applies. EC2 only. "
        "Immutable.",
    )
    desired_status: DesiredStatus = Field(
        default=DesiredStatus.RUNNING,
        description="RUNNING (default) or STOPPED (StopTask). A stopped task cannot be started again.",
        json_schema_extra=validations(
            rule(
                "oldSelf != 'STOPPED' || self == 'STOPPED'",
                "A stopped task cannot be started again; run a new task.",
                reason="FieldValueForbidden",
            )
        ),
    )
    stop_reason: str | None = Field(
        default=None,
        max_length=1024,
        description="Why the task was stopped by the user (StopTask reason); copied to status.stoppedReason.",
    )
    protection: TaskProtection | None = Field(
        default=None,
        description="Scale-in protection (UpdateTaskProtection): a protected service task is never "
        "stopped by a scale-in or a deployment. Not valid for standalone tasks (TASK_NOT_VALID).",
    )


class ContainerState(StatusModel):
    """The observed state of one container."""

    name: str = Field(description="Container name.")
    last_status: TaskStatus | None = Field(default=None, description="PENDING, RUNNING or STOPPED.")
    exit_code: int | None = Field(default=None, description="Exit code once stopped.")
    reason: str | None = Field(default=None, description="Why it stopped or could not start.")
    health_status: HealthStatus | None = Field(default=None, description="HEALTHY, UNHEALTHY or UNKNOWN.")


class Failure(StatusModel):
    """Why a task could not be placed or started (RunTask failures[])."""

    arn: str | None = Field(default=None, description="The container instance or resource concerned.")
    reason: str = Field(
        description="ECS reason, e.g. RESOURCE:MEMORY, RESOURCE:PORTS, ATTRIBUTE, AGENT, MISSING."
    )
    detail: str | None = Field(default=None, description="Details, e.g. the constraint not met.")


class AppliedProtection(StatusModel):
    """The spec.protection the operator last applied (a new value is a new UpdateTaskProtection)."""

    enabled: bool = Field(description="protectionEnabled as requested.")
    expires_in_minutes: int | None = Field(default=None, description="expiresInMinutes as requested.")
    renew: str | None = Field(default=None, description="spec.protection.renew as requested.")


class ProtectionStatus(StatusModel):
    """GetTaskProtection: whether the task is protected, and until when."""

    enabled: bool = Field(default=False, description="protectionEnabled: false once the protection expires.")
    expiration_date: datetime | None = Field(
        default=None, description="When the protection expires: the time it was applied + expiresInMinutes."
    )
    updated_at: datetime | None = Field(default=None, description="When the operator applied the request.")
    applied: AppliedProtection | None = Field(
        default=None, description="The spec.protection this status answers (none: protection removed)."
    )
    failures: list[Failure] = Field(
        default_factory=list, description="Why the request was refused: TASK_NOT_VALID for a standalone task."
    )


class EcsTaskStatus(StatusModel):
    """What the operator observed about the task."""

    last_status: TaskStatus | None = Field(
        default=None,
        description="PROVISIONING, PENDING, ACTIVATING, RUNNING, DEACTIVATING, STOPPING, DEPROVISIONING "
        "or STOPPED.",
    )
    desired_status: DesiredStatus | None = Field(default=None, description="RUNNING or STOPPED.")
    task_definition: str | None = Field(default=None, description="The resolved family:revision.")
    group: str | None = Field(default=None, description="The resolved task group.")
    container_instance: str | None = Field(default=None, description="The EcsContainerInstance it runs on.")
    capacity_provider_name: str | None = Field(
        default=None, description="The capacity provider the task was placed on (with a strategy)."
    )
    pod_name: str | None = Field(default=None, description="The task's pod.")
    availability_zone: str | None = Field(default=None, description="The zone of its instance.")
    platform_revision: str | None = Field(
        default=None, description="FARGATE: the cluster's platform revision the task was launched on."
    )
    cpu: int | None = Field(default=None, ge=0, description="CPU units reserved for the task.")
    memory: int | None = Field(default=None, ge=0, description="MiB reserved for the task.")
    created_at: datetime | None = Field(default=None, description="When the task was created.")
    started_at: datetime | None = Field(default=None, description="When it reached RUNNING.")
    deregistered_at: datetime | None = Field(
        default=None,
        description="When it left its load balancers; its pod stops deregistrationDelaySeconds later.",
    )
    stopping_at: datetime | None = Field(default=None, description="When it entered STOPPING.")
    stopped_at: datetime | None = Field(default=None, description="When it reached STOPPED.")
    stop_code: StopCode | None = Field(
        default=None,
        description="TaskFailedToStart, EssentialContainerExited, UserInitiated, ServiceSchedulerInitiated, "
        "SpotInterruption or TerminationNotice.",
    )
    stopped_reason: str | None = Field(default=None, description="Why it stopped, in ECS wording.")
    health_status: HealthStatus | None = Field(
        default=None, description="Worst health of the essential containers: HEALTHY, UNHEALTHY or UNKNOWN."
    )
    containers: list[ContainerState] = Field(default_factory=list, description="Per-container state.")
    failures: list[Failure] = Field(
        default_factory=list, description="Why it could not be placed (then STOPPED, TaskFailedToStart)."
    )
    protection: ProtectionStatus | None = Field(
        default=None, description="Scale-in protection as applied (GetTaskProtection)."
    )
    conditions: list[Condition] = conditions_field()


class EcsTask(Resource):
    """An EcsTask object."""

    kind: str = "EcsTask"
    spec: EcsTaskSpec = Field(description="Desired state.")
    status: EcsTaskStatus = Field(default_factory=EcsTaskStatus, description="Observed state.")


def parse_ecs_task(body: Mapping[str, Any]) -> EcsTask:
    """Parse a raw EcsTask object (a dict, or a Kopf `Body`)."""
    return EcsTask.from_body(body)


ECS_TASK = KindInfo(
    kind="EcsTask",
    plural="ecstasks",
    singular="ecstask",
    short_names=("ecstask",),
    scope="Namespaced",
    resource=EcsTask,
    spec=EcsTaskSpec,
    status=EcsTaskStatus,
    description="An ECS task: one run of a task definition, as one pod on one container instance.",
    columns=(
        PrinterColumn("Last Status", "string", ".status.lastStatus", "The task's lastStatus."),
        PrinterColumn("Desired", "string", ".status.desiredStatus", "RUNNING or STOPPED."),
        PrinterColumn("Instance", "string", ".status.containerInstance", "The container instance."),
        PrinterColumn("AZ", "string", ".status.availabilityZone", "Availability zone."),
        PrinterColumn("Task Definition", "string", ".status.taskDefinition", "family:revision.", priority=1),
        PrinterColumn("Group", "string", ".status.group", "Task group.", priority=1),
        AGE,
    ),
)
