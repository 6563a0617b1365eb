"""Which tasks a service stops on scale-in, per strategy (ecs-semantics §1.2, §1.3)."""

from __future__ import annotations

import random

import pytest

from ecs_operator.placement import (
    ClusterSnapshot,
    PlacementStrategy,
    binpack,
    choose_tasks_to_stop,
    make_cluster,
    make_instance,
    random_strategy,
    spread,
)

WEB = "service:web"
ZONE = spread("attribute:ecs.availability-zone")


def cluster() -> ClusterSnapshot:
    """web: zone-a 3 tasks (a1: 2, a2: 1), zone-b 2 (b1: 2), zone-c 1 (c1: 1); db on a2 and c1."""
    return make_cluster(
        make_instance("c.a1")
        .zone("zone-a")
        .memory(4096)
        .task(WEB, cpu=256, memory=1024, uid="a1-1")
        .task(WEB, cpu=256, memory=1024, uid="a1-2"),
        make_instance("c.a2")
        .zone("zone-a")
        .memory(4096)
        .task(WEB, cpu=1024, memory=512, uid="a2-1")
        .task("service:db", memory=3000, uid="a2-db"),
        make_instance("c.b1")
        .zone("zone-b")
        .memory(8192)
        .task(WEB, cpu=256, memory=1024, uid="b1-1")
        .task(WEB, cpu=256, memory=1024, uid="b1-2"),
        make_instance("c.c1")
        .zone("zone-c")
        .memory(8192)
        .task(WEB, cpu=512, memory=2048, uid="c1-1")
        .task("service:db", cpu=3000, uid="c1-db"),
    )


def stops(strategies: tuple[PlacementStrategy, ...], count: int, seed: int = 0) -> list[str]:
    chosen = choose_tasks_to_stop(cluster(), WEB, count, strategies, random.Random(seed))
    return [c.claim.task_uid for c in chosen]


A1, A2, B1, C1 = "c.a1", "c.a2", "c.b1", "c.c1"
CASES = [
    # remaining memory once the task is gone: a1 3072, a2 1096, b1 7168, c1 8192
    pytest.param((binpack("memory"),), [{C1}], id="binpack-memory-most-free-once-gone"),
    # remaining cpu once gone: a1 3840, a2 4096, b1 3840, c1 1096
    pytest.param((binpack("cpu"),), [{A2}], id="binpack-cpu-most-free-once-gone"),
    pytest.param(
        (spread("instanceId"),), [{A1, B1}, {A1, B1}, {A1, A2, B1, C1}], id="spread-instance-most-tasks"
    ),
    pytest.param((), [{A1}, {B1}, {A1, A2}], id="no-strategy-zone-with-most-then-instance-with-most"),
    pytest.param((ZONE, spread("instanceId")), [{A1}, {B1}, {A1, A2}], id="spread-zone-then-instance"),
    pytest.param((ZONE, binpack("memory")), [{A1}, {B1}], id="spread-zone-then-binpack-memory"),
]


@pytest.mark.parametrize(("strategies", "allowed"), CASES)
def test_scale_in(strategies: tuple[PlacementStrategy, ...], allowed: list[set[str]]) -> None:
    """Each stop comes from the allowed instances of its step, whatever the seed breaking ties."""
    for seed in range(20):
        chosen = choose_tasks_to_stop(cluster(), WEB, len(allowed), strategies, random.Random(seed))
        assert len(chosen) == len(allowed)
        assert all(c.instance in ok for c, ok in zip(chosen, allowed, strict=True)), (seed, chosen)


def test_scale_in_chooses_the_same_tasks_for_the_same_seed() -> None:
    assert stops((), 4, 11) == stops((), 4, 11)


def test_spread_zone_takes_from_the_fullest_zone_at_random_within() -> None:
    picks = {stops((ZONE,), 1, seed)[0] for seed in range(40)}
    assert picks == {"a1-1", "a1-2", "a2-1"}


def test_spread_zone_keeps_zones_balanced_down_to_one_each() -> None:
    chosen = choose_tasks_to_stop(cluster(), WEB, 3, (ZONE,), random.Random(4))
    zones = [str(cluster().instance(c.instance).availability_zone) for c in chosen]
    assert sorted(zones) == ["zone-a", "zone-a", "zone-b"]


def test_random_is_seeded() -> None:
    assert stops((random_strategy(),), 6, 9) == stops((random_strategy(),), 6, 9)
    assert sorted(stops((random_strategy(),), 6, 9)) == ["a1-1", "a1-2", "a2-1", "b1-1", "b1-2", "c1-1"]


def test_tasks_on_draining_instances_go_first_and_protected_tasks_never() -> None:
    snapshot = make_cluster(
        make_instance("c.a").zone("zone-a").task(WEB, uid="a-1").task(WEB, uid="a-2"),
        make_instance("c.b").zone("zone-b").draining().task(WEB, uid="b-1"),
    )
    chosen = choose_tasks_to_stop(snapshot, WEB, 3, (), random.Random(0), protected={"a-2"})
    assert [(c.instance, c.claim.task_uid) for c in chosen] == [("c.b", "b-1"), ("c.a", "a-1")]


def test_spread_attribute_takes_from_instances_lacking_it_first() -> None:
    snapshot = make_cluster(
        make_instance("c.r1").attribute("rack", "r1").task(WEB, uid="r1-1").task(WEB, uid="r1-2"),
        make_instance("c.none").task(WEB, uid="n-1"),
    )
    chosen = choose_tasks_to_stop(snapshot, WEB, 1, (spread("attribute:rack"),), random.Random(0))
    assert [c.claim.task_uid for c in chosen] == ["n-1"]
