"""Stage 4: strategies, chained lexicographically, and the seeded random tie-break."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from ecs_operator.placement import (
    ClusterSnapshot,
    LaunchType,
    StrategyStep,
    TaskBuilder,
    TaskKind,
    binpack,
    default_strategies,
    effective_strategies,
    explain,
    make_cluster,
    make_instance,
    make_task,
    place,
    random_strategy,
    spread,
)

WEB = "service:web"


def zones_cluster() -> ClusterSnapshot:
    """Six instances in three zones; service web runs 2 tasks in zone-a, 1 in b, 1 in c.

    Remaining memory: a1 7680, a2 1680, b1 3584, b2 8192, c1 4096, c2 7168.
    """
    return make_cluster(
        make_instance("c.a1").zone("zone-a").memory(8192).task(WEB, memory=512),
        make_instance("c.a2")
        .zone("zone-a")
        .memory(8192)
        .task(WEB, memory=512)
        .task("service:db", memory=6000),
        make_instance("c.b1")
        .zone("zone-b")
        .memory(8192)
        .task(WEB, memory=512)
        .task("service:db", memory=4096),
        make_instance("c.b2").zone("zone-b").memory(8192),
        make_instance("c.c1").zone("zone-c").memory(4608).task(WEB, memory=512),
        make_instance("c.c2").zone("zone-c").memory(8192).task("service:db", memory=1024),
    )


def steps(cluster: ClusterSnapshot, task: TaskBuilder) -> list[StrategyStep]:
    return list(explain(cluster, task.build(), random.Random(0)).steps)


def step(strategy: str, *kept: str) -> StrategyStep:
    return StrategyStep(strategy, kept)


SPREAD_AZ = "spread(attribute:ecs.availability-zone)"
WEB_TASK = make_task("web-new").service("web").memory(512)

CHAINS = [
    pytest.param(
        make_task("web-new").service("web").memory(512).strategy("binpack", "memory"),
        [step("binpack(memory)", "c.a2")],
        id="binpack-memory-least-remaining",
    ),
    pytest.param(
        make_task("web-new").service("web").cpu(256).strategy("binpack", "cpu"),
        [step("binpack(cpu)", "c.a1", "c.a2", "c.b1", "c.b2", "c.c1", "c.c2")],
        id="binpack-cpu-all-equal-leaves-a-tie",
    ),
    pytest.param(
        make_task("web-new").service("web").strategy("spread", "attribute:ecs.availability-zone"),
        [step(SPREAD_AZ, "c.b1", "c.b2", "c.c1", "c.c2")],
        id="spread-az-fewest-tasks-of-the-group",
    ),
    pytest.param(
        make_task("web-new").service("web").strategy("spread", "instanceId"),
        [step("spread(instanceId)", "c.b2", "c.c2")],
        id="spread-instance-id",
    ),
    pytest.param(
        make_task("web-new").service("web").strategy("spread", "host"),
        [step("spread(instanceId)", "c.b2", "c.c2")],
        id="spread-host-is-instance-id",
    ),
    pytest.param(
        make_task("web-new")
        .service("web")
        .memory(512)
        .strategy("spread", "attribute:ecs.availability-zone")
        .strategy("binpack", "memory"),
        [step(SPREAD_AZ, "c.b1", "c.b2", "c.c1", "c.c2"), step("binpack(memory)", "c.b1")],
        id="spread-az-then-binpack-memory-packs-within-the-zones",
    ),
    pytest.param(
        make_task("web-new")
        .service("web")
        .strategy("spread", "attribute:ecs.availability-zone")
        .strategy("spread", "instanceId"),
        [step(SPREAD_AZ, "c.b1", "c.b2", "c.c1", "c.c2"), step("spread(instanceId)", "c.b2", "c.c2")],
        id="spread-az-then-spread-instance",
    ),
    pytest.param(
        make_task("web-new")
        .service("web")
        .memory(512)
        .strategy("binpack", "memory")
        .strategy("spread", "attribute:ecs.availability-zone"),
        [step("binpack(memory)", "c.a2"), step(SPREAD_AZ, "c.a2")],
        id="later-strategies-only-break-ties",
    ),
    pytest.param(
        make_task("web-new").service("web"),
        [step(SPREAD_AZ, "c.b1", "c.b2", "c.c1", "c.c2"), step("spread(instanceId)", "c.b2", "c.c2")],
        id="service-without-strategies-fewest-in-zone-then-instance",
    ),
    pytest.param(
        make_task("batch").memory(512).strategy("spread", "attribute:ecs.availability-zone"),
        [step(SPREAD_AZ, "c.a1", "c.a2", "c.b1", "c.b2", "c.c1", "c.c2")],
        id="spread-counts-only-the-tasks-own-group",
    ),
]


@pytest.mark.parametrize(("task", "expected"), CHAINS)
def test_strategy_chains(task: TaskBuilder, expected: list[StrategyStep]) -> None:
    assert steps(zones_cluster(), task) == expected


def test_spread_on_a_custom_attribute_ranks_instances_lacking_it_last() -> None:
    cluster = make_cluster(
        make_instance("c.r1").attribute("rack", "r1").task(WEB),
        make_instance("c.r2").attribute("rack", "r2").task(WEB),
        make_instance("c.none"),
    )
    task = make_task("w").service("web").strategy("spread", "attribute:rack")
    assert steps(cluster, task) == [step("spread(attribute:rack)", "c.r1", "c.r2")]
    only_without = make_cluster(
        make_instance("c.r1").attribute("rack", "r1").memory(0), make_instance("c.none")
    )
    assert steps(only_without, task.memory(1)) == [step("spread(attribute:rack)", "c.none")]


def test_spread_ignores_tasks_on_draining_instances() -> None:
    cluster = make_cluster(
        make_instance("c.a1").zone("zone-a").draining().task(WEB).task(WEB),
        make_instance("c.a2").zone("zone-a"),
        make_instance("c.b1").zone("zone-b").task(WEB),
    )
    assert place(cluster, WEB_TASK.build(), 1, random.Random(1)).placements[0].instance == "c.a2"


def test_random_is_seeded_and_uses_every_candidate() -> None:
    cluster = zones_cluster()
    task = make_task("batch").strategy("random").build()
    chosen = [place(cluster, task, 1, random.Random(seed)).placements[0].instance for seed in range(300)]
    again = [place(cluster, task, 1, random.Random(seed)).placements[0].instance for seed in range(300)]
    assert chosen == again
    counts = Counter(chosen)
    assert set(counts) == {"c.a1", "c.a2", "c.b1", "c.b2", "c.c1", "c.c2"}
    assert min(counts.values()) > 25


def test_ties_are_broken_by_the_injected_random_only() -> None:
    cluster = zones_cluster()
    task = make_task("web-new").service("web").strategy("spread", "attribute:ecs.availability-zone").build()
    picks = {place(cluster, task, 1, random.Random(seed)).placements[0].instance for seed in range(50)}
    assert picks == {"c.b1", "c.b2", "c.c1", "c.c2"}


def test_decisions_do_not_depend_on_the_order_instances_are_given() -> None:
    forward = zones_cluster()
    backward = ClusterSnapshot(tuple(reversed(forward.instances)))
    task = make_task("batch").build()
    for seed in range(20):
        a = place(forward, task, 3, random.Random(seed)).placements
        b = place(backward, task, 3, random.Random(seed)).placements
        assert a == b


DEFAULTS = [
    pytest.param(
        TaskKind.SERVICE, LaunchType.EC2, (spread("attribute:ecs.availability-zone"),), id="service"
    ),
    pytest.param(TaskKind.STANDALONE, LaunchType.EC2, (random_strategy(),), id="run-task"),
    pytest.param(TaskKind.SERVICE, LaunchType.FARGATE, (), id="fargate-takes-none"),
]


@pytest.mark.parametrize(("kind", "launch_type", "expected"), DEFAULTS)
def test_default_strategies(kind: TaskKind, launch_type: LaunchType, expected: tuple[object, ...]) -> None:
    assert default_strategies(kind, launch_type) == expected


EFFECTIVE = [
    pytest.param(make_task("t"), (random_strategy(),), id="run-task-without-strategies-is-random"),
    pytest.param(
        make_task("t").service("s"),
        (spread("attribute:ecs.availability-zone"), spread("instanceId")),
        id="service-without-strategies-is-zone-then-instance",
    ),
    pytest.param(
        make_task("t").fargate(),
        (spread("attribute:ecs.availability-zone"), spread("instanceId")),
        id="fargate-spreads-across-zones",
    ),
    pytest.param(make_task("t").strategy("binpack", "CPU"), (binpack("cpu"),), id="given-strategies-apply"),
]


@pytest.mark.parametrize(("task", "expected"), EFFECTIVE)
def test_effective_strategies(task: TaskBuilder, expected: tuple[object, ...]) -> None:
    assert effective_strategies(task.build()) == expected
