"""The REPLICA scheduler: keep desiredCount healthy tasks of the PRIMARY deployment
(ecs-semantics §3.1, §3.3, §6.3), as buckets.

Why this shape: every reason to start or stop a task (scaling, deployments, unhealthy tasks,
draining) is one decision against the same two bounds, so they are made together, once per plan.

Each wanted task (in flight, desiredStatus RUNNING) falls in one bucket:

| bucket    | the task                               | what happens                                |
|-----------|----------------------------------------|---------------------------------------------|
| free      | on a DRAINING instance or of an older  | stopped now: it counts toward no minimum    |
|           | deployment, and not healthy (PENDING…) |                                             |
| draining  | on a DRAINING instance, healthy        | replaced: stopped within the min bound      |
| old       | of an older deployment, healthy        | replaced: stopped within the min bound      |
| unhealthy | of PRIMARY, UNHEALTHY past the grace   | replaced: the replacement starts first if   |
|           | period                                 | maximumPercent leaves room, and the task    |
|           |                                        | stops once the replacement is HEALTHY;      |
|           |                                        | else one by one                             |
| good      | of PRIMARY, none of the above          | kept; beyond desiredCount, scaled in        |

Then, in this order:

1. Scale-in: ``good`` beyond desiredCount stops, cheapest first: not RUNNING, then RUNNING but not
   healthy (an UNHEALTHY task in its grace period included, §3.1), then healthy ones within the
   min bound; among each, ECS's scale-in choice (``stops.StopPicker``).
2. Starts: desiredCount − |good|, no more than maximumPercent leaves (running + pending ≤
   floor(desired × max% / 100)), none while throttled or after a FAILED deployment; with a
   placement request, only as many as placement can fit now (the rest: ``unable to place``).
3. Unhealthy (§3.1: "starts the replacement first and then stops the unhealthy task"): an
   unhealthy task is stopped only once its replacement has settled, that is, when the healthy
   ``good`` tasks plus the unhealthy ones exceed desiredCount. A replacement that turned HEALTHY
   lets the unhealthy task go; a replacement UNHEALTHY too (past its own grace period) makes one
   of the two go, back to desiredCount, and the survivor is replaced again. A replacement still
   PENDING, or RUNNING and not yet HEALTHY, keeps the unhealthy task running: the service never
   drops below desiredCount while maximumPercent leaves room. Only when no replacement can start
   because maximumPercent leaves no room, or because no instance can take it ("as long as cluster
   capacity allows"), is one unhealthy task stopped first, and only when no other task is still
   stopping (§3.1: "one at a time"). While the start-failure throttle or a FAILED deployment
   holds every start back, unhealthy tasks are kept: stopping them would not bring a
   replacement sooner.
4. Draining, then old deployments: healthy ones stop while healthy ≥ ceil(desired × min% / 100)
   still holds afterwards.
5. Blocked: work remains, nothing started or stopped, nothing is on its way (every task in flight
   is healthy), and neither throttle, breaker, placement nor protection is the cause: the
   deployment configuration is, and ECS says so.

Scale-in protection (§3.1): a protected task (``ServiceTask.protected(now)``) is never chosen by
a scale-in (step 1) or a deployment's stops (steps 1 and 4, the ``free`` tasks of an older
deployment included); it still counts, so the service stays above desiredCount, or the older
deployment ACTIVE, until its protection expires or is turned off, and the plan re-checks at the
expiry. While protection is what keeps a task set from scaling in (PRIMARY: more protected tasks
than desiredCount; an older deployment: any, its desired count being 0), the plan says ECS's
"unable to scale in" event for that task set. Decided here [I]: protection covers scale-in and
deployments only, as ECS documents it; an UNHEALTHY task, a task on a DRAINING instance (or due
for retirement) and the tasks of a deleted service are stopped all the same.
"""

from __future__ import annotations

from datetime import datetime

from ecs_operator.placement import place

from . import events, reasons
from .context import (
    PLACEMENT_RETRY,
    Buckets,
    Context,
    Gates,
    capacity_strategy,
    scale_in_strategies,
    stop_all,
)
from .records import ServiceTask, TaskStop
from .stops import StopPicker


