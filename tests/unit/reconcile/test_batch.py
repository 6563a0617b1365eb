"""A batch of waiting tasks planned together on one snapshot (`reconcile.batch`), as tables."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from ecs_operator.placement import (
    Claim,
    ClusterSnapshot,
    TaskRequest,
    make_cluster,
    make_instance,
    make_task,
    place,
)
from ecs_operator.reconcile.batch import Unplaced, Want, groups, plan_batch

GROUP = "service:web"


def three_zones(cpu: int = 4096) -> ClusterSnapshot:
    return make_cluster(
        *(
            make_instance(f"c.{n}").zone(z).cpu(cpu)
            for n, z in (("a1", "a"), ("a2", "a"), ("b1", "b"), ("c1", "c"))
        )
    )


def task(uid: str, cpu: int = 256, group: str = GROUP) -> TaskRequest:
    return (
        make_task(f"team/{uid}")
        .uid(uid)
        .group(group)
        .cpu(cpu)
        .memory(128)
        .strategy("spread", "attribute:ecs.availability-zone")
        .build()
    )


def zones(plan_placements: dict[str, tuple[str, object]], snapshot: ClusterSnapshot) -> Counter[str | None]:
    return Counter(snapshot.instance(name).availability_zone for name, _ in plan_placements.values())


def test_equal_requests_are_one_group_in_arrival_order_and_a_start_task_is_alone() -> None:
    wants = [
        Want(task("t1")),
        Want(task("t2", cpu=512)),
        Want(task("t3")),
        Want(task("t4"), target="c.a1"),
        Want(task("t5"), allowed=frozenset({"c.a1"})),
        Want(task("t6")),
    ]
    assert [[w.uid for w in g] for g in groups(wants)] == [["t1", "t3", "t6"], ["t2"], ["t4"], ["t5"]]


def test_a_burst_spreads_as_one_run_task_with_a_count_would() -> None:
    snapshot = three_zones()
    wants = [Want(task(f"t{n}")) for n in range(6)]
    plan = plan_batch(snapshot, wants)
    assert not plan.unplaced
    assert zones(plan.placements, snapshot) == {"a": 2, "b": 2, "c": 2}
    # The same instances, in the same order, as ECS's RunTask with count=6 seeded by the first task.
    reference = place(snapshot, task("t0"), 6, random.Random("t0"))
    assert [plan.placements[w.uid][0] for w in wants] == [p.instance for p in reference.placements]
    # Each claim carries its own task's identity.
    assert {uid: claim.task_uid for uid, (_, claim) in plan.placements.items()} == {
        w.uid: w.uid for w in wants
    }
    assert sum(len(i.claims) for i in plan.snapshot) == 6


def test_a_later_group_sees_the_claims_of_the_earlier_ones() -> None:
    snapshot = make_cluster(make_instance("c.a").cpu(1024), make_instance("c.b").cpu(1024))
    wants = [
        Want(task("big1", cpu=1024)),
        Want(task("small", cpu=512, group="family:x")),
        Want(task("big2", cpu=1024)),
    ]
    plan = plan_batch(snapshot, wants)
    # big1 and big2 are one group (placed first, one per instance); nothing is left for `small`.
    assert {plan.placements[u][0] for u in ("big1", "big2")} == {"c.a", "c.b"}
    assert plan.unplaced == {
        "small": Unplaced("TaskFailedToStart: RESOURCE:CPU", plan.unplaced["small"].failures)
    }
    assert plan.unplaced["small"].failures[0]["reason"] == "RESOURCE:CPU"


def test_the_tasks_of_a_group_that_do_not_fit_fail_and_the_first_ones_are_placed() -> None:
    snapshot = make_cluster(make_instance("c.a").cpu(1024))
    plan = plan_batch(snapshot, [Want(task(f"t{n}", cpu=512)) for n in range(3)])
    assert [plan.placements[u][0] for u in ("t0", "t1")] == ["c.a", "c.a"]
    assert list(plan.unplaced) == ["t2"]
    assert plan.unplaced["t2"].reason == "TaskFailedToStart: RESOURCE:CPU"


@pytest.mark.parametrize(
    ("target", "cpu", "placed", "reason"),
    [
        pytest.param("c.b1", 256, "c.b1", None, id="start-task-on-its-instance"),
        pytest.param("c.zz", 256, None, "TaskFailedToStart: MISSING", id="missing-instance"),
        pytest.param("c.b1", 8192, None, "TaskFailedToStart: RESOURCE:CPU", id="does-not-fit-there"),
    ],
)
def test_a_start_task_goes_to_its_instance_or_fails_with_the_reason(
    target: str, cpu: int, placed: str | None, reason: str | None
) -> None:
    plan = plan_batch(three_zones(), [Want(task("t", cpu=cpu), target=target)])
    assert (
        plan.placements.get("t", (None,))[0],
        plan.unplaced["t"].reason if "t" in plan.unplaced else None,
    ) == (
        placed,
        reason,
    )


def test_a_capacity_provider_narrows_the_instances_and_the_reservation_applies_per_group() -> None:
    seen: list[tuple[str, tuple[str, ...]]] = []

    def reserve(view: ClusterSnapshot, group: str) -> ClusterSnapshot:
        seen.append((group, tuple(i.name for i in view)))
        return view

    wants = [Want(task("t1"), allowed=frozenset({"c.b1", "c.c1"})), Want(task("t2", group="family:x"))]
    plan = plan_batch(three_zones(), wants, reserve)
    assert plan.placements["t1"][0] in ("c.b1", "c.c1")
    assert seen == [(GROUP, ("c.b1", "c.c1")), ("family:x", ("c.a1", "c.a2", "c.b1", "c.c1"))]


def test_a_reservation_holds_room_back_but_is_not_carried_as_a_claim() -> None:
    snapshot = make_cluster(make_instance("c.a").cpu(1024))

    def reserve(view: ClusterSnapshot, group: str) -> ClusterSnapshot:
        inst = view.instance("c.a")
        return view.with_instance(inst.with_claim(Claim("r", "r", "reserved", 512, 0)))

    plan = plan_batch(snapshot, [Want(task(f"t{n}", cpu=512)) for n in range(2)], reserve)
    assert list(plan.placements) == ["t0"] and list(plan.unplaced) == ["t1"]
    assert [c.task_uid for c in plan.snapshot.instance("c.a").claims] == ["t0"]
