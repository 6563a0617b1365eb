"""The service scheduler as one pure function per scheduling strategy: snapshot in, plan out.

Why: the Kopf handler must only read, call and apply (style.md habit 2). Every step below is a
function of its inputs, with time (``now``) and randomness (``rng``) injected, so a plan can be
replayed exactly, and two operator replicas planning from the same snapshot agree.

Steps, in order (each one's rules are in its module's docstring):

| step | module         | what                                                                    |
|------|----------------|-------------------------------------------------------------------------|
| 1    | deployments    | a new PRIMARY for a new revision / forceNewDeployment                   |
| 2    | breaker        | new failures (each counted once); PRIMARY's failedTasks; trip, rollback |
| 3    | backoff        | the start-failure throttle of PRIMARY's revision                        |
| 4    | replica/daemon | buckets: tasks to start, tasks to stop, scheduler events                |
| 5    | naming         | deterministic names for the tasks to start                              |
| 6    | deployments    | counters, ACTIVE/INACTIVE, COMPLETED                                    |
| 7    | events         | messages, suppression, newest first, at most 100                        |
| 7b   | history        | the deployment history (ListServiceDeployments), bounded                |
| 8    | here           | service status (ACTIVE / DRAINING / INACTIVE, counters), re-check time  |

Counters (§3.7) [I]: ``runningCount`` counts lastStatus RUNNING; ``pendingCount`` counts
PROVISIONING, PENDING and ACTIVATING (every state before RUNNING), so that running + pending is
exactly what maximumPercent bounds. A deleted service (deletionTimestamp set) is DRAINING while a
task is not yet STOPPING/DEPROVISIONING/STOPPED, then INACTIVE; its tasks are all stopped.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from ecs_operator.api import DeploymentStatus, EcsService, EcsServiceStatus, RolloutState, ServiceStatus
from ecs_operator.lifecycle import HealthStatus
from ecs_operator.placement import ClusterSnapshot, TaskRequest

from . import backoff, breaker, deployments, events, history, rebalance
from .bounds import bounds_for
from .context import Buckets, Context, Gates
from .daemon import desired_count, plan_daemon, survey
from .naming import task_name
from .records import DONE_STATES, PENDING_STATES, ServicePlan, ServiceTask, TaskStart
from .replica import plan_replica
from .state import SchedulerState

Scheduler = Callable[[Gates], Buckets]


def plan_replica_service(
    service: EcsService,
    tasks: Sequence[ServiceTask],
    *,
    task_definition: str,
    snapshot: ClusterSnapshot,
    now: datetime,
    rng: random.Random,
    state: SchedulerState | None = None,
    request: TaskRequest | None = None,
) -> ServicePlan:
    """Plan a REPLICA service. ``request`` (optional): its task as placement sees it, to start
    only what fits now and to report ``unable to place`` with the closest match."""
    ctx = Context(service, tuple(tasks), snapshot, request, now, rng)
    desired = 0 if ctx.deleting else service.spec.desired_count or 0
    state = state or SchedulerState()
    moving = state.rebalancing_task

    def schedule(gates: Gates) -> Buckets:
        buckets, task = rebalance.plan(ctx, gates, moving, lambda c: plan_replica(c, gates))
        return replace(buckets, rebalancing_task=task)

    return _plan(ctx, task_definition, state, desired, schedule)


def plan_daemon_service(
    service: EcsService,
    tasks: Sequence[ServiceTask],
    *,
    task_definition: str,
    snapshot: ClusterSnapshot,
    now: datetime,
    rng: random.Random,
    request: TaskRequest,
    state: SchedulerState | None = None,
    daemon_groups: frozenset[str] = frozenset(),
) -> ServicePlan:
    """Plan a DAEMON service; ``request`` (required) says what the task needs of an instance;
    ``daemon_groups`` are the cluster's other DAEMON services (stopped last on a draining one)."""
    ctx = Context(service, tuple(tasks), snapshot, request, now, rng)
    fits = survey(snapshot, request)
    desired = 0 if ctx.deleting else desired_count(fits)
    return _plan(
        ctx,
        task_definition,
        state or SchedulerState(),
        desired,
        lambda gates: plan_daemon(ctx, gates, fits, daemon_groups),
    )


