"""Deleted task definition revisions: DELETE_IN_PROGRESS, what keeps one, numbers never reused."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_operator.reconcile.taskdefs import (
    NOT_SNAPSHOTTED,
    latest_deleted,
    next_revision,
    purgeable,
    references,
    snapshot_of,
    with_deregistrations,
)

NOW = "2026-05-01T10:00:00Z"


def revs(**statuses: str) -> list[dict[str, Any]]:
    """revs(r3="ACTIVE", r2="INACTIVE") → status.revisions, newest first as the operator writes them."""
    return [{"revision": int(k[1:]), "status": v} for k, v in statuses.items()]


@pytest.mark.parametrize(
    ("before", "deregistered", "deleted", "after"),
    [
        pytest.param(
            revs(r2="ACTIVE", r1="INACTIVE"), [], [1], ["ACTIVE", "DELETE_IN_PROGRESS"], id="inactive-deleted"
        ),
        pytest.param(revs(r2="ACTIVE", r1="ACTIVE"), [], [1], ["ACTIVE", "ACTIVE"], id="active-not-deleted"),
        pytest.param(
            revs(r2="ACTIVE", r1="ACTIVE"),
            [1],
            [1],
            ["ACTIVE", "DELETE_IN_PROGRESS"],
            id="deregistered-and-deleted",
        ),
        pytest.param(
            revs(r1="DELETE_IN_PROGRESS"), [1], [1], ["DELETE_IN_PROGRESS"], id="stays-delete-in-progress"
        ),
        pytest.param(
            revs(r2="INACTIVE", r1="INACTIVE"), [], [], ["INACTIVE", "INACTIVE"], id="nothing-deleted"
        ),
    ],
)
def test_with_deregistrations_marks_deleted_inactive_revisions(
    before: list[dict[str, Any]], deregistered: list[int], deleted: list[int], after: list[str]
) -> None:
    assert [r["status"] for r in with_deregistrations(before, deregistered, NOW, deleted)] == after


def test_next_revision_skips_purged_numbers() -> None:
    assert next_revision(revs(r2="ACTIVE"), [3]) == 4  # 3 was purged: never handed out again
    assert next_revision(revs(r2="ACTIVE"), [1]) == 3
    assert next_revision([], [5]) == 6
    assert next_revision([]) == 1


@pytest.mark.parametrize(
    ("revisions", "deleted", "expected"),
    [
        pytest.param(revs(r2="ACTIVE", r1="DELETE_IN_PROGRESS"), [1], False, id="older-deleted"),
        pytest.param(revs(r2="DELETE_IN_PROGRESS", r1="ACTIVE"), [2], True, id="latest-deleting"),
        pytest.param(revs(r2="INACTIVE"), [3], True, id="latest-purged"),
        pytest.param(revs(r2="INACTIVE"), [], False, id="latest-deregistered-only"),
        pytest.param([], [], False, id="new-family"),
    ],
)
def test_latest_deleted_asks_for_a_new_revision(
    revisions: list[dict[str, Any]], deleted: list[int], expected: bool
) -> None:
    assert latest_deleted(revisions, deleted) is expected


def test_reregistrations_are_not_part_of_a_revision() -> None:
    assert snapshot_of({"family": "web", "reregistrations": 2}) == {"family": "web"}


def test_deleted_revisions_are_not_part_of_a_revision() -> None:
    assert "deletedRevisions" in NOT_SNAPSHOTTED
    assert snapshot_of({"cpu": "256", "deletedRevisions": [1], "deregisteredRevisions": [1]}) == {
        "cpu": "256"
    }


def task(ref: str | None, last: str = "RUNNING", spec_ref: str = "web") -> dict[str, Any]:
    status: dict[str, Any] = {"lastStatus": last}
    if ref:
        status["taskDefinition"] = ref
    return {"spec": {"taskDefinition": spec_ref}, "status": status}


def service(spec_ref: str, deployments: tuple[str, ...] = (), completed: str | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {"deployments": [{"taskDefinition": d} for d in deployments]}
    if completed:
        status["scheduler"] = {"lastCompleted": {"taskDefinition": completed}}
    return {"spec": {"taskDefinition": spec_ref}, "status": status}


@pytest.mark.parametrize(
    ("tasks", "services", "expected"),
    [
        pytest.param([task("web:1")], [], {"web:1"}, id="running-task"),
        pytest.param([task("web:1", last="STOPPED")], [], set(), id="stopped-task-releases"),
        pytest.param(
            [task(None, last="PROVISIONING", spec_ref="web:4")], [], {"web:4"}, id="unlaunched-task-spec"
        ),
        pytest.param([task(None, last="PROVISIONING")], [], set(), id="family-only-spec"),
        pytest.param([], [service("web", ("web:3", "web:2"))], {"web:3", "web:2"}, id="deployments"),
        pytest.param([], [service("web:5")], {"web:5"}, id="service-spec-revision"),
        pytest.param([], [service("web", (), completed="web:1")], {"web:1"}, id="rollback-target"),
    ],
)
def test_references(tasks: list[dict[str, Any]], services: list[dict[str, Any]], expected: set[str]) -> None:
    assert references(tasks, services) == expected


def test_purgeable_is_the_unused_delete_in_progress_revisions() -> None:
    revisions = revs(r4="ACTIVE", r3="DELETE_IN_PROGRESS", r2="DELETE_IN_PROGRESS", r1="INACTIVE")
    assert purgeable("web", revisions, {"web:2", "api:3"}) == [3]
    assert purgeable("web", revisions, set()) == [2, 3]
    assert purgeable("web", revisions, {"web:2", "web:3"}) == []
