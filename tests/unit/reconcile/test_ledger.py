"""The two rules that make a task's placement happen once (`reconcile.ledger`), as tables."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_operator.placement import Claim, InstanceBuilder, TaskRequest, make_instance, make_task
from ecs_operator.reconcile.ledger import Taken, TaskView, Verdict, claims_of, placement_patch, refit, verdict

UID = "u-1"


def view(instance: str | None = None, stopped: bool = False, uid: str = UID) -> TaskView:
    return TaskView(uid=uid, instance=instance, stopped=stopped)


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        pytest.param(None, Verdict.GONE, id="task-deleted"),
        pytest.param(view(uid="u-2"), Verdict.GONE, id="name-reused-by-another-task"),
        pytest.param(view("c.a", stopped=True), Verdict.STOPPED, id="stopped-here"),
        pytest.param(view(None, stopped=True), Verdict.STOPPED, id="stopped-never-placed"),
        pytest.param(view("c.b"), Verdict.ELSEWHERE, id="placed-on-another-instance"),
        pytest.param(view("c.a"), Verdict.KEEP, id="placed-here"),
        pytest.param(view(None), Verdict.KEEP, id="in-flight-or-adoptable"),
    ],
)
def test_verdict_of_a_claim_on_instance_a(task: TaskView | None, expected: Verdict) -> None:
    assert verdict("c.a", UID, task) is expected


FIELDS = {"containerInstance": "c.a", "lastStatus": "PENDING", "desiredStatus": "RUNNING", "cpu": 256}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param({}, FIELDS, id="unplaced-writes-everything"),
        pytest.param(
            {"lastStatus": "PENDING", "desiredStatus": "RUNNING", "cpu": 256},
            {"containerInstance": "c.a"},
            id="only-the-diff",
        ),
        pytest.param({"containerInstance": "c.a"}, None, id="same-placement-nothing-to-write"),
        pytest.param(
            {"desiredStatus": "STOPPED"},
            {"containerInstance": "c.a", "lastStatus": "PENDING", "cpu": 256},
            id="a-stop-requested-meanwhile-stands",
        ),
        pytest.param({"containerInstance": "c.b"}, Taken("c.b", stopped=False), id="peer-placed-elsewhere"),
        pytest.param({"lastStatus": "STOPPED"}, Taken(None, stopped=True), id="stopped-before-placed"),
        pytest.param(
            {"lastStatus": "STOPPED", "containerInstance": "c.a"},
            Taken("c.a", stopped=True),
            id="stopped-here",
        ),
    ],
)
def test_placement_patch_never_moves_a_placement(status: dict[str, Any], expected: object) -> None:
    assert placement_patch(status, FIELDS) == expected


def inst(name: str, *uids: str) -> dict[str, Any]:
    return {"metadata": {"name": name}, "status": {"claims": [{"taskUid": u, "cpu": 1} for u in uids]}}


def test_claims_of_lists_every_claim_of_the_task_in_name_order() -> None:
    found = claims_of([inst("c.b", UID, "x"), inst("c.a", UID), inst("c.c", "y")], UID)
    assert [n for n, _ in found] == ["c.a", "c.b"]
    assert all(c["taskUid"] == UID for _, c in found)


def test_task_view_reads_placement_and_stop() -> None:
    task = {"metadata": {"uid": UID}, "status": {"containerInstance": "c.a", "lastStatus": "STOPPED"}}
    assert TaskView.of(task) == view("c.a", stopped=True)
    assert TaskView.of({"metadata": {"uid": UID}}) == view(None)


# ---- refit: which of a batch's claims still fit on a fresh copy of their instance (a 409) ----


def _claim(uid: str, cpu: int = 1024, ports: tuple[int, ...] = (), group: str = "family:web") -> Claim:
    return Claim(uid, f"team/{uid}", group, cpu, 256, ports)


def _request(uid: str, cpu: int = 1024, distinct: bool = False, port: int | None = None) -> TaskRequest:
    builder = make_task(f"team/{uid}").uid(uid).group("family:web").cpu(cpu).memory(256)
    if distinct:
        builder = builder.distinct_instance()
    if port is not None:
        builder = builder.dynamic_ports(1)
    return builder.build()


@pytest.mark.parametrize(
    ("fresh", "wanted", "kept", "refused"),
    [
        pytest.param(
            make_instance("c.a").cpu(4096),
            [(_request("a"), _claim("a")), (_request("b"), _claim("b"))],
            ["a", "b"],
            {},
            id="nothing-changed-that-matters",
        ),
        pytest.param(
            make_instance("c.a").cpu(4096).task("family:other", cpu=2048),
            [(_request("a"), _claim("a")), (_request("b"), _claim("b")), (_request("c"), _claim("c"))],
            ["a", "b"],
            {"c": "RESOURCE:CPU"},
            id="a-peer-took-room-the-later-claims-no-longer-fit",
        ),
        pytest.param(
            make_instance("c.a").cpu(4096).task("family:other", ports=(32768,)),
            [(_request("a", port=0), _claim("a", ports=(32768,))), (_request("b"), _claim("b"))],
            ["b"],
            {"a": "RESOURCE:PORTS"},
            id="a-peer-took-the-dynamic-port-the-plan-assigned",
        ),
        pytest.param(
            make_instance("c.a").cpu(4096).task("family:web", uid="peer"),
            [(_request("a", distinct=True), _claim("a")), (_request("b"), _claim("b"))],
            ["b"],
            {"a": "DistinctInstance placement constraint unsatisfied"},
            id="a-peer-placed-the-group-here-distinct-instance",
        ),
    ],
)
def test_refit_keeps_what_still_fits_in_plan_order(
    fresh: InstanceBuilder, wanted: list[tuple[TaskRequest, Claim]], kept: list[str], refused: dict[str, str]
) -> None:
    result = refit(fresh.build(), wanted)
    assert [c.task_uid for c in result.kept] == kept
    assert result.refused == refused
