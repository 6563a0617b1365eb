"""Which tasks a service stops when it scales in (ecs-semantics §1.2, §1.3).

The mirror image of placement: each strategy keeps the tasks it would rather stop, in order, then
a seeded random tie-break. binpack stops the task on the instance that would have the most free
resource once it is gone; spread takes from the value (zone, instance) with the most tasks of the
group, instances lacking the attribute first (they rank last when placing); random is random.
With no strategy at all: the zone with the most tasks, then the instance with the most (§1.3).

Decided here: tasks on instances that are not schedulable (DRAINING, INACTIVE, agent disconnected)
go first whatever the strategy, since they would be replaced anyway; tasks whose uid is in
``protected`` (scale-in protection, §3.1) are never chosen. Tasks are chosen one at a time, each
choice updating the counts the next one sees.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from .snapshot import Claim, ClusterSnapshot, InstanceSnapshot
from .spec import SPREAD_INSTANCES, SPREAD_ZONES, PlacementStrategy, StrategyType
from .stages import keep_lowest


@dataclass(frozen=True, slots=True)
class StopChoice:
    instance: str
    claim: Claim


_Item = tuple[InstanceSnapshot, Claim]
_Narrow = Callable[[PlacementStrategy, Sequence[_Item], ClusterSnapshot, str, random.Random], Sequence[_Item]]


def _binpack(
    spec: PlacementStrategy, pool: Sequence[_Item], cluster: ClusterSnapshot, group: str, rng: random.Random
) -> Sequence[_Item]:
    if spec.field == "cpu":
        return keep_lowest(pool, [-(inst.remaining_cpu + claim.cpu) for inst, claim in pool])
    return keep_lowest(pool, [-(inst.remaining_memory + claim.memory) for inst, claim in pool])


def _spread(
    spec: PlacementStrategy, pool: Sequence[_Item], cluster: ClusterSnapshot, group: str, rng: random.Random
) -> Sequence[_Item]:
    attribute = spec.attribute
    if attribute is None:  # instanceId
        return keep_lowest(pool, [-inst.group_counts.get(group, 0) for inst, _ in pool])
    counts = cluster.tasks_by_value(group, attribute)
    values = [inst.attributes.get(attribute) for inst, _ in pool]
    return keep_lowest(pool, [-math.inf if v is None else -counts.get(v, 0) for v in values])


def _random(
    spec: PlacementStrategy, pool: Sequence[_Item], cluster: ClusterSnapshot, group: str, rng: random.Random
) -> Sequence[_Item]:
    return pool if len(pool) <= 1 else [rng.choice(pool)]


_REGISTRY: dict[StrategyType, _Narrow] = {
    StrategyType.BINPACK: _binpack,
    StrategyType.SPREAD: _spread,
    StrategyType.RANDOM: _random,
}


def choose_tasks_to_stop(
    snapshot: ClusterSnapshot,
    group: str,
    count: int,
    strategies: Sequence[PlacementStrategy] = (),
    rng: random.Random | None = None,
    *,
    protected: Collection[str] = (),
) -> tuple[StopChoice, ...]:
    """Up to ``count`` tasks of ``group`` to stop, in the order they were chosen."""
    rng = rng if rng is not None else random.Random()
    chain = tuple(strategies) or (SPREAD_ZONES, SPREAD_INSTANCES)
    chosen: list[StopChoice] = []
    for _ in range(count):
        pool = [
            (inst, claim)
            for inst in snapshot
            if group in inst.group_counts
            for claim in inst.claims
            if claim.group == group and claim.task_uid not in protected
        ]
        if not pool:
            break
        leaving = [item for item in pool if not item[0].schedulable]
        narrowed: Sequence[_Item] = leaving or pool
        for spec in chain:
            narrowed = _REGISTRY[spec.type](spec, narrowed, snapshot, group, rng)
        inst, claim = narrowed[0] if len(narrowed) == 1 else rng.choice(narrowed)
        chosen.append(StopChoice(inst.name, claim))
        snapshot = snapshot.with_instance(inst.without_claim(claim.task_uid))
    return tuple(chosen)
