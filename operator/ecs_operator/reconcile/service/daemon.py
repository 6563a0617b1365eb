"""The DAEMON scheduler: one task on every ACTIVE, agent-connected container instance that meets
the service's constraints (ecs-semantics §3.2), as buckets.

Why per instance: a daemon task belongs to its instance (``spec.containerInstance``), so every
decision is about one instance, and a deployment replaces the task in place: stop the old one,
wait until it is STOPPED (its claim released), then start the new one (maximumPercent is 100).

How each instance of the cluster stands (``survey``):

| standing     | the instance                                           | its daemon task                 |
|--------------|--------------------------------------------------------|---------------------------------|
| eligible     | ACTIVE, agent connected, compatible, memberOf holds    | exactly one, of PRIMARY         |
| disconnected | as eligible, but the agent is disconnected             | left alone; none started        |
| draining     | DRAINING or INACTIVE                                   | stopped (draining), last        |
| unqualified  | ACTIVE but incompatible, or a memberOf no longer holds | stopped; event (SERVICE_DAEMON_ |
|              |                                                        | PLACEMENT_CONSTRAINT_VIOLATED)  |

On an eligible instance: an UNHEALTHY task (past the grace period) and extra copies stop; a task
of an older deployment stops (healthy ones only while healthy ≥ ceil(instances × min% / 100),
default min 0: all at once); once nothing of the service is left there but STOPPED tasks, a new
task starts, if the instance has the resources; if it has not, an ``unable to place`` event names
it and the scheduler tries again later. A task whose instance left the cluster is stopped.
memberOf is evaluated without the service's own task on the instance, so ``task:group`` or
``runningTasksCount`` expressions judge the instance, not the daemon itself.

Stopped last (ecs-semantics §3.2, "placed before replica tasks and stopped after them"): on a
DRAINING instance the daemon task stays while a claim of any other task remains there (replica
and standalone tasks; other daemons and reservations do not count, or two daemons would wait on
each other), so the instance keeps its daemon until it is empty. On a deregistered (INACTIVE)
instance it stops at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from ecs_operator.lifecycle import TaskStatus
from ecs_operator.placement import (
    ClusterSnapshot,
    FailureReason,
    InstanceCheck,
    InstanceSnapshot,
    InstanceStatus,
    LaunchType,
    PlacementEngine,
    PlacementFailure,
    TaskRequest,
    Verdict,
)

from . import events, reasons
from .context import PLACEMENT_RETRY, Buckets, Context, Gates, stop_all
from .records import ServiceTask, TaskStop

_ENGINE = PlacementEngine()


RESERVATION_PREFIX = "reservation:"
"""The group of the claims that hold an instance's room for a daemon (``reservations``)."""


class Standing(StrEnum):
    ELIGIBLE = "eligible"
    DISCONNECTED = "disconnected"
    DRAINING = "draining"
    UNQUALIFIED = "unqualified"


@dataclass(frozen=True)
class InstanceFit:
    name: str
    standing: Standing
    verdict: Verdict
    """Whether the daemon task fits there now, resources included (feasible, or why not)."""


def survey(snapshot: ClusterSnapshot, request: TaskRequest) -> tuple[InstanceFit, ...]:
    """Every EC2 container instance of the cluster, with its standing for the daemon ``request``."""
    bare = replace(request, constraints=(), task_definition_constraints=())
    bound = _ENGINE.bind(bare)
    fits = []
    for inst in snapshot:
        if inst.launch_type is not LaunchType.EC2:
            continue
        fits.append(InstanceFit(inst.name, _standing(inst, request, bound), _ENGINE.judge(bound, inst)))
    return tuple(fits)


def _standing(
    inst: InstanceSnapshot, request: TaskRequest, bound: list[tuple[int, InstanceCheck]]
) -> Standing:
    if inst.status is not InstanceStatus.ACTIVE:
        return Standing.DRAINING
    # Judged as if connected and without the daemon's own tasks: qualifying is about the instance.
    alone = replace(
        inst, agent_connected=True, claims=tuple(c for c in inst.claims if c.group != request.group)
    )
    rejection = _ENGINE.judge(bound, alone).rejection
    if rejection is not None and rejection.reason is FailureReason.ATTRIBUTE:
        return Standing.UNQUALIFIED
    if not all(c.parsed is None or c.parsed.evaluate(alone) for c in request.member_of):
        return Standing.UNQUALIFIED
    return Standing.ELIGIBLE if inst.agent_connected else Standing.DISCONNECTED


