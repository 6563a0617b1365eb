"""The ECS service scheduler, pure: REPLICA and DAEMON services as plans (ecs-semantics §3, §6.3).

Why this package exists: it makes every decision ECS's service scheduler makes (which tasks to
start and stop, deployments, circuit breaker, start-failure throttle, draining, deletion, service
events and counters) as pure functions, so that the Kopf handler only reads a snapshot, calls
:func:`plan_service` and applies the :class:`ServicePlan`. It imports neither kopf, kubernetes nor
prometheus_client; time and randomness are parameters.

The handler::

    state = SchedulerState.from_object(body["status"].get("scheduler"))
    tasks = [ServiceTask.from_task(t, has_health_check=..., instance_draining=...) for t in owned]
    plan = plan_service(service, tasks, task_definition="web:3", snapshot=snapshot,
                        now=now, rng=random.Random(seed), state=state, request=request)
    for start in plan.starts:      # create EcsTask start.name: taskDefinition, startedBy, group,
        ...                        # containerInstance = start.instance (DAEMON)
    for stop in plan.stops:        # spec.desiredStatus STOPPED, stopReason stop.reason
        ...
    write status = to_wire(plan.status) and status.scheduler = plan.state.to_object()
    re-run no later than plan.recheck_at; remove the finalizer once plan.finished

Modules: ``records`` and ``state`` (inputs and outputs), ``bounds`` (min/max arithmetic),
``deployments``, ``breaker``, ``backoff``, ``replica``, ``daemon``, ``reservations``, ``stops``
(scale-in choice), ``events`` (messages and suppression), ``naming`` (deterministic ids),
``plan`` (the steps in order).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime

from ecs_operator.api import EcsService, SchedulingStrategy
from ecs_operator.placement import ClusterSnapshot, TaskRequest

from .backoff import delay as backoff_delay
from .bounds import Bounds, bounds_for
from .breaker import threshold as circuit_breaker_threshold
from .daemon import InstanceFit, Standing, survey
from .plan import plan_daemon_service, plan_replica_service
from .records import ServicePlan, ServiceTask, TaskStart, TaskStop
from .reservations import daemon_reservations, with_reservations
from .state import SchedulerState


def plan_service(
    service: EcsService,
    tasks: Sequence[ServiceTask],
    *,
    task_definition: str,
    snapshot: ClusterSnapshot,
    now: datetime,
    rng: random.Random,
    state: SchedulerState | None = None,
    request: TaskRequest | None = None,
    daemon_groups: frozenset[str] = frozenset(),
) -> ServicePlan:
    """Plan a service of either scheduling strategy (DAEMON needs ``request``; ``daemon_groups``:
    the groups of the cluster's DAEMON services, which a draining instance stops last)."""
    if service.spec.scheduling_strategy is SchedulingStrategy.DAEMON:
        if request is None:
            raise ValueError("a DAEMON service needs the placement request of its task")
        return plan_daemon_service(
            service,
            tasks,
            task_definition=task_definition,
            snapshot=snapshot,
            now=now,
            rng=rng,
            request=request,
            state=state,
            daemon_groups=daemon_groups,
        )
    return plan_replica_service(
        service,
        tasks,
        task_definition=task_definition,
        snapshot=snapshot,
        now=now,
        rng=rng,
        state=state,
        request=request,
    )


__all__ = [
    "Bounds",
    "InstanceFit",
    "SchedulerState",
    "ServicePlan",
    "ServiceTask",
    "Standing",
    "TaskStart",
    "TaskStop",
    "backoff_delay",
    "bounds_for",
    "circuit_breaker_threshold",
    "daemon_reservations",
    "plan_daemon_service",
    "plan_replica_service",
    "plan_service",
    "survey",
    "with_reservations",
]
