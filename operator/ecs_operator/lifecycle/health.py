"""Container and task health, and when a task counts as healthy (ecs-semantics §3.3, §5.6, §10.6).

Why this module exists: deployments, draining and the load-balancer Service all ask one question,
"does this task count as healthy?", and ECS answers it with rules that are easy to get subtly
wrong. They are written here once.

Container health. The pod builder turns an ECS ``healthCheck`` into the container's readiness
probe (same command, ``periodSeconds`` = interval, ``timeoutSeconds`` = timeout,
``failureThreshold`` = retries). Its result is read from ``containerStatuses[].ready``, never from
the pod's Ready condition: the node controller flips that condition when a node stops reporting,
and ECS keeps a container's last health when its agent disconnects.

| container                                           | healthStatus |
|-----------------------------------------------------|--------------|
| no health check in the task definition              | UNKNOWN      |
| not running                                         | UNKNOWN      |
| running, ready                                      | HEALTHY      |
| running, not ready, was HEALTHY or UNHEALTHY        | UNHEALTHY    |
| running, not ready, never passed, past its window   | UNHEALTHY    |
| running, not ready, never passed, within its window | UNKNOWN      |

Readiness that drops after it passed means ``retries`` checks failed in a row. A container that has
never passed is given the window ECS would need to call it UNHEALTHY: startPeriod + retries ×
interval + timeout after it started (`HealthCheckTiming.unhealthy_after`).

Task health is the worst (UNHEALTHY, then UNKNOWN, then HEALTHY) over the **essential containers
that define a health check**, and UNKNOWN when none does. Containers without a health check do not
pull the task down to UNKNOWN: that is what ECS does (aws/amazon-ecs-agent#4094: two essential
containers with checks HEALTHY, a third without one, task HEALTHY), and it keeps §3.3's rule
usable for tasks that mix both. This refines the literal "worst among essential containers" of
§5.6.

Counts as healthy (§3.3, without a load balancer): the task is RUNNING and, if any essential
container defines a health check, the task is HEALTHY; without health checks, 40 s after the
task reached RUNNING.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Final

from ecs_operator.lifecycle.observation import ContainerObservation, HealthCheckTiming, TaskObservation
from ecs_operator.lifecycle.pod_facts import ContainerFacts, State
from ecs_operator.lifecycle.states import HealthStatus, TaskStatus

NO_HEALTH_CHECK_SETTLE_TIME: Final = timedelta(seconds=40)
"""How long a task without health checks must have been RUNNING to count as healthy (§3.3)."""

_WORST_FIRST: Final = (HealthStatus.UNHEALTHY, HealthStatus.UNKNOWN, HealthStatus.HEALTHY)


def container_health(
    facts: ContainerFacts | None,
    health_check: HealthCheckTiming | None,
    *,
    previous: HealthStatus | None,
    now: datetime,
) -> HealthStatus:
    """One container's health, by the table in the module docstring."""
    if health_check is None or facts is None or facts.state is not State.RUNNING:
        return HealthStatus.UNKNOWN
    if facts.ready:
        return HealthStatus.HEALTHY
    if previous in (HealthStatus.HEALTHY, HealthStatus.UNHEALTHY):
        return HealthStatus.UNHEALTHY
    if facts.started_at is not None and now >= facts.started_at + health_check.unhealthy_after:
        return HealthStatus.UNHEALTHY
    return HealthStatus.UNKNOWN


def _checked(containers: Iterable[ContainerObservation]) -> list[ContainerObservation]:
    return [c for c in containers if c.essential and c.has_health_check]


def task_health(containers: Iterable[ContainerObservation]) -> HealthStatus:
    """The task's health: the worst over its essential containers that define a health check."""
    found = {c.health_status for c in _checked(containers)}
    return next((status for status in _WORST_FIRST if status in found), HealthStatus.UNKNOWN)


def uses_health_checks(observation: TaskObservation) -> bool:
    """Whether any essential container of the task defines a health check."""
    return bool(_checked(observation.containers))


def counts_as_healthy(observation: TaskObservation, now: datetime) -> bool:
    """Whether the task counts as healthy toward a deployment's minimum (§3.3, no load balancer)."""
    if observation.last_status is not TaskStatus.RUNNING:
        return False
    if uses_health_checks(observation):
        return observation.health_status is HealthStatus.HEALTHY
    healthy_from = settles_at(observation)
    return healthy_from is not None and now >= healthy_from


def settles_at(observation: TaskObservation) -> datetime | None:
    """When a RUNNING task without health checks starts to count as healthy (to set a timer);
    None if it has health checks (health changes come as pod events) or is not RUNNING."""
    if observation.last_status is not TaskStatus.RUNNING or uses_health_checks(observation):
        return None
    if observation.started_at is None:
        return None
    return observation.started_at + NO_HEALTH_CHECK_SETTLE_TIME
