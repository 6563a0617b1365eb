"""Spot interruption (issue 14, item 3): the notice at once, the stop at the deadline (pure plan)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ecs_operator.reconcile.instances import node_retiring
from ecs_operator.reconcile.retirement import (
    MAINTENANCE_REASON,
    SPOT_REASON,
    Platform,
    TaskView,
    format_date,
    plan_retirement,
)

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
DEADLINE = NOW + timedelta(minutes=2)
TASK = TaskView(name="t", namespace="ns", uid="u", node="spot-1", launched=True)
SERVICE_TASK = replace(TASK, name="s", uid="s", service="web")


@pytest.mark.parametrize("task", [TASK, SERVICE_TASK], ids=["standalone", "service"])
def test_the_notice_comes_at_once_and_the_stop_at_the_deadline(task: TaskView) -> None:
    ahead = plan_retirement([task], {}, Platform(), NOW, {"spot-1": DEADLINE})
    assert [(n.task.name, n.date, n.first, n.spot) for n in ahead.notices] == [
        (task.name, DEADLINE, True, True)
    ]
    assert ahead.stops == []
    noticed = replace(task, retirement_date=format_date(DEADLINE))
    assert plan_retirement([noticed], {}, Platform(), NOW, {"spot-1": DEADLINE}).notices == []  # once
    due = plan_retirement([noticed], {}, Platform(), DEADLINE, {"spot-1": DEADLINE})
    [stop] = due.stops
    assert (stop.task.name, stop.spot, stop.stop_code, stop.reason) == (
        task.name,
        True,
        "SpotInterruption",
        "Your Spot Task was interrupted.",
    )


def test_an_interruption_wins_over_a_later_retirement_of_the_same_node() -> None:
    plan = plan_retirement(
        [replace(TASK, retirement_date=format_date(DEADLINE))],
        {"spot-1": NOW + timedelta(days=3)},
        Platform(),
        DEADLINE + timedelta(seconds=1),
        {"spot-1": DEADLINE},
    )
    assert [(s.stop_code, s.reason) for s in plan.stops] == [("SpotInterruption", SPOT_REASON)]


def test_tasks_elsewhere_and_stopped_tasks_are_left_alone() -> None:
    elsewhere = replace(TASK, node="ondemand-1")
    unwanted = replace(TASK, name="x", uid="x", wanted=False)
    plan = plan_retirement([elsewhere, unwanted], {}, Platform(), DEADLINE, {"spot-1": DEADLINE})
    assert (plan.notices, plan.stops, plan.cancels) == ([], [], [])


def test_a_retirement_stop_keeps_its_code_and_reason() -> None:
    [stop] = plan_retirement([TASK], {"spot-1": NOW}, Platform(), NOW).stops
    assert (stop.spot, stop.stop_code, stop.reason) == (
        False,
        "ServiceSchedulerInitiated",
        MAINTENANCE_REASON,
    )


@pytest.mark.parametrize(
    ("annotations", "expected"),
    [
        ({"ecs-operator.dev/spot-interruption": "2026-11-27T10:02:00Z"}, True),
        ({"ecs-operator.dev/retirement-date": "2026-12-01T00:00:00Z"}, True),
        ({}, False),
    ],
    ids=["spot", "retirement", "none"],
)
def test_an_interrupted_node_drains_its_instances(annotations: dict[str, str], expected: bool) -> None:
    assert node_retiring({"metadata": {"annotations": annotations}}) is expected
