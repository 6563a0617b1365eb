"""Task retirement and Fargate task recycling (pure plan, injected clock)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ecs_operator.reconcile.retirement import (
    MAINTENANCE_REASON,
    Platform,
    TaskView,
    format_date,
    parse_date,
    plan_retirement,
)

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=3)
TASK = TaskView(
    name="t",
    namespace="ns",
    uid="u",
    launch_type="FARGATE",
    node="fargate-a",
    launched=True,
    platform_revision="r1",
)
SERVICE_TASK = replace(TASK, name="s", uid="s", service="web")


def test_maintenance_reason_is_ecs_wording() -> None:
    assert (
        MAINTENANCE_REASON
        == "ECS is performing maintenance on the underlying infrastructure hosting the task"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2026-12-01T10:00:00Z", datetime(2026, 12, 1, 10, tzinfo=UTC), id="zulu"),
        pytest.param("2026-12-01T11:00:00+01:00", datetime(2026, 12, 1, 10, tzinfo=UTC), id="offset"),
        pytest.param("2026-12-01T10:00:00", None, id="no-zone"),
        pytest.param("next tuesday", None, id="malformed"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_parse_date(text: str | None, expected: datetime | None) -> None:
    assert parse_date(text) == expected


def test_node_retirement_notices_ahead_and_stops_at_the_date() -> None:
    ahead = plan_retirement([TASK], {"fargate-a": LATER}, Platform("r1"), NOW)
    assert [(n.task.name, n.date, n.first) for n in ahead.notices] == [("t", LATER, True)]
    assert "its node fargate-a is being retired" in ahead.notices[0].cause
    assert not ahead.stops
    noticed = replace(TASK, retirement_date=format_date(LATER))
    assert plan_retirement([noticed], {"fargate-a": LATER}, Platform("r1"), NOW).notices == []  # once
    at_date = plan_retirement([noticed], {"fargate-a": LATER}, Platform("r1"), LATER)
    assert [s.task.name for s in at_date.stops] == ["t"]


def test_node_retirement_stops_service_tasks_left_at_the_date() -> None:
    noticed = replace(SERVICE_TASK, retirement_date=format_date(LATER))
    plan = plan_retirement([noticed], {"fargate-a": LATER}, Platform("r1"), LATER + timedelta(seconds=1))
    assert [s.task.name for s in plan.stops] == ["s"]


def test_moved_node_date_is_followed_and_removed_date_cancels() -> None:
    noticed = replace(TASK, retirement_date=format_date(LATER))
    moved = plan_retirement([noticed], {"fargate-a": LATER + timedelta(days=1)}, Platform("r1"), NOW)
    assert [(n.date, n.first) for n in moved.notices] == [(LATER + timedelta(days=1), False)]
    cancelled = plan_retirement([noticed], {}, Platform("r1"), NOW)
    assert cancelled.cancels == [noticed] and not cancelled.stops


@pytest.mark.parametrize("days", [0, 7, 14])
def test_platform_change_retires_after_the_wait_period(days: int) -> None:
    plan = plan_retirement([TASK], {}, Platform("r2", days), NOW)
    assert [n.date for n in plan.notices] == [NOW + timedelta(days=days)]
    assert "r1 is retired" in plan.notices[0].cause and "r2" in plan.notices[0].cause
    assert [s.task.name for s in plan.stops] == (["t"] if days == 0 else [])
    # the date is remembered on the task: a later pass keeps it and stops at it
    noticed = replace(TASK, retirement_date=format_date(NOW + timedelta(days=days)))
    later = plan_retirement([noticed], {}, Platform("r2", days), NOW + timedelta(days=days))
    assert later.notices == [] and [s.task.name for s in later.stops] == ["t"]


def test_platform_change_leaves_service_tasks_to_their_service() -> None:
    plan = plan_retirement([SERVICE_TASK], {}, Platform("r2", 0), NOW)
    assert [n.task.name for n in plan.notices] == ["s"]  # noticed: the service replaces it, start first
    assert plan.stops == []


@pytest.mark.parametrize(
    "task",
    [
        pytest.param(replace(TASK, platform_revision="r2"), id="current-revision"),
        pytest.param(replace(TASK, launch_type="EC2", platform_revision=None), id="ec2-task"),
        pytest.param(replace(TASK, launched=False, platform_revision=None), id="still-launching"),
        pytest.param(replace(TASK, wanted=False), id="already-stopping"),
        pytest.param(replace(TASK, node=None), id="not-placed"),
    ],
)
def test_tasks_not_retired_by_a_platform_change(task: TaskView) -> None:
    plan = plan_retirement([task], {}, Platform("r2", 0), NOW)
    assert (plan.notices, plan.stops, plan.cancels) == ([], [], [])


def test_task_launched_before_the_cluster_named_a_revision_is_on_an_old_one() -> None:
    plan = plan_retirement([replace(TASK, platform_revision=None)], {}, Platform("r1", 7), NOW)
    assert "(unnamed) is retired" in plan.notices[0].cause


def test_revision_set_back_cancels_the_retirement() -> None:
    noticed = replace(TASK, retirement_date=format_date(LATER))
    assert plan_retirement([noticed], {}, Platform("r1", 7), NOW).cancels == [noticed]


def test_earliest_cause_wins() -> None:
    plan = plan_retirement([TASK], {"fargate-a": LATER}, Platform("r2", 0), NOW)
    assert [n.date for n in plan.notices] == [NOW]
    assert " and " in plan.notices[0].cause
