"""Which tasks a REPLICA service stops when it scales in (ecs-semantics §1.2, §1.3).

Without a strategy, absent or given as ``[]``, ECS's replica scheduler stops from the zone with
the most tasks of the service, then from the instance with the most; with one, the strategy's
scale-in rule applies (binpack: the instance with the most free once the task is gone).
"""

from __future__ import annotations

import pytest

from ecs_operator.placement import make_instance
from ecs_operator.reconcile.service import ServiceTask

from .builders import A1, A2, B1, C1, OLD, MakeService, MakeTask, cluster, run


def _tasks() -> list[ServiceTask]:
    """zone-a: a1 holds 3, a2 holds 1 (4 in the zone); zone-b: b1 holds 2; zone-c: c1 holds 2."""
    layout = [(A1, 3), (A2, 1), (B1, 2), (C1, 2)]
    return [
        MakeTask(f"{where}-{n}").healthy().on(where).build() for where, count in layout for n in range(count)
    ]


def _service(kind: str) -> MakeService:
    svc = MakeService().desired(7).min(0).deployment(OLD, "web:1")
    return svc.no_strategy() if kind == "empty" else svc


@pytest.mark.parametrize("kind", ["absent", "empty"])
@pytest.mark.parametrize("seed", range(12))
def test_without_strategy_the_fullest_zone_then_the_fullest_instance(kind: str, seed: int) -> None:
    """zone-a has the most (4); within it a1 has the most (3): the one stop is on a1, whatever the
    seed. Spread on zones alone would pick a2's task a quarter of the time."""
    tasks = _tasks()
    plan = run(_service(kind).build(), tasks, "web:1", seed=seed)
    assert [s.name.rsplit("-", 1)[0] for s in plan.stops] == [A1]


@pytest.mark.parametrize("seed", range(12))
def test_absent_and_empty_stop_the_same_tasks(seed: int) -> None:
    tasks = _tasks()
    for desired in (6, 4, 1):
        absent = run(_service("absent").desired(desired).build(), tasks, "web:1", seed=seed)
        empty = run(_service("empty").desired(desired).build(), tasks, "web:1", seed=seed)
        assert [s.name for s in absent.stops] == [s.name for s in empty.stops]


def test_scaling_in_by_three_keeps_the_zones_and_instances_level() -> None:
    """8 tasks (a1 3, a2 1, b1 2, c1 2) down to 5: a1, then the zones are 3/2/2 and zone-a's a1
    still holds the most (2), then zone-a and its instances are level with the rest."""
    tasks = _tasks()
    for seed in range(12):
        plan = run(_service("absent").desired(5).build(), tasks, "web:1", seed=seed)
        where = sorted(s.name.rsplit("-", 1)[0] for s in plan.stops)
        assert where[:2] == [A1, A1], (seed, where)
        assert len(where) == 3


def test_with_a_strategy_scale_in_follows_it() -> None:
    """binpack on memory: the task whose instance has the most memory free once it is gone."""
    tasks = _tasks()
    snapshot = cluster(
        tasks,
        make_instance(A1).zone("zone-a").memory(4096),
        make_instance(A2).zone("zone-a").memory(4096),
        make_instance(B1).zone("zone-b").memory(4096),
        make_instance(C1).zone("zone-c").memory(16384),
    )
    svc = _service("absent").strategy("binpack", "memory").build()
    for seed in range(6):
        plan = run(svc, tasks, "web:1", snapshot=snapshot, seed=seed)
        assert [s.name.rsplit("-", 1)[0] for s in plan.stops] == [C1]
