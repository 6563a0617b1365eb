"""The records the service scheduler reads and returns: a service task as the scheduler sees it,
the tasks to start and to stop, and the plan.

Why this module exists: the scheduler is a pure function (style.md, Nomad's reconcile_node.go).
The handler turns EcsTask objects into :class:`ServiceTask` values, calls the planner, and applies
the :class:`ServicePlan`; nothing here knows about Kopf or the API server.

How a task is classified (ecs-semantics §3.3, §3.5, §5.1; decided here where marked [I]):

| predicate    | holds when                                                                            |
|--------------|---------------------------------------------------------------------------------------|
| in_flight    | lastStatus PROVISIONING, PENDING, ACTIVATING or RUNNING: counts toward maximumPercent |
| wanted       | in_flight and desiredStatus RUNNING: the scheduler has not asked it to stop           |
| healthy      | wanted, RUNNING, and HEALTHY if it has a health check, else RUNNING for 40 s; with a  |
|              | load balancer, also its target healthy (pod Ready, endpoint ready)                    |
| unhealthy    | wanted, RUNNING, UNHEALTHY, and past healthCheckGracePeriodSeconds since startedAt    |
| start_failed | STOPPED without ever RUNNING, stopCode TaskFailedToStart or EssentialContainerExited  |
| run_failed   | STOPPED after RUNNING, EssentialContainerExited: breaker stage 2, never throttled [I] |

Target health is folded into the planner's view, not into the task's ``healthStatus`` [I]: the
handler reads the service's pods and EndpointSlices (`reconcile.load_balancers.healthy_targets`)
and sets ``load_balanced`` and ``target_healthy`` here. ECS's task healthStatus reports the
containers' health checks only, and writing target health into each EcsTask's status would add a
write per task on every EndpointSlice change for a value the planner recomputes each pass anyway.
So ``has_health_check`` means an essential container defines a health check, nothing else: a
load-balanced task without one counts healthy once RUNNING for 40 s and its target is healthy
(ecs-semantics §3.3: "the target must also be healthy"), instead of waiting forever for a HEALTHY
that nothing writes.

[I] A task told to stop (desiredStatus STOPPED) still counts toward maximumPercent until it leaves
RUNNING (DEACTIVATING), so a start never takes room that a stopping task still holds; it never
counts as healthy.

``protection`` is the task's scale-in protection (``reconcile.protection.protection_of``): the
planner asks ``protected(now)``, so expiry is decided by the ``now`` it plans for.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ecs_operator.lifecycle import DesiredStatus, HealthStatus, StopCode, TaskStatus
from ecs_operator.lifecycle.health import NO_HEALTH_CHECK_SETTLE_TIME
from ecs_operator.reconcile.protection import UNPROTECTED, Protection, protection_of

if TYPE_CHECKING:
    from ecs_operator.api import EcsService, EcsServiceStatus, EcsTask, ServiceEvent

    from .state import SchedulerState

IN_FLIGHT = frozenset(
    {TaskStatus.PROVISIONING, TaskStatus.PENDING, TaskStatus.ACTIVATING, TaskStatus.RUNNING}
)
PENDING_STATES = frozenset({TaskStatus.PROVISIONING, TaskStatus.PENDING, TaskStatus.ACTIVATING})
"""Counted in pendingCount [I]: every state before RUNNING, so running + pending = in flight."""
DONE_STATES = frozenset({TaskStatus.STOPPING, TaskStatus.DEPROVISIONING, TaskStatus.STOPPED})
"""A deleted service is INACTIVE once every task is in one of these (§3.7)."""
_FAILURE_CODES = frozenset({StopCode.TASK_FAILED_TO_START, StopCode.ESSENTIAL_CONTAINER_EXITED})


@dataclass(frozen=True)
class ServiceTask:
    """One task of the service, reduced to what the scheduler decides on.

    ``started_by`` is the deployment id; ``started_at`` is set once the task reached RUNNING (None:
    it never did). ``health_changed_at`` is when ``health_status`` last changed, if known; it only
    orders a task becoming healthy against failures (circuit breaker reset). Set
    ``instance_draining`` when the task's container instance is DRAINING (the snapshot's status
    counts too). ``load_balanced``: the service has a load balancer, so the task also needs
    ``target_healthy`` (its pod Ready and its endpoint ready) to count as healthy.
    """

    name: str
    uid: str
    started_by: str | None
    task_definition: str
    last_status: TaskStatus = TaskStatus.PROVISIONING
    desired_status: DesiredStatus = DesiredStatus.RUNNING
    health_status: HealthStatus = HealthStatus.UNKNOWN
    has_health_check: bool = False
    created_at: datetime | None = None
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    health_changed_at: datetime | None = None
    stop_code: StopCode | None = None
    container_instance: str | None = None
    availability_zone: str | None = None
    instance_draining: bool = False
    load_balanced: bool = False
    target_healthy: bool = False
    protection: Protection = UNPROTECTED
    capacity_provider: str | None = None

    def protected(self, now: datetime) -> bool:
        """Scale-in protection holds at ``now``: no scale-in or deployment stops this task."""
        return self.protection.active(now)

    @property
    def in_flight(self) -> bool:
        return self.last_status in IN_FLIGHT

    @property
    def wanted(self) -> bool:
        return self.in_flight and self.desired_status is DesiredStatus.RUNNING

    @property
    def running(self) -> bool:
        return self.last_status is TaskStatus.RUNNING

    @property
    def ever_running(self) -> bool:
        return self.started_at is not None

    def healthy(self, now: datetime) -> bool:
        """Counts as healthy toward minimumHealthyPercent (§3.3, lifecycle.health)."""
        if not (self.wanted and self.running):
            return False
        if self.load_balanced and not self.target_healthy:
            return False
        if self.has_health_check:
            return self.health_status is HealthStatus.HEALTHY
        return self.started_at is not None and now >= self.started_at + NO_HEALTH_CHECK_SETTLE_TIME

    def healthy_since(self) -> datetime | None:
        """When the task became healthy, as well as it is known (orders resets after failures)."""
        if self.has_health_check:
            return self.health_changed_at or self.started_at
        return None if self.started_at is None else self.started_at + NO_HEALTH_CHECK_SETTLE_TIME

    def unhealthy(self, now: datetime, grace: timedelta) -> bool:
        """UNHEALTHY and no longer covered by healthCheckGracePeriodSeconds (§3.1)."""
        if not (self.wanted and self.running and self.health_status is HealthStatus.UNHEALTHY):
            return False
        return self.started_at is None or now >= self.started_at + grace

    @property
    def start_failed(self) -> bool:
        """Went to STOPPED without ever RUNNING, on its own (not stopped by someone)."""
        return (
            self.last_status is TaskStatus.STOPPED
            and not self.ever_running
            and self.stop_code in _FAILURE_CODES
        )

    @property
    def run_failed(self) -> bool:
        return (
            self.last_status is TaskStatus.STOPPED
            and self.ever_running
            and self.stop_code is StopCode.ESSENTIAL_CONTAINER_EXITED
        )

    @classmethod
    def from_task(
        cls,
        task: EcsTask,
        *,
        has_health_check: bool,
        instance_draining: bool = False,
        load_balanced: bool = False,
        target_healthy: bool = False,
    ) -> ServiceTask:
        """Read an EcsTask object; ``has_health_check``: an essential container of its task
        definition defines a health check (a load balancer is not one: see ``load_balanced``)."""
        spec, status = task.spec, task.status
        stopped = DesiredStatus.STOPPED.value in (spec.desired_status, status.desired_status)
        return cls(
            name=task.metadata.name,
            uid=task.metadata.uid or task.metadata.name,
            started_by=spec.started_by,
            task_definition=status.task_definition or spec.task_definition,
            last_status=TaskStatus(status.last_status or TaskStatus.PROVISIONING),
            desired_status=DesiredStatus.STOPPED if stopped else DesiredStatus.RUNNING,
            health_status=HealthStatus(status.health_status or HealthStatus.UNKNOWN),
            has_health_check=has_health_check,
            created_at=status.created_at or task.metadata.creation_timestamp,
            started_at=status.started_at,
            stopped_at=status.stopped_at,
            stop_code=StopCode(status.stop_code) if status.stop_code else None,
            container_instance=status.container_instance or spec.container_instance,
            availability_zone=status.availability_zone,
            instance_draining=instance_draining,
            load_balanced=load_balanced,
            target_healthy=target_healthy,
            protection=protection_of(spec.protection, status.protection),
            capacity_provider=status.capacity_provider_name
            or (
                spec.capacity_provider_strategy[0].capacity_provider
                if spec.capacity_provider_strategy
                else None
            ),
        )


@dataclass(frozen=True)
class TaskStart:
    """Create one EcsTask: ``name`` (deterministic, so a second operator replica applying the same
    plan gets AlreadyExists instead of a duplicate), ``startedBy`` = ``deployment_id``, ``group``.
    ``instance`` is set for DAEMON tasks (``spec.containerInstance``); REPLICA tasks are placed by
    the task's own placement with the service's strategies and constraints."""

    name: str
    deployment_id: str
    task_definition: str
    group: str
    instance: str | None = None


@dataclass(frozen=True)
class TaskStop:
    """Set ``spec.desiredStatus: STOPPED`` on the task, with this stop code and reason."""

    name: str
    uid: str
    reason: str
    stop_code: StopCode = StopCode.SERVICE_SCHEDULER_INITIATED


@dataclass(frozen=True)
class ServicePlan:
    """Everything the handler applies, in this order: create ``starts``, stop ``stops``, write
    ``status`` (events already merged in) and ``state``; re-run no later than ``recheck_at``."""

    starts: tuple[TaskStart, ...]
    stops: tuple[TaskStop, ...]
    status: EcsServiceStatus
    state: SchedulerState
    events: tuple[ServiceEvent, ...]
    recheck_at: datetime | None

    @property
    def start_counts(self) -> Mapping[str, int]:
        """Tasks to start per deployment id."""
        return dict(Counter(start.deployment_id for start in self.starts))

    @property
    def finished(self) -> bool:
        """The service is INACTIVE: a deleted service's finalizer may be removed."""
        return self.status.status == "INACTIVE"


def service_group(service: EcsService) -> str:
    """Service tasks always belong to ``service:<name>`` (§2.4)."""
    return f"service:{service.metadata.name}"
