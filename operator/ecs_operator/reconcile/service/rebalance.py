"""Availability Zone rebalancing of a REPLICA service (ecs-semantics §3.1, `availabilityZoneRebalancing`).

Why: tasks follow capacity. When a zone's instances drain or go away, the service's tasks are
replaced in the other zones; when the zone comes back, nothing moves them back, and the service
stays lopsided (a later outage of the fuller zone takes more of it down). ECS, with rebalancing
ENABLED, starts tasks in the zone with the fewest of the service's tasks and stops tasks in the
zone with the most, within the deployment bounds, and says so in the service events.

How, one move at a time, on the machinery that replaces a task on a DRAINING instance (start the
replacement first, stop the old task once the replacement is healthy, within minimumHealthyPercent
and maximumPercent):

| situation                                                                | step                 |
|--------------------------------------------------------------------------|----------------------|
| the service is steady (desiredCount healthy tasks of PRIMARY, nothing    | choose a task of the |
| else in flight, nothing placed or stopped by this plan), its zones       | fullest zone to move |
| differ by more than one task, maximumPercent leaves room for one more    | (SERVICE_REBALANCING_|
| task, and a task fits in the emptiest zone                               | STARTED)             |
| a move is under way (its task still wanted)                              | it is replaced as if |
|                                                                          | its instance drained |
| the moved task is gone and the zones differ by at most one               | SERVICE_REBALANCING_ |
|                                                                          | COMPLETED            |

The replacement is placed by the service's strategy, which spreads across zones first (rebalancing
applies only to services whose placement follows zones, see `enabled`), and the moving task still
holds its claim in the fullest zone, so the replacement goes to the emptiest one. Zones are those of
the ACTIVE, connected instances the service's task may use (launch type, memberOf constraints).
The moving task is remembered in the scheduler state (``rebalancingTask``) so every plan agrees.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

from ecs_operator.api import AvailabilityZoneRebalancing, PlacementStrategyType
from ecs_operator.placement import ClusterSnapshot, InstanceStatus, place
from ecs_operator.placement.snapshot import AVAILABILITY_ZONE

from . import reasons
from .context import Buckets, Context, Gates
from .records import ServiceTask, TaskStop

ZONE_FIELD = f"attribute:{AVAILABILITY_ZONE}"


def enabled(ctx: Context) -> bool:
    """The setting, or ECS's default for a new service: ENABLED when compatible.

    Compatible here: the service's placement follows zones first (no strategy, the default spread
    across zones, or a first strategy that spreads on ``attribute:ecs.availability-zone``), so the
    replacement lands in the emptiest zone and scale-in empties the fullest. An explicit ENABLED
    with another strategy is not acted on (README, "What differs from ECS").
    """
    strategies = ctx.spec.placement_strategy
    follows_zones = "placement_strategy" not in ctx.spec.model_fields_set or (
        bool(strategies)
        and strategies[0].type is PlacementStrategyType.SPREAD
        and strategies[0].field == ZONE_FIELD
    )
    setting = ctx.spec.availability_zone_rebalancing
    return follows_zones and setting is not AvailabilityZoneRebalancing.DISABLED


@dataclass(frozen=True)
class Move:
    task: str | None
    """The uid of the task being moved (the state's new ``rebalancingTask``)."""
    messages: tuple[str, ...] = ()


def zone_counts(ctx: Context, tasks: list[ServiceTask]) -> dict[str, int]:
    """Tasks per zone the service may use (zones without any count 0)."""
    request = ctx.request
    zones = {
        inst.availability_zone
        for inst in ctx.snapshot
        if inst.status is InstanceStatus.ACTIVE
        and inst.agent_connected
        and inst.availability_zone
        and (request is None or inst.launch_type is request.launch_type)
        and (request is None or all(c.parsed is None or c.parsed.evaluate(inst) for c in request.member_of))
    }
    counts: dict[str, int] = dict.fromkeys(sorted(z for z in zones if z), 0)
    for task in tasks:
        if task.availability_zone in counts:
            counts[str(task.availability_zone)] += 1
    return counts


def describe(counts: dict[str, int], *, repeat: bool) -> str:
    """``3 tasks in zone-a, 3 in zone-b, and 0 in zone-c`` (ECS's wording; ``repeat``: "tasks" each time)."""
    parts = [
        f"{n} tasks in {z}" if i == 0 or repeat else f"{n} in {z}" for i, (z, n) in enumerate(counts.items())
    ]
    if len(parts) <= 2:
        return " and ".join(parts)
    return ", ".join(parts[:-1]) + ", and " + parts[-1]


def not_balanced(service: str, counts: dict[str, int]) -> str:
    return f"service ({service}) is not AZ balanced with {describe(counts, repeat=False)}. AZ Rebalancing in progress."


def balanced(service: str, counts: dict[str, int]) -> str:
    return f"service ({service}) is AZ balanced with {describe(counts, repeat=True)}."


def plan(
    ctx: Context, gates: Gates, moving: str | None, schedule: Callable[[Context], Buckets]
) -> tuple[Buckets, str | None]:
    """Run the REPLICA ``schedule`` with a move under way folded in; returns its buckets (with
    rebalancing events and, when a move begins, the task marked) and the new ``rebalancingTask``."""
    task = next((t for t in ctx.tasks if t.uid == moving and t.wanted), None)
    if task is not None and enabled(ctx) and not ctx.deleting:
        marked = tuple(replace(t, instance_draining=True) if t.uid == moving else t for t in ctx.tasks)
        moved = schedule(replace(ctx, tasks=marked))
        if not moved.unplaceable:
            return _retag(ctx, gates, moved, task), moving
        # its replacement fits nowhere now: the move is abandoned, the task stays
    buckets = schedule(ctx)
    if not enabled(ctx) or ctx.deleting or ctx.request is None:
        return buckets, None
    now = ctx.now
    tasks = ctx.wanted
    quiet = not (
        buckets.starts or buckets.stops or buckets.messages or buckets.blocked or buckets.unplaceable
    )
    steady = (
        quiet
        and gates.may_start
        and len(tasks) == gates.bounds.desired == ctx.in_flight
        and all(gates.of_primary(t) and t.healthy(now) and not ctx.draining(t) for t in tasks)
    )
    if not steady:
        return buckets, None
    counts = zone_counts(ctx, tasks)
    if len(counts) < 2 or max(counts.values()) - min(counts.values()) <= 1:
        done = (balanced(ctx.name, counts),) if moving is not None and len(counts) >= 2 else ()
        return replace(buckets, messages=buckets.messages + done), None
    emptiest = min(counts, key=lambda z: (counts[z], z))
    fits = place(
        ClusterSnapshot(tuple(i for i in ctx.snapshot if i.availability_zone == emptiest)),
        ctx.request,
        1,
        ctx.rng,
    )
    if fits.failure is not None or gates.bounds.start_room(ctx.in_flight) < 1:
        return buckets, None  # nothing fits there, or maximumPercent leaves no room: stay as is
    fullest = max(counts, key=lambda z: (counts[z], z))
    per_instance = Counter(t.container_instance for t in tasks)
    candidates = [t for t in tasks if t.availability_zone == fullest]
    chosen = min(candidates, key=lambda t: (-per_instance[t.container_instance], t.name))
    marked = tuple(replace(t, instance_draining=True) if t.uid == chosen.uid else t for t in ctx.tasks)
    moved = schedule(replace(ctx, tasks=marked))
    return replace(moved, messages=(not_balanced(ctx.name, counts), *moved.messages)), chosen.uid


def _retag(ctx: Context, gates: Gates, buckets: Buckets, task: ServiceTask) -> Buckets:
    """The moved task's stop is a scaling activity of the rebalancing, said as ECS says it."""
    if not any(s.uid == task.uid for s in buckets.stops):
        return buckets
    reason = reasons.scaling(gates.primary.id if gates.primary else None)
    stops = tuple(TaskStop(s.name, s.uid, reason) if s.uid == task.uid else s for s in buckets.stops)
    message = (
        f"service {ctx.name} has stopped 1 running tasks in {task.availability_zone} due to AZ rebalancing: "
        f"task {task.name}."
    )
    return replace(buckets, stops=stops, messages=(*buckets.messages, message))
