"""Fluent builders for service scheduler tests, after kube-scheduler's ``MakePod()``::

    svc = MakeService("web").desired(4).min(50).max(100).deployment(OLD, "web:1").build()
    tasks = [MakeTask("old-1").of(OLD, "web:1").healthy().on(A1).build(), ...]
    plan = run(svc, tasks, "web:1")

Defaults: ``now`` is T0; a "healthy" task has been RUNNING for 10 minutes without a health check
(so it counts as healthy, §3.3); instances are a1/a2 in zone-a, b1 in zone-b, c1 in zone-c.
:func:`summary` reduces a plan to what a reader checks, so tests can compare whole plans.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from ecs_operator.api import (
    Deployment,
    DeploymentCircuitBreaker,
    DeploymentConfiguration,
    DeploymentStatus,
    EcsService,
    EcsServiceSpec,
    EcsServiceStatus,
    ObjectMeta,
    PlacementStrategy,
    RolloutState,
    SchedulingStrategy,
    ServiceEvent,
)
from ecs_operator.api.common import CapacityProviderStrategyItem
from ecs_operator.lifecycle import DesiredStatus, HealthStatus, StopCode, TaskStatus
from ecs_operator.placement import ClusterSnapshot, InstanceBuilder, TaskRequest, make_cluster, make_instance
from ecs_operator.reconcile.protection import Protection
from ecs_operator.reconcile.service import SchedulerState, ServicePlan, ServiceTask, plan_service

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
UID = "uid-web"
GROUP = "service:web"
A1, A2, B1, C1 = "prod.a1", "prod.a2", "prod.b1", "prod.c1"
ZONES = {A1: "zone-a", A2: "zone-a", B1: "zone-b", C1: "zone-c"}
OLD, NEW = "ecs-svc/1", "ecs-svc/2"
SCALING_NEW = f"Scaling activity initiated by (deployment {NEW})"
SCALING_OLD = f"Scaling activity initiated by (deployment {OLD})"
UNHEALTHY = "Task failed container health checks"
DRAINING = "Task stopped during instance draining"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


class MakeService:
    def __init__(self, name: str = "web") -> None:
        self._name = name
        self._spec: dict[str, Any] = {"cluster": "prod", "task_definition": "web"}
        self._config: dict[str, Any] = {}
        self._deployments: list[Deployment] = []
        self._events: list[ServiceEvent] = []
        self._deleting = False

    def desired(self, count: int) -> Self:
        self._spec["desired_count"] = count
        return self

    def daemon(self) -> Self:
        self._spec["scheduling_strategy"] = SchedulingStrategy.DAEMON
        return self

    def min(self, percent: int) -> Self:
        self._config["minimum_healthy_percent"] = percent
        return self

    def max(self, percent: int) -> Self:
        self._config["maximum_percent"] = percent
        return self

    def breaker(self, *, rollback: bool, enable: bool = True) -> Self:
        self._config["deployment_circuit_breaker"] = DeploymentCircuitBreaker(
            enable=enable, rollback=rollback
        )
        return self

    def grace(self, seconds: int) -> Self:
        self._spec["health_check_grace_period_seconds"] = seconds
        return self

    def strategy(self, type_: str, field: str | None = None) -> Self:
        self._spec.setdefault("placement_strategy", []).append(PlacementStrategy(type=type_, field=field))
        return self

    def capacity(self, *items: tuple[str, int, int]) -> Self:
        """A capacity provider strategy of (provider, base, weight) items."""
        self._spec["capacity_provider_strategy"] = [
            CapacityProviderStrategyItem(capacity_provider=p, base=b, weight=w) for p, b, w in items
        ]
        return self

    def no_strategy(self) -> Self:
        """``placementStrategy: []`` given explicitly (absent is the builder's default)."""
        self._spec["placement_strategy"] = []
        return self

    def force(self, value: str) -> Self:
        self._spec["force_new_deployment"] = value
        return self

    def deleting(self) -> Self:
        self._deleting = True
        return self

    def deployment(
        self,
        id_: str,
        task_definition: str,
        *,
        status: DeploymentStatus = DeploymentStatus.PRIMARY,
        rollout: RolloutState = RolloutState.COMPLETED,
        failed: int = 0,
        created: float = -3600,
        force: str | None = None,
    ) -> Self:
        self._deployments.append(
            Deployment(
                id=id_,
                status=status,
                task_definition=task_definition,
                rollout_state=rollout,
                failed_tasks=failed,
                force_new_deployment=force,
                created_at=at(created),
                updated_at=at(created),
            )
        )
        return self

    def event(self, message: str, seconds: float) -> Self:
        self._events.append(ServiceEvent(id=f"e{len(self._events)}", created_at=at(seconds), message=message))
        return self

    def build(self) -> EcsService:
        spec = dict(self._spec)
        if self._config:
            spec["deployment_configuration"] = DeploymentConfiguration(**self._config)
        meta = ObjectMeta(name=self._name, uid=UID, deletion_timestamp=at(-1) if self._deleting else None)
        status = EcsServiceStatus(deployments=self._deployments, events=self._events)
        return EcsService(metadata=meta, spec=EcsServiceSpec(**spec), status=status)


class MakeTask:
    def __init__(self, name: str) -> None:
        self._f: dict[str, Any] = {
            "name": name,
            "uid": name,
            "started_by": OLD,
            "task_definition": "web:1",
            "created_at": at(-700),
        }

    def of(self, deployment: str, task_definition: str) -> Self:
        self._f |= {"started_by": deployment, "task_definition": task_definition}
        return self

    def status(self, value: TaskStatus) -> Self:
        self._f["last_status"] = value
        return self

    def pending(self) -> Self:
        return self.status(TaskStatus.PENDING)

    def running(self, since: float = -600) -> Self:
        self._f |= {"last_status": TaskStatus.RUNNING, "started_at": at(since)}
        return self

    def healthy(self) -> Self:
        return self.running()

    def checked(self, health: HealthStatus, since: float | None = None) -> Self:
        """A task with a container health check, reporting ``health``."""
        self._f |= {"has_health_check": True, "health_status": health}
        if since is not None:
            self._f["health_changed_at"] = at(since)
        return self

    def unhealthy(self, since: float = -600) -> Self:
        return self.running(since).checked(HealthStatus.UNHEALTHY)

    def stopping(self) -> Self:
        self._f["desired_status"] = DesiredStatus.STOPPED
        return self

    def stopped(self, code: StopCode, *, ran: bool = False, seconds: float = -5) -> Self:
        self._f |= {"last_status": TaskStatus.STOPPED, "stop_code": code, "stopped_at": at(seconds)}
        self._f["desired_status"] = DesiredStatus.STOPPED
        if ran:
            self._f["started_at"] = at(seconds - 60)
        return self

    def failed_to_start(self, seconds: float = -5) -> Self:
        return self.stopped(StopCode.TASK_FAILED_TO_START, seconds=seconds)

    def created(self, seconds: float) -> Self:
        self._f["created_at"] = at(seconds)
        return self

    def on(self, instance: str) -> Self:
        self._f |= {"container_instance": instance, "availability_zone": ZONES.get(instance)}
        return self

    def provider(self, name: str) -> Self:
        self._f["capacity_provider"] = name
        return self

    def draining(self) -> Self:
        self._f["instance_draining"] = True
        return self

    def protected(self, until: float | None = None) -> Self:
        """Scale-in protection until ``at(until)``; without ``until``, asked for and not yet applied."""
        self._f["protection"] = Protection(pending=True) if until is None else Protection(until=at(until))
        return self

    def build(self) -> ServiceTask:
        return ServiceTask(**self._f)


def instances(*names: str) -> list[InstanceBuilder]:
    return [make_instance(n).zone(ZONES.get(n, "zone-a")) for n in names]


def cluster(
    tasks: Sequence[ServiceTask],
    *builders: InstanceBuilder,
    task_cpu: int = 256,
    task_memory: int = 512,
) -> ClusterSnapshot:
    """The given instances (default a1, a2, b1, c1) with a claim for every placed task not STOPPED."""
    chosen = {b.build().name: b for b in (builders or instances(A1, A2, B1, C1))}
    for task in tasks:
        where = task.container_instance
        if where in chosen and task.last_status is not TaskStatus.STOPPED:
            chosen[where].task(GROUP, task_cpu, task_memory, uid=task.uid)
    return make_cluster(*chosen.values())


def request(*, cpu: int = 256, memory: int = 512, member_of: str | None = None) -> TaskRequest:
    from ecs_operator.placement import make_task

    builder = make_task("web").service("web").cpu(cpu).memory(memory)
    if member_of:
        builder = builder.member_of(member_of)
    return builder.build()


def run(
    service: EcsService,
    tasks: Sequence[ServiceTask],
    task_definition: str,
    *,
    snapshot: ClusterSnapshot | None = None,
    state: SchedulerState | None = None,
    task_request: TaskRequest | None = None,
    now: datetime = T0,
    seed: int = 7,
) -> ServicePlan:
    return plan_service(
        service,
        tasks,
        task_definition=task_definition,
        snapshot=snapshot if snapshot is not None else cluster(tasks),
        now=now,
        rng=random.Random(seed),
        state=state,
        request=task_request,
    )


def after(service: EcsService, plan: ServicePlan) -> EcsService:
    """The service once ``plan``'s status is written."""
    return service.model_copy(update={"status": plan.status})


def routine(plan: ServicePlan) -> list[str]:
    """The "has stopped" and "has started" events a plan with these stops and starts says."""
    stopped = " ".join(f"task {s.name}" for s in plan.stops)
    started = " ".join(f"task {s.name}" for s in plan.starts)
    return [f"service web has stopped {len(plan.stops)} running tasks: {stopped}."] * bool(plan.stops) + [
        f"service web has started {len(plan.starts)} tasks: {started}."
    ] * bool(plan.starts)


def summary(plan: ServicePlan) -> dict[str, Any]:
    """What a reader checks of a plan: starts per deployment (and instance), stops with their
    reasons, the counters, the deployments, the new events (oldest first) and the service status."""
    return {
        "start": dict(
            Counter(
                s.deployment_id if s.instance is None else f"{s.deployment_id}@{s.instance}"
                for s in plan.starts
            )
        ),
        "stop": sorted((s.name, s.reason) for s in plan.stops),
        "counts": (plan.status.desired_count, plan.status.running_count, plan.status.pending_count),
        "deployments": [
            (d.id, d.status.value, d.rollout_state.value if d.rollout_state else None, d.failed_tasks)
            for d in plan.status.deployments
        ],
        "events": [e.message for e in reversed(plan.events)],
        "status": plan.status.status.value if plan.status.status else None,
    }