def _plan(
    ctx: Context, task_definition: str, state: SchedulerState, desired: int, schedule: Scheduler
) -> ServicePlan:
    now, spec, previous = ctx.now, ctx.spec, ctx.service.status
    state = state.pruned(t.uid for t in ctx.tasks)
    rollout = deployments.advance(
        previous.deployments,
        wanted=(task_definition, spec.force_new_deployment),
        service_uid=ctx.uid,
        desired=desired,
        state=state,
        now=now,
        create=not ctx.deleting,
    )
    failures = breaker.new_failures(ctx.tasks, rollout.state.counted_failures, now, ctx.grace)
    counted = rollout.state.counted_failures + tuple(f.task.uid for f in failures)
    rollout = deployments.Rollout(rollout.deployments, replace(rollout.state, counted_failures=counted))
    config = spec.deployment_configuration
    verdict = breaker.observe(
        rollout,
        ctx.tasks,
        failures,
        desired=desired,
        breaker=config.deployment_circuit_breaker if config else None,
        service=ctx.name,
        now=now,
    )
    rollout = verdict.rollout
    primary = rollout.primary
    throttle = backoff.observe(
        rollout.state,
        ctx.tasks,
        [f.task for f in failures],
        primary.task_definition if primary else task_definition,
        now,
    )
    state = throttle.state
    frozen = primary is not None and primary.rollout_state is RolloutState.FAILED
    gates = Gates(bounds_for(spec, desired), primary, throttle.until, frozen)
    buckets = schedule(gates)
    state = replace(state, rebalancing_task=buckets.rebalancing_task)

    starts: list[TaskStart] = []
    if primary is not None:
        # A name already taken by one of the service's tasks was used by a plan whose status write
        # was lost (a 409, a 5xx, a crash after the creates): skip it, or this start would meet
        # AlreadyExists and start nothing. Replicas planning from the same tasks still agree.
        taken = {t.name for t in ctx.tasks}
        counter = state.tasks_started
        for instance in buckets.starts:
            counter += 1
            while task_name(ctx.name, ctx.uid, counter) in taken:
                counter += 1
            name = task_name(ctx.name, ctx.uid, counter)
            starts.append(TaskStart(name, primary.id, primary.task_definition, ctx.group, instance))
        state = replace(state, tasks_started=counter)

    healthy_primary = sum(1 for t in ctx.tasks if gates.of_primary(t) and t.healthy(now))
    quiet = not starts and not buckets.stops and not ctx.deleting
    listed, done = deployments.refresh(
        rollout.deployments, ctx.tasks, desired=desired, healthy_primary=healthy_primary, quiet=quiet, now=now
    )

    messages = list(verdict.messages)
    if buckets.stops:
        messages.append(events.stopped(ctx.name, [s.name for s in buckets.stops]))
    if starts:
        messages.append(events.started(ctx.name, [s.name for s in starts]))
    messages += buckets.messages
    if throttle.impaired:
        messages.append(events.start_impaired(ctx.name))
    if buckets.blocked:
        messages.append(events.stuck(ctx.name))
    if done is not None:
        messages.append(events.deployment_completed(ctx.name, done.id))
        state = replace(state, last_completed=(done.id, done.task_definition, done.force_new_deployment))
    current = listed[0] if listed and listed[0].status is DeploymentStatus.PRIMARY else None
    steady = (
        quiet
        and not buckets.unplaceable
        and current is not None
        and current.rollout_state is RolloutState.COMPLETED
        and all(d.status is DeploymentStatus.INACTIVE for d in listed[1:])
        and healthy_primary == desired == ctx.in_flight
    )
    if steady:
        messages.append(events.steady_state(ctx.name))
    emitted = events.emit(messages, previous.events, state.active_messages, service_uid=ctx.uid, now=now)
    state = replace(state, active_messages=emitted.active)

    status = EcsServiceStatus(
        status=_service_status(ctx),
        desired_count=desired,
        running_count=sum(1 for t in ctx.tasks if t.running),
        pending_count=sum(1 for t in ctx.tasks if t.last_status in PENDING_STATES),
        deployments=list(listed),
        events=list(emitted.events),
        deployment_history=history.record(previous.deployment_history, listed, spec, now),
        conditions=list(previous.conditions),
    )
    recheck = _recheck(
        ctx, [*buckets.recheck, *([throttle.until] if throttle.until else [])], emitted.repeat_at
    )
    return ServicePlan(tuple(starts), buckets.stops, status, state, emitted.new, recheck)


def _service_status(ctx: Context) -> ServiceStatus:
    if not ctx.deleting:
        return ServiceStatus.ACTIVE
    if all(t.last_status in DONE_STATES for t in ctx.tasks):
        return ServiceStatus.INACTIVE
    return ServiceStatus.DRAINING


def _recheck(ctx: Context, times: list[datetime], repeat_at: datetime | None) -> datetime | None:
    """The earliest moment something changes without an event: a task settles (40 s after RUNNING
    without health checks), a grace period ends, the throttle expires, placement is retried, a
    suppressed message may repeat."""
    now = ctx.now
    if repeat_at is not None:
        times.append(repeat_at)
    for task in ctx.tasks:
        if not (task.wanted and task.running) or task.started_at is None:
            continue
        if not task.has_health_check and not task.healthy(now):
            settles = task.healthy_since()
            if settles is not None:
                times.append(settles)
        elif task.health_status is HealthStatus.UNHEALTHY and not task.unhealthy(now, ctx.grace):
            times.append(task.started_at + ctx.grace)
    future = [t for t in times if t > now]
    return min(future, default=None)