def plan_replica(ctx: Context, gates: Gates) -> Buckets:
    now, bounds = ctx.now, gates.bounds
    scaling = reasons.scaling(gates.primary.id if gates.primary else None)
    wanted = ctx.wanted
    if ctx.deleting:
        return Buckets(stops=stop_all(wanted, scaling))
    healthy = {t.uid for t in wanted if t.healthy(now)}
    protected = {t.uid for t in wanted if t.protected(now)}
    held: dict[str, int] = {}  # deployment id → protected tasks a stop passed over
    free: list[TaskStop] = []
    good: list[ServiceTask] = []
    unhealthy: list[ServiceTask] = []
    draining: list[ServiceTask] = []
    old: list[ServiceTask] = []
    for task in wanted:
        if ctx.draining(task) and task.uid in healthy:
            draining.append(task)
        elif ctx.draining(task):
            free.append(_stop(task, reasons.DRAINING))
        elif not gates.of_primary(task) and task.uid in healthy:
            old.append(task)
        elif not gates.of_primary(task) and task.uid in protected:
            held[task.started_by or ""] = held.get(task.started_by or "", 0) + 1
        elif not gates.of_primary(task):
            free.append(_stop(task, scaling))
        elif task.unhealthy(now, ctx.grace):
            unhealthy.append(task)
        else:
            good.append(task)
    picker = StopPicker(
        ctx.snapshot,
        ctx.group,
        scale_in_strategies(ctx.spec),
        ctx.rng,
        ctx.tasks,
        capacity_strategy(ctx.spec),
    )
    freed = {stop.uid for stop in free}
    picker.forget(t for t in wanted if t.uid in freed)
    budget = bounds.stop_room(len(healthy))
    stops = list(free)

    # 1. scale-in, never of a protected task
    excess = len(good) - bounds.desired
    if excess > 0:
        open_ = [t for t in good if t.uid not in protected]
        chosen = picker.pick([t for t in open_ if not t.running], excess)
        chosen += picker.pick([t for t in open_ if t.running and t.uid not in healthy], excess - len(chosen))
        chosen += picker.pick([t for t in open_ if t.uid in healthy], min(excess - len(chosen), budget))
        budget -= sum(1 for t in chosen if t.uid in healthy)
        stops += [_stop(t, scaling) for t in chosen]
        good = [t for t in good if t not in chosen]
        if len(open_) < excess and gates.primary is not None:
            held[gates.primary.id] = len(good) - len(open_)

    # 2. starts
    need = max(0, bounds.desired - len(good))
    count = min(need, bounds.start_room(ctx.in_flight)) if gates.may_start else 0
    messages: list[str] = []
    recheck: list[datetime] = []
    if count and ctx.request is not None:
        result = place(ctx.snapshot, ctx.request, count, ctx.rng)
        if result.failure is not None:
            messages.append(result.failure.service_message(ctx.name))
            recheck.append(now + PLACEMENT_RETRY)
            count = len(result.placements)

    # 3. unhealthy tasks of PRIMARY: replaced first, stopped once the replacement has settled
    stopping = any(t.in_flight and not t.wanted for t in ctx.tasks)
    known = sum(1 for t in good if t.uid in healthy) + len(unhealthy)  # health no longer pending
    replaced = min(len(unhealthy), max(0, known - bounds.desired))
    no_room = bounds.start_room(ctx.in_flight) == 0 or bool(messages)
    if unhealthy and not replaced and not count and need and no_room and gates.may_start and not stopping:
        replaced = 1
    stops += [_stop(t, reasons.UNHEALTHY) for t in picker.pick(unhealthy, replaced)]

    # 4. draining, then older deployments (not their protected tasks), within the min bound
    kept = [t for t in old if t.uid in protected]
    old = [t for t in old if t.uid not in protected]
    to_replace = len(draining) + len(old)
    if not gates.frozen:
        for tier, reason in ((draining, reasons.DRAINING), (old, scaling)):
            chosen = picker.pick(tier, min(len(tier), budget))
            budget -= len(chosen)
            to_replace -= len(chosen)
            stops += [_stop(t, reason) for t in chosen]
        # only protection kept these: the min bound would have let them go now
        for task in kept[:budget]:
            held[task.started_by or ""] = held.get(task.started_by or "", 0) + 1

    # 5. blocked by the deployment configuration
    settled = all(t.wanted and t.uid in healthy for t in ctx.tasks if t.in_flight)
    left = need > count or to_replace > 0
    blocked = left and not count and not stops and gates.may_start and not messages and settled
    unplaceable = bool(messages)

    # protection: say which task sets cannot scale in, and re-plan when a protection ends
    messages += [events.protected_scale_in(ctx.name, task_set) for task_set in sorted(held)]
    recheck += [
        t.protection.until
        for t in wanted
        if t.uid in protected and t.protection.until is not None and t.protection.until > now
    ]
    return Buckets(
        starts=(None,) * count,
        stops=tuple(stops),
        messages=tuple(messages),
        recheck=tuple(recheck),
        blocked=blocked,
        unplaceable=unplaceable,
    )


def _stop(task: ServiceTask, reason: str) -> TaskStop:
    return TaskStop(task.name, task.uid, reason)
