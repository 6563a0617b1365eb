"""Placing N tasks one at a time: resources, ports and group counts update between tasks."""

from __future__ import annotations

import random

from ecs_operator.placement import (
    Claim,
    ClusterSnapshot,
    FailureReason,
    Placement,
    PlacementFailure,
    PlacementResult,
    Rejection,
    Verdict,
    check,
    make_cluster,
    make_instance,
    make_task,
    place,
)

PASS = 9


def claim(
    uid: str,
    *,
    task: str = "default/web",
    group: str = "service:web",
    cpu: int = 0,
    memory: int = 0,
    ports: tuple[int, ...] = (),
    ports_udp: tuple[int, ...] = (),
) -> Claim:
    return Claim(uid, task, group, cpu, memory, ports, ports_udp)


def test_binpack_fills_one_instance_before_the_next_and_recomputes_memory() -> None:
    cluster = make_cluster(
        make_instance("c.a").memory(2048),
        make_instance("c.b").memory(3072),
    )
    task = make_task("default/web").uid("u").service("web").memory(1024).strategy("binpack", "memory").build()
    result = place(cluster, task, 6, random.Random(0))
    expected_claims = [claim(f"u#{n}", memory=1024) for n in range(1, 6)]
    assert result.placements == (
        Placement("c.a", expected_claims[0]),
        Placement("c.a", expected_claims[1]),
        Placement("c.b", expected_claims[2]),
        Placement("c.b", expected_claims[3]),
        Placement("c.b", expected_claims[4]),
    )
    assert result.unplaced == 1
    assert result.snapshot.instance("c.a").remaining_memory == 0
    assert result.snapshot.instance("c.b").claims == tuple(expected_claims[2:])
    assert result.failure == PlacementFailure(
        "default/web",
        (
            Verdict("c.a", 5, Rejection(FailureReason.RESOURCE_MEMORY, "needs 1024 MiB, 0 MiB remaining")),
            Verdict("c.b", 5, Rejection(FailureReason.RESOURCE_MEMORY, "needs 1024 MiB, 0 MiB remaining")),
        ),
    )


def test_the_input_snapshot_is_never_changed() -> None:
    cluster = make_cluster(make_instance("c.a").memory(2048))
    before = cluster.instance("c.a")
    place(cluster, make_task("t").memory(1024).build(), 2, random.Random(0))
    assert cluster.instance("c.a") is before
    assert before.claims == ()


def test_spread_balances_zones_as_it_places() -> None:
    cluster = make_cluster(
        make_instance("c.a1").zone("zone-a"),
        make_instance("c.a2").zone("zone-a"),
        make_instance("c.b1").zone("zone-b"),
        make_instance("c.c1").zone("zone-c"),
    )
    task = make_task("w").service("web").strategy("spread", "attribute:ecs.availability-zone").build()
    result = place(cluster, task, 6, random.Random(5))
    zones = [str(result.snapshot.instance(p.instance).availability_zone) for p in result.placements]
    assert sorted(zones[:3]) == ["zone-a", "zone-b", "zone-c"]
    assert sorted(zones[3:]) == ["zone-a", "zone-b", "zone-c"]
    assert result.failure is None


def test_static_ports_block_the_second_task_on_the_same_instance() -> None:
    cluster = make_cluster(make_instance("c.a"), make_instance("c.b"))
    task = make_task("default/web").uid("u").service("web").port(8080).port_udp(53).build()
    result = place(cluster, task, 3, random.Random(0))
    assert sorted(p.instance for p in result.placements) == ["c.a", "c.b"]
    assert [p.claim.ports for p in result.placements] == [(8080,), (8080,)]
    assert [p.claim.ports_udp for p in result.placements] == [(53,), (53,)]
    assert result.failure is not None
    assert result.failure.verdicts == (
        Verdict("c.a", 6, Rejection(FailureReason.RESOURCE_PORTS, "TCP port 8080 in use")),
        Verdict("c.b", 6, Rejection(FailureReason.RESOURCE_PORTS, "TCP port 8080 in use")),
    )


def test_dynamic_ports_are_assigned_lowest_free_first_and_never_twice() -> None:
    cluster = make_cluster(make_instance("c.a").task("g", ports=(49153, 49155)))
    task = make_task("t").uid("u").port(49154).dynamic_ports(2, udp=1).build()
    result = place(cluster, task, 2, random.Random(0))
    assert result.placements == (
        Placement(
            "c.a", claim("u#1", task="t", group="family:t", ports=(49154, 49156, 49157), ports_udp=(49153,))
        ),
    )
    assert result.failure is not None  # the static port 49154 is now taken on the only instance
    assert result.failure.verdicts == (
        Verdict("c.a", 6, Rejection(FailureReason.RESOURCE_PORTS, "TCP port 49154 in use")),
    )


def test_dynamic_only_tasks_stack_on_one_instance_with_distinct_ports() -> None:
    cluster = make_cluster(make_instance("c.a"))
    result = place(cluster, make_task("t").uid("u").dynamic_ports(2).build(), 3, random.Random(0))
    assert [p.claim.ports for p in result.placements] == [(49153, 49154), (49155, 49156), (49157, 49158)]


def test_a_single_task_keeps_its_uid() -> None:
    cluster = make_cluster(make_instance("c.a"))
    task = make_task("default/web-7f3k").uid("0f1e").service("web").cpu(256).memory(512).build()
    result = place(cluster, task, 1, random.Random(0))
    placed = claim("0f1e", task="default/web-7f3k", cpu=256, memory=512)
    assert result == PlacementResult(1, (Placement("c.a", placed),), result.snapshot, None)
    assert placed.rekeyed("a-uid", "default/web-x") == claim(
        "a-uid", task="default/web-x", cpu=256, memory=512
    )
    assert placed.to_object() == {
        "taskUid": "0f1e",
        "task": "default/web-7f3k",
        "group": "service:web",
        "cpu": 256,
        "memory": 512,
        "ports": [],
        "portsUdp": [],
    }


def test_placing_nothing_on_an_empty_cluster_fails_with_no_instances() -> None:
    result = place(ClusterSnapshot(), make_task("t").build(), 2, random.Random(0))
    assert result == PlacementResult(2, (), ClusterSnapshot(), PlacementFailure("t", ()))


def test_count_zero_places_nothing() -> None:
    cluster = make_cluster(make_instance("c.a"))
    assert place(cluster, make_task("t").build(), 0, random.Random(0)).placements == ()


def test_check_one_named_instance_for_start_task() -> None:
    cluster = make_cluster(make_instance("c.a").memory(512), make_instance("c.b"))
    task = make_task("t").memory(1024).build()
    assert check(cluster, task, "c.a") == Verdict(
        "c.a", 5, Rejection(FailureReason.RESOURCE_MEMORY, "needs 1024 MiB, 512 MiB remaining")
    )
    assert check(cluster, task, "c.b") == Verdict("c.b", PASS)
