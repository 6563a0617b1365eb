"""Task lifecycle (pure): ECS task states, the pod → task status mapping, health and stop causes.

Why this package exists: an EcsTask is one pod, and ECS's view of a task (lastStatus, containers,
health, stop code and reason) must be derived from that pod the same way everywhere. The public
surface is re-exported here; `states` holds the transition table, `pod_status` the mapping rules,
`health` the "counts as healthy" rule and `causes` the stop reasons.
"""

from ecs_operator.lifecycle.causes import should_stop_task, user_stop
from ecs_operator.lifecycle.health import counts_as_healthy, settles_at, task_health
from ecs_operator.lifecycle.observation import (
    ContainerObservation,
    ContainerSpec,
    HealthCheckTiming,
    LaunchStage,
    StopDecision,
    TaskObservation,
)
from ecs_operator.lifecycle.pod_status import task_status_from_pod
from ecs_operator.lifecycle.states import (
    ContainerStatus,
    DesiredStatus,
    HealthStatus,
    StopCode,
    TaskStatus,
    advance,
    is_forward,
)

__all__ = [
    "ContainerObservation",
    "ContainerSpec",
    "ContainerStatus",
    "DesiredStatus",
    "HealthCheckTiming",
    "HealthStatus",
    "LaunchStage",
    "StopCode",
    "StopDecision",
    "TaskObservation",
    "TaskStatus",
    "advance",
    "counts_as_healthy",
    "is_forward",
    "settles_at",
    "should_stop_task",
    "task_health",
    "task_status_from_pod",
    "user_stop",
]
