"""Invariants of placement (testing.md): claims never exceed registered resources, ports are never
taken twice, distinctInstance and memberOf are never violated, and a task is refused only when no
instance could take it."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from ecs_operator.placement import (
    Claim,
    ClusterSnapshot,
    InstanceSnapshot,
    TaskRequest,
    make_instance,
    make_task,
    place,
)

GROUPS = ("service:web", "service:db", "family:batch")
EXPRESSIONS = (
    "attribute:ecs.availability-zone in [zone-a, zone-b]",
    "attribute:ecs.instance-type =~ m5.*",
    "attribute:stack == prod",
    "not(task:group == service:db)",
    "runningTasksCount < 3",
)
STRATEGIES = (
    ("binpack", "cpu"),
    ("binpack", "memory"),
    ("spread", "attribute:ecs.availability-zone"),
    ("spread", "instanceId"),
    ("spread", "attribute:stack"),
    ("random", None),
)


@st.composite
def instances(draw: st.DrawFn, name: str) -> InstanceSnapshot:
    builder = (
        make_instance(name)
        .zone(draw(st.sampled_from(("zone-a", "zone-b", "zone-c"))))
        .instance_type(draw(st.sampled_from(("m5.large", "t2.small"))))
        .cpu(draw(st.sampled_from((1024, 2048, 4096))))
        .memory(draw(st.sampled_from((1024, 2048, 4096))))
        .reserved_ports(22)
    )
    if draw(st.booleans()):
        builder.attribute("stack", draw(st.sampled_from(("prod", "dev"))))
    if draw(st.integers(0, 9)) == 0:
        builder.draining()
    cpu_left, memory_left = builder.build().registered_cpu, builder.build().registered_memory
    for n in range(draw(st.integers(0, 3))):
        cpu, memory = draw(st.integers(0, cpu_left)), draw(st.integers(0, memory_left))
        port = draw(st.sampled_from((None, 8080, 9090)))
        ports = () if port is None or port in builder.build().used_ports else (port,)
        builder.task(draw(st.sampled_from(GROUPS)), cpu, memory, ports, uid=f"{name}-{n}")
        cpu_left, memory_left = cpu_left - cpu, memory_left - memory
    return builder.build()


@st.composite
def clusters(draw: st.DrawFn) -> ClusterSnapshot:
    count = draw(st.integers(0, 8))
    return ClusterSnapshot(tuple(draw(instances(f"c.i{n}")) for n in range(count)))


@st.composite
def requests(draw: st.DrawFn) -> TaskRequest:
    task = (
        make_task("default/t")
        .uid("u")
        .group(draw(st.sampled_from(GROUPS)))
        .cpu(draw(st.sampled_from((0, 128, 512, 1024))))
        .memory(draw(st.sampled_from((0, 256, 1024))))
    )
    if draw(st.booleans()):
        task.port(draw(st.sampled_from((8080, 9090))))
    task.dynamic_ports(draw(st.integers(0, 2)))
    if draw(st.booleans()):
        task.distinct_instance()
    for expression in draw(st.lists(st.sampled_from(EXPRESSIONS), max_size=2, unique=True)):
        task.member_of(expression)
    for type_, field in draw(st.lists(st.sampled_from(STRATEGIES), max_size=3)):
        task.strategy(type_, field)
    return task.build()


def fits(inst: InstanceSnapshot, request: TaskRequest) -> bool:
    """An independent statement of every hard rule, to check the engine against."""
    return (
        inst.schedulable
        and inst.remaining_cpu >= request.cpu
        and inst.remaining_memory >= request.memory
        and not (request.ports & inst.used_ports)
        and not (request.distinct_instance and request.group in inst.task_groups)
        and all(c.parsed is not None and c.parsed.evaluate(inst) for c in request.member_of)
    )


def used_ports(inst: InstanceSnapshot) -> list[int]:
    return sorted(inst.registered_ports) + sorted(p for c in inst.claims for p in c.ports)


@settings(max_examples=300, deadline=None)
@given(cluster=clusters(), request=requests(), count=st.integers(1, 12), seed=st.integers(0, 2**32))
def test_placement_invariants(cluster: ClusterSnapshot, request: TaskRequest, count: int, seed: int) -> None:
    result = place(cluster, request, count, random.Random(seed))
    assert len(result.placements) + result.unplaced == count

    # Replay the placements one by one: each was feasible at the moment it was made.
    state = {inst.name: inst for inst in cluster}
    for placement in result.placements:
        before = state[placement.instance]
        assert fits(before, request), (placement, before)
        state[placement.instance] = before.with_claim(placement.claim)

    for inst in result.snapshot:
        assert inst == state[inst.name]
        assert inst.remaining_cpu >= 0 and inst.remaining_memory >= 0
        ports = used_ports(inst)
        assert len(ports) == len(set(ports)), ports  # no host port is held twice
        if request.distinct_instance:
            assert inst.group_counts.get(request.group, 0) <= max(
                1, cluster.instance(inst.name).group_counts.get(request.group, 0)
            )

    if result.failure is not None:  # refused only when nothing fits
        assert not any(fits(inst, request) for inst in result.snapshot)
        assert all(not v.feasible for v in result.failure.verdicts)


@settings(max_examples=100, deadline=None)
@given(cluster=clusters(), request=requests(), seed=st.integers(0, 2**32))
def test_placing_n_at_once_equals_placing_one_at_a_time(
    cluster: ClusterSnapshot, request: TaskRequest, seed: int
) -> None:
    rng_batch, rng_single = random.Random(seed), random.Random(seed)
    batch = place(cluster, request, 3, rng_batch)
    snapshot, singles = cluster, []
    for _ in range(3):
        one = place(snapshot, request, 1, rng_single)
        if not one.placements:
            break
        singles.append(one.placements[0].instance)
        snapshot = one.snapshot
    assert [p.instance for p in batch.placements] == singles


def test_claims_carry_the_request() -> None:
    cluster = ClusterSnapshot((make_instance("c.a").build(),))
    request = make_task("default/t").uid("u").group("g").cpu(1).memory(2).port(80).build()
    (placement,) = place(cluster, request, 1, random.Random(0)).placements
    assert placement.claim == Claim("u", "default/t", "g", 1, 2, (80,), ())
