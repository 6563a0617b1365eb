"""The bulk forms of the feasibility checks and the engine built on them, against simple references.

The engine finds feasible instances with each check's ``bind_keep`` (one comprehension over a
pool) and explains them with ``bind`` (one instance, with the reason). These properties hold the
two to the same answer on random instances and requests, and hold ``place`` to a reference that
judges every instance with the per-instance chain for every task, as the engine did before.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecs_operator.placement import (
    ClusterSnapshot,
    InstanceSnapshot,
    Placement,
    PlacementFailure,
    PlacementResult,
    TaskRequest,
    Verdict,
    make_instance,
    make_task,
    place,
)
from ecs_operator.placement.pipeline import DEFAULT_ENGINE, _claim
from ecs_operator.placement.stages import BulkCheck

GROUPS = ("service:web", "service:db", "family:batch")
EXPRESSIONS = (
    "attribute:ecs.availability-zone in [zone-a, zone-b]",
    "attribute:ecs.instance-type =~ m5.*",
    "attribute:stack == prod",
    "attribute:stack != prod",
    "attribute:stack exists",
    "not(task:group == service:db)",
    "task:group == service:web or attribute:ecs.instance-type == t2.small",
    "runningTasksCount < 3 and not(attribute:stack !~ pr.*)",
    "not(attribute:ecs.availability-zone in [zone-c] or task:group =~ service:.*)",
)
STRATEGIES = (
    ("binpack", "cpu"),
    ("binpack", "memory"),
    ("spread", "attribute:ecs.availability-zone"),
    ("spread", "instanceId"),
    ("spread", "attribute:stack"),
    ("random", None),
)
EPHEMERAL = (49153, 49154, 49155)


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
        builder.attribute("stack", draw(st.sampled_from(("prod", "dev", "preprod"))))
    if draw(st.booleans()):
        builder.os(draw(st.sampled_from(("linux", "Windows", "LINUX"))))
    if draw(st.booleans()):
        builder.arch(draw(st.sampled_from(("x86_64", "arm64"))))
    if draw(st.integers(0, 9)) == 0:
        builder.draining()
    if draw(st.integers(0, 9)) == 0:
        builder.disconnected()
    if draw(st.integers(0, 9)) == 0:
        builder.fargate()
    for n in range(draw(st.integers(0, 3))):
        tcp = draw(st.sampled_from(((), (8080,), (9090,), EPHEMERAL[:1], EPHEMERAL)))
        udp = draw(st.sampled_from(((), (53,), EPHEMERAL[1:2])))
        cpu, memory = draw(st.integers(0, 1500)), draw(st.integers(0, 1500))
        builder.task(draw(st.sampled_from(GROUPS)), cpu, memory, tcp, udp, uid=f"{name}-{n}")
    return builder.build()


@st.composite
def clusters(draw: st.DrawFn) -> ClusterSnapshot:
    count = draw(st.integers(0, 10))
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
    if draw(st.integers(0, 9)) == 0:
        return task.fargate().build()
    mode = draw(st.sampled_from(("bridge", "bridge", "host", "awsvpc")))
    task.network_mode(mode)
    if mode != "awsvpc":
        for port in draw(st.lists(st.sampled_from((8080, 9090, *EPHEMERAL)), max_size=2, unique=True)):
            task.port(port)
        if draw(st.booleans()):
            task.port_udp(draw(st.sampled_from((53, EPHEMERAL[1]))))
    if mode == "bridge":
        task.dynamic_ports(draw(st.integers(0, 2)), draw(st.integers(0, 1)))
    if draw(st.booleans()):
        task.os(draw(st.sampled_from(("linux", "windows"))))
    if draw(st.booleans()):
        task.arch(draw(st.sampled_from(("x86_64", "ARM64"))))
    if draw(st.booleans()):
        task.distinct_instance()
    for expression in draw(st.lists(st.sampled_from(EXPRESSIONS), max_size=2, unique=True)):
        task.member_of(expression)
    for type_, field in draw(st.lists(st.sampled_from(STRATEGIES), max_size=3)):
        task.strategy(type_, field)
    return task.build()


@settings(max_examples=300, deadline=None)
@given(cluster=clusters(), request=requests())
def test_each_checks_bulk_form_keeps_exactly_what_its_instance_form_passes(
    cluster: ClusterSnapshot, request: TaskRequest
) -> None:
    pool = list(cluster)
    for check in DEFAULT_ENGINE.checks:
        assert isinstance(check, BulkCheck), check.name
        one, keep = check.bind(request), check.bind_keep(request)
        assert (one is None) == (keep is None), check.name
        if one is None or keep is None:
            continue
        expected = [inst for inst in pool if one(inst) is None]
        assert [i.name for i in keep(pool)] == [i.name for i in expected], check.name


def reference(
    cluster: ClusterSnapshot, request: TaskRequest, count: int, rng: random.Random
) -> PlacementResult:
    """Placement as the engine did it before bulk checks: every instance judged for every task."""
    engine = DEFAULT_ENGINE
    bound, strategies = engine.bind(request), engine.strategies(request)
    placements: list[Placement] = []
    for n in range(count):
        verdicts = tuple(engine.judge(bound, inst) for inst in cluster)
        pool = [inst for inst, verdict in zip(cluster, verdicts, strict=True) if verdict.feasible]
        if not pool:
            failure = PlacementFailure(request.task, verdicts)
            return PlacementResult(count, tuple(placements), cluster, failure)
        chosen = engine.select(pool, cluster, request, strategies, rng)
        claim = _claim(request, chosen, n, count)
        cluster = cluster.with_instance(chosen.with_claim(claim))
        placements.append(Placement(chosen.name, claim))
    return PlacementResult(count, tuple(placements), cluster)


@settings(max_examples=300, deadline=None)
@given(cluster=clusters(), request=requests(), count=st.integers(1, 6), seed=st.integers(0, 2**32))
def test_place_decides_like_the_reference(
    cluster: ClusterSnapshot, request: TaskRequest, count: int, seed: int
) -> None:
    expected = reference(cluster, request, count, random.Random(seed))
    result = place(cluster, request, count, random.Random(seed))
    assert result.placements == expected.placements
    assert result.failure == expected.failure
    assert result.snapshot.instances == expected.snapshot.instances


def test_a_failure_names_every_instances_first_rejection() -> None:
    cluster = ClusterSnapshot(
        (
            make_instance("c.a").cpu(100).build(),
            make_instance("c.b").draining().build(),
            make_instance("c.c").os("windows").build(),
            make_instance("c.d").instance_type("t2.small").build(),
        )
    )
    request = make_task("default/t").cpu(200).member_of("attribute:ecs.instance-type =~ m5.*").build()
    failure = place(cluster, request, 1, random.Random(0)).failure
    assert failure is not None
    assert [(v.instance, v.passed, str(v.rejection)) for v in failure.verdicts] == [
        ("c.a", 4, "RESOURCE:CPU: needs 200 CPU units, 100 remaining"),
        ("c.b", 0, "INACTIVE: container instance is DRAINING"),
        ("c.c", 3, "ATTRIBUTE: network mode bridge is not supported on windows"),
        ("c.d", 7, "MemberOf placement constraint unsatisfied: attribute:ecs.instance-type =~ m5.*"),
    ]
    assert all(isinstance(v, Verdict) and not v.feasible for v in failure.verdicts)


def _ephemeral_left(free: int) -> InstanceSnapshot:
    """An instance whose ephemeral range has exactly ``free`` TCP and UDP ports left."""
    taken = tuple(range(49153 + free, 65536))
    return make_instance(f"c.free-{free}").reserved_ports(*taken).reserved_ports_udp(*taken).build()


@pytest.mark.parametrize(
    ("free", "tcp", "udp"),
    [(2, 2, 0), (2, 3, 0), (1, 0, 1), (1, 0, 2), (0, 1, 0), (3, 3, 3)],
    ids=["tcp-exactly", "tcp-one-short", "udp-exactly", "udp-one-short", "none-left", "both-exactly"],
)
def test_dynamic_ports_at_the_edge_of_the_ephemeral_range(free: int, tcp: int, udp: int) -> None:
    pool = [_ephemeral_left(free)]
    request = make_task("default/t").dynamic_ports(tcp, udp).build()
    ports = next(c for c in DEFAULT_ENGINE.checks if c.name == "ports")
    assert isinstance(ports, BulkCheck)
    one, keep = ports.bind(request), ports.bind_keep(request)
    assert one is not None and keep is not None
    fits = tcp <= free and udp <= free
    assert (one(pool[0]) is None) is fits
    assert keep(pool) == (pool if fits else [])
