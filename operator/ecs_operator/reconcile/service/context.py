"""What the REPLICA and DAEMON schedulers share: their inputs (:class:`Context`), the limits the
deployment machinery puts on them (:class:`Gates`), and what they return (:class:`Buckets`).

Why: ``plan.py`` runs the steps every service has (deployments, failures, throttle, breaker,
status, events) and hands one scheduler a Context and Gates; the scheduler answers with Buckets
(Nomad's reconcile_node.go: place, stop, and why), and knows nothing of status or events.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ecs_operator.api import Deployment, EcsService, EcsServiceSpec
from ecs_operator.placement import (
    ClusterSnapshot,
    InstanceStatus,
    PlacementStrategy,
    TaskRequest,
    strategies_from_spec,
)
from ecs_operator.placement.capacity import Strategy, strategy_from_spec

from .bounds import Bounds
from .records import ServiceTask, TaskStop, service_group

PLACEMENT_RETRY = timedelta(seconds=30)
"""How soon to try again when no instance can take a task (snapshot changes also trigger a run)."""


def capacity_strategy(spec: EcsServiceSpec) -> Strategy | None:
    """The service's own capacity provider strategy, whose split a scale-in keeps (a cluster's
    default strategy is not known to the planner: scale-in then ignores providers)."""
    if not spec.capacity_provider_strategy:
        return None
    return strategy_from_spec(
        s.model_dump(mode="json", by_alias=True) for s in spec.capacity_provider_strategy
    )


def scale_in_strategies(spec: EcsServiceSpec) -> tuple[PlacementStrategy, ...]:
    """The strategies scale-in follows: the service's, in order (§1.2). Without any, absent or
    an explicitly empty list alike, ECS's no-strategy replica scheduler: the zone with the most
    tasks of the service, then the instance with the most (§1.3); ``()`` asks
    ``choose_tasks_to_stop`` for exactly that. Placement treats both the same way too
    (``pipeline.effective_strategies``), so what a scale-in takes away mirrors what placement
    filled. Fargate services take no strategies (§8.3) and land here as well."""
    if spec.placement_strategy:
        return strategies_from_spec(
            s.model_dump(mode="json", by_alias=True, exclude_none=True) for s in spec.placement_strategy
        )
    return ()


@dataclass(frozen=True)
class Context:
    service: EcsService
    tasks: tuple[ServiceTask, ...]
    snapshot: ClusterSnapshot
    request: TaskRequest | None
    now: datetime
    rng: random.Random

    @property
    def name(self) -> str:
        return self.service.metadata.name

    @property
    def uid(self) -> str:
        return self.service.metadata.uid or self.service.metadata.name

    @property
    def group(self) -> str:
        return service_group(self.service)

    @property
    def spec(self) -> EcsServiceSpec:
        return self.service.spec

    @property
    def deleting(self) -> bool:
        return self.service.metadata.deletion_timestamp is not None

    @property
    def grace(self) -> timedelta:
        return timedelta(seconds=self.spec.health_check_grace_period_seconds)

    @property
    def wanted(self) -> list[ServiceTask]:
        return [t for t in self.tasks if t.wanted]

    @property
    def in_flight(self) -> int:
        return sum(1 for t in self.tasks if t.in_flight)

    def draining(self, task: ServiceTask) -> bool:
        """On a DRAINING (or deregistered) container instance: the task flag or the snapshot says so."""
        if task.instance_draining:
            return True
        name = task.container_instance
        return (
            name is not None
            and name in self.snapshot
            and self.snapshot.instance(name).status is not InstanceStatus.ACTIVE
        )


@dataclass(frozen=True)
class Gates:
    bounds: Bounds
    primary: Deployment | None
    throttled_until: datetime | None
    """Starts wait until then (start-failure throttle)."""
    frozen: bool
    """PRIMARY FAILED without rollback: launch nothing, replace no healthy task."""

    @property
    def may_start(self) -> bool:
        return self.primary is not None and self.throttled_until is None and not self.frozen

    def of_primary(self, task: ServiceTask) -> bool:
        return self.primary is not None and task.started_by == self.primary.id


@dataclass(frozen=True)
class Buckets:
    starts: tuple[str | None, ...] = ()
    """One entry per task to start: its instance (DAEMON) or None (placed by the task itself)."""
    stops: tuple[TaskStop, ...] = ()
    messages: tuple[str, ...] = ()
    """Scheduler events (placement failures, constraint violations), in order."""
    recheck: tuple[datetime, ...] = ()
    blocked: bool = False
    """Work remains that only the deployment configuration prevents (the "unable to stop or
    start tasks during a deployment" event)."""
    unplaceable: bool = False
    """Some task could not be placed (the service is not in a steady state)."""
    rebalancing_task: str | None = None
    """The uid of the task an AZ rebalancing moves (``rebalance``), kept in the scheduler state."""


def stop_all(tasks: Sequence[ServiceTask], reason: str) -> tuple[TaskStop, ...]:
    return tuple(TaskStop(t.name, t.uid, reason) for t in tasks)
