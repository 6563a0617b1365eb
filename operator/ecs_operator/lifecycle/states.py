"""The values of an ECS task's lifecycle, and the one rule about their order (ecs-semantics §5).

Why this module exists: ``lastStatus`` only ever moves forward, and every part of the operator
(status writer, service counters, claim release, `kubectl ecs`) must agree on what "forward" is.

Transition table. A task may skip states (a task that fails to start goes from PENDING, or
earlier, straight to STOPPED) but never re-enters an earlier one: a status that would move
backwards is ignored (`advance`). The "when" column is this operator's reading of each ECS state
for a task that is one pod (`pod_status` has the exact pod → status rules).

| from           | to             | when                                                                     |
|----------------|----------------|--------------------------------------------------------------------------|
| (created)      | PROVISIONING   | the EcsTask is accepted and waits for placement (no committed claim yet) |
| PROVISIONING   | PENDING        | a claim is committed on an instance; the pod has not started there yet   |
| PENDING        | ACTIVATING     | the kubelet reports the pod's containers: images pulling, being created  |
| ACTIVATING     | RUNNING        | every essential container is running                                     |
| RUNNING        | DEACTIVATING   | desiredStatus STOPPED, or an essential container exited; pod not deleted |
| DEACTIVATING   | STOPPING       | the pod is being deleted (SIGTERM sent) and a container still runs       |
| STOPPING       | DEPROVISIONING | every container has ended; the pod is not yet gone or terminal           |
| DEPROVISIONING | STOPPED        | the pod's phase is Succeeded or Failed, or the pod is gone               |
| any            | STOPPED        | unplaceable (TaskFailedToStart), stopped before a pod existed, pod gone  |

DELETED is not a state here: a stopped EcsTask is deleted after its retention period.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from ecs_operator.enums import DesiredStatus as DesiredStatus
from ecs_operator.enums import HealthStatus as HealthStatus
from ecs_operator.enums import StopCode as StopCode
from ecs_operator.enums import TaskStatus as TaskStatus


class ContainerStatus(StrEnum):
    """``lastStatus`` of one container of a task, as ECS reports it."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"


ORDER: Final[tuple[TaskStatus, ...]] = tuple(TaskStatus)
_RANK: Final[dict[TaskStatus, int]] = {status: i for i, status in enumerate(ORDER)}


def rank(status: TaskStatus) -> int:
    """Position in the lifecycle: PROVISIONING is 0, STOPPED is 7."""
    return _RANK[status]


def is_forward(current: TaskStatus, new: TaskStatus) -> bool:
    """Whether going from ``current`` to ``new`` keeps the lifecycle order (staying put counts)."""
    return rank(new) >= rank(current)


def advance(current: TaskStatus | None, observed: TaskStatus) -> TaskStatus:
    """The status to record: ``observed`` unless it would move backwards from ``current``."""
    if current is None or is_forward(current, observed):
        return observed
    return current


def is_stopping(status: TaskStatus) -> bool:
    """Whether the task is on its way out: DEACTIVATING … STOPPED."""
    return rank(status) >= rank(TaskStatus.DEACTIVATING)
