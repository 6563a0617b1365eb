"""The two rules that make a task's placement happen once (`reconcile.ledger`), as tables."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_operator.reconcile.ledger import Taken, TaskView, Verdict, claims_of, placement_patch, verdict

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
