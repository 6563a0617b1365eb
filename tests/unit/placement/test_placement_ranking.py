"""The incremental batch path (placement/ranking.py) decides exactly what the generic loop decides:
same instances in the same order, same claims and ports, same snapshot, same failure, for the same
seed, on random clusters and every chain of binpack and spread strategies."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecs_operator.placement import (
    ClusterSnapshot,
    InstanceSnapshot,
    PlacementEngine,
    PlacementResult,
    TaskRequest,
    make_instance,
    make_task,
    ranking,
)

ENGINE = PlacementEngine()
GROUPS = ("service:web", "service:db", "family:batch")
RANKED = (
    ("binpack", "cpu"),
    ("binpack", "memory"),
    ("spread", "attribute:ecs.availability-zone"),
    ("spread", "instanceId"),
    ("spread", "attribute:stack"),
)


@st.composite
def instances(draw: st.DrawFn, name: str) -> InstanceSnapshot:
    builder = (
        make_instance(name)
        .zone(draw(st.sampled_from(("zone-a", "zone-b", "zone-c"))))
        .instance_type(draw(st.sampled_from(("m5.large", "t2.small"))))
        .cpu(draw(st.sampled_from((1024, 2048))))
        .memory(draw(st.sampled_from((1024, 2048))))
    )
    if draw(st.booleans()):
        builder.attribute("stack", draw(st.sampled_from(("prod", "dev"))))
    if draw(st.integers(0, 9)) == 0:
        builder.draining()
    for n in range(draw(st.integers(0, 3))):
        builder.task(draw(st.sampled_from(GROUPS)), 128, 256, uid=f"{name}-{n}")
    return builder.build()


@st.composite
def clusters(draw: st.DrawFn) -> ClusterSnapshot:
    size = draw(st.integers(1, 12))
    return ClusterSnapshot(tuple(draw(instances(f"ci-{n:02d}")) for n in range(size)))


@st.composite
def requests(draw: st.DrawFn) -> TaskRequest:
    builder = make_task("default/t").service("web").cpu(draw(st.sampled_from((0, 128, 512))))
    builder.memory(draw(st.sampled_from((128, 512))))
    for kind, field in draw(st.lists(st.sampled_from(RANKED), max_size=3)):
        builder.strategy(kind, field)
    if draw(st.booleans()):
        builder.distinct_instance()
    if draw(st.booleans()):
        builder.member_of("attribute:stack == prod or not(task:group == service:db)")
    if draw(st.booleans()):
        builder.dynamic_ports(1)
    return builder.build()


def _both(cluster: ClusterSnapshot, request: TaskRequest, count: int, seed: int) -> list[PlacementResult]:
    bound, strategies = ENGINE.bind(request), ENGINE.strategies(request)
    assert ranking.plan(strategies)
    return [
        method(cluster, request, count, random.Random(seed), bound, strategies)
        for method in (ENGINE._place_each, ENGINE._place_ranked)
    ]


def _same(each: PlacementResult, ranked: PlacementResult) -> None:
    assert ranked.placements == each.placements
    assert ranked.failure == each.failure
    assert ranked.snapshot.instances == each.snapshot.instances
    for attribute in ("ecs.availability-zone", "stack"):
        for group in GROUPS:
            assert ranked.snapshot.tasks_by_value(group, attribute) == dict(
                each.snapshot.tasks_by_value(group, attribute)
            )


@settings(max_examples=300, deadline=None)
@given(clusters(), requests(), st.integers(1, 40), st.integers(0, 2**16))
def test_ranked_batch_decides_like_the_generic_loop(
    cluster: ClusterSnapshot, request: TaskRequest, count: int, seed: int
) -> None:
    _same(*_both(cluster, request, count, seed))


@pytest.mark.parametrize(
    ("chain", "count"),
    [
        pytest.param(
            (("spread", "attribute:ecs.availability-zone"), ("binpack", "memory")), 200, id="az-binpack"
        ),
        pytest.param((("spread", "attribute:stack"), ("spread", "instanceId")), 200, id="stack-instance"),
        pytest.param(
            (("binpack", "cpu"), ("spread", "attribute:ecs.availability-zone")), 200, id="binpack-az"
        ),
        pytest.param((), 200, id="service-default"),
    ],
)
def test_ranked_batch_matches_on_a_larger_cluster(chain: tuple[tuple[str, str], ...], count: int) -> None:
    rng = random.Random(7)
    built = []
    for n in range(60):
        builder = (
            make_instance(f"ci-{n:03d}").zone(("zone-a", "zone-b", "zone-c")[n % 3]).cpu(4096).memory(8192)
        )
        if n % 5:
            builder.attribute("stack", "prod" if n % 2 else "dev")
        for t in range(rng.randint(0, 4)):
            builder.task(rng.choice(GROUPS), 256, rng.choice((256, 512)), uid=f"ci-{n}-{t}")
        built.append(builder.build())
    builder = make_task("default/t").service("web").cpu(128).memory(256)
    for kind, field in chain:
        builder.strategy(kind, field)
    for seed in range(3):
        each, ranked = _both(ClusterSnapshot(tuple(built)), builder.build(), count, seed)
        _same(each, ranked)
        assert len(ranked.placements) == count
