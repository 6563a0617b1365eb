"""ECS's enumerations that both the contract (`api/`) and the pure engines (`placement/`,
`lifecycle/`) speak: a task's statuses and stop codes, health, launch type, network mode.

Why this module exists: each of these used to be defined twice, once for the pydantic models and
once for an engine that must not depend on the models (the placement engine is also a library for
custom schedulers; the lifecycle rules are pure). Two definitions drift: a member added to one is
unknown to the other. Defined once here, in the lowest layer (standard library only), they are
re-exported where each side expects them (`ecs_operator.api`, `ecs_operator.lifecycle.states`,
`ecs_operator.placement`), so `api.TaskStatus is lifecycle.states.TaskStatus`.

The values are ECS's wire values (`str` enums), so a member compares equal to the string ECS
writes. Docstrings here reach the CRDs' descriptions through the models: change them with
`make crds`.
"""

from __future__ import annotations

from enum import StrEnum


class TaskStatus(StrEnum):
    """lastStatus, in lifecycle order (ecs-semantics §5.1)."""

    PROVISIONING = "PROVISIONING"
    PENDING = "PENDING"
    ACTIVATING = "ACTIVATING"
    RUNNING = "RUNNING"
    DEACTIVATING = "DEACTIVATING"
    STOPPING = "STOPPING"
    DEPROVISIONING = "DEPROVISIONING"
    STOPPED = "STOPPED"


class DesiredStatus(StrEnum):
    """desiredStatus: what the task should become (StopTask sets STOPPED)."""

    RUNNING = "RUNNING"
    STOPPED = "STOPPED"


class StopCode(StrEnum):
    """stopCode: why a task stopped (the ECS enum; ecs-semantics §5.4)."""

    TASK_FAILED_TO_START = "TaskFailedToStart"
    ESSENTIAL_CONTAINER_EXITED = "EssentialContainerExited"
    USER_INITIATED = "UserInitiated"
    SERVICE_SCHEDULER_INITIATED = "ServiceSchedulerInitiated"
    SPOT_INTERRUPTION = "SpotInterruption"
    TERMINATION_NOTICE = "TerminationNotice"
    INFRASTRUCTURE_HEALTH = "InfrastructureHealth"


class HealthStatus(StrEnum):
    """Container and task health (ecs-semantics §5.6, §10.6)."""

    HEALTHY = "HEALTHY"
    UNHEALTHY = "UNHEALTHY"
    UNKNOWN = "UNKNOWN"


class LaunchType(StrEnum):
    """Where a task runs: the cluster's container instances or its Fargate capacity."""

    EC2 = "EC2"
    FARGATE = "FARGATE"


class NetworkMode(StrEnum):
    """A task definition's networkMode (ecs-semantics §10.4)."""

    BRIDGE = "bridge"
    HOST = "host"
    AWSVPC = "awsvpc"
    NONE = "none"