def desired_count(fits: Sequence[InstanceFit]) -> int:
    return sum(1 for f in fits if f.standing is Standing.ELIGIBLE)


def others_remain(snapshot: ClusterSnapshot, name: str, daemon_groups: frozenset[str]) -> bool:
    """Whether a DRAINING instance still holds a claim of a task that is no daemon's."""
    if name not in snapshot:
        return False
    inst = snapshot.instance(name)
    return inst.status is InstanceStatus.DRAINING and any(
        c.group not in daemon_groups and not c.group.startswith(RESERVATION_PREFIX) for c in inst.claims
    )


def plan_daemon(
    ctx: Context, gates: Gates, fits: Sequence[InstanceFit], daemon_groups: frozenset[str] = frozenset()
) -> Buckets:
    """``daemon_groups``: the groups of the cluster's DAEMON services (this one is added)."""
    now = ctx.now
    daemons = daemon_groups | {ctx.group}
    scaling = reasons.scaling(gates.primary.id if gates.primary else None)
    if ctx.deleting:
        return Buckets(stops=stop_all(ctx.wanted, scaling))
    here: dict[str | None, list[ServiceTask]] = {}
    for task in ctx.tasks:
        here.setdefault(task.container_instance, []).append(task)
    healthy = {t.uid for t in ctx.wanted if t.healthy(now)}
    stops: list[TaskStop] = []
    starts: list[str] = []
    messages: list[str] = []
    unplaced = False
    bounded: list[ServiceTask] = []
    for fit in fits:
        tasks = here.pop(fit.name, [])
        live = [t for t in tasks if t.wanted]
        if fit.standing is Standing.DRAINING:
            if not others_remain(ctx.snapshot, fit.name, daemons):
                stops += stop_all(live, reasons.DRAINING)
        elif fit.standing is Standing.UNQUALIFIED:
            stops += stop_all(live, scaling)
            messages += [events.daemon_constraint_violated(ctx.name, t.name, fit.name) for t in live]
        elif fit.standing is Standing.ELIGIBLE:
            current = [t for t in live if gates.of_primary(t) and not t.unhealthy(now, ctx.grace)]
            keep = min(current, key=lambda t: _preference(t, healthy), default=None)
            for task in live:
                if task is keep:
                    continue
                if task.unhealthy(now, ctx.grace):
                    stops.append(TaskStop(task.name, task.uid, reasons.UNHEALTHY))
                elif keep is None and task.uid in healthy:
                    bounded.append(task)  # the instance's only healthy daemon: within the min bound
                else:
                    stops.append(TaskStop(task.name, task.uid, scaling))
            if not live and gates.may_start and all(t.last_status is TaskStatus.STOPPED for t in tasks):
                if fit.verdict.feasible:
                    starts.append(fit.name)
                else:
                    messages.append(PlacementFailure(ctx.name, (fit.verdict,)).service_message(ctx.name))
                    unplaced = True
    for tasks in here.values():  # their instance left the cluster (or was never set)
        stops += stop_all([t for t in tasks if t.wanted], scaling)
    # Healthy tasks already stopped above (draining, unqualified, duplicates) count against the bound.
    budget = gates.bounds.stop_room(len(healthy) - sum(1 for s in stops if s.uid in healthy))
    chosen = (
        [] if gates.frozen else sorted(bounded, key=lambda t: (t.container_instance or "", t.name))[:budget]
    )
    stops += stop_all(chosen, scaling)
    settled = all(t.wanted and t.uid in healthy for t in ctx.tasks if t.in_flight)
    blocked = len(chosen) < len(bounded) and not starts and not stops and gates.may_start and settled
    return Buckets(
        starts=tuple(starts),
        stops=tuple(stops),
        messages=tuple(messages),
        recheck=(now + PLACEMENT_RETRY,) if unplaced else (),
        blocked=blocked,
        unplaceable=unplaced,
    )


def _preference(task: ServiceTask, healthy: set[str]) -> tuple[bool, bool, float, str]:
    """Which copy stays when an instance has several: healthy, RUNNING, oldest, then by name."""
    created = task.created_at.timestamp() if task.created_at else 0.0
    return (task.uid not in healthy, not task.running, created, task.name)
