"""plan_due: what to launch and what to skip when the handler wakes, on time or after an outage."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ecs_operator.schedules import EXPIRED_LISTED, DuePlan, Schedule, plan_due

from .builders import schedule, utc

QUARTERLY = schedule("cron(0/15 * * * ? *)")
T = utc(2026, 1, 1)  # midnight


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return T.replace(hour=hour, minute=minute, second=second)


@pytest.mark.parametrize(
    ("plan_for", "last_handled", "now", "max_age", "expected"),
    [
        pytest.param(
            schedule("rate(5 minutes)", anchor=at(10)),
            at(10),
            at(10, 5, 10),
            3600,
            DuePlan((at(10, 5),), (), False, at(10, 5, 10), at(10, 10)),
            id="on-time",
        ),
        pytest.param(
            QUARTERLY,
            at(9),
            at(10, 5),
            1800,
            DuePlan((at(9, 45), at(10)), (at(9, 15), at(9, 30)), False, at(10, 5), at(10, 15)),
            id="outage-launch-recent-skip-old",
        ),
        pytest.param(
            QUARTERLY,
            at(9),
            at(10),
            1800,
            DuePlan((at(9, 30), at(9, 45), at(10)), (at(9, 15),), False, at(10), at(10, 15)),
            id="exactly-max-age-still-launched",
        ),
        pytest.param(
            QUARTERLY,
            at(10),
            at(10),
            1800,
            DuePlan((), (), False, at(10), at(10, 15)),
            id="handled-never-repeated",
        ),
        pytest.param(
            QUARTERLY,
            at(10, 30),
            at(10),
            1800,
            DuePlan((), (), False, at(10, 30), at(10, 45)),
            id="clock-went-back-watermark-holds",
        ),
        pytest.param(
            schedule("cron(0/15 * * * ? *)", anchor=at(10, 7)),
            None,
            at(10, 20),
            86400,
            DuePlan((at(10, 15),), (), False, at(10, 20), at(10, 30)),
            id="never-handled-nothing-before-creation",
        ),
        pytest.param(
            schedule("cron(0/15 * * * ? *)", anchor=None),
            None,
            at(10, 20),
            600,
            DuePlan((at(10, 15),), (), False, at(10, 20), at(10, 30)),
            id="never-handled-no-creation-time",
        ),
        pytest.param(
            schedule("rate(1 hour)", anchor=at(10, 0, 30)),
            None,
            at(10, 0, 31),
            86400,
            DuePlan((at(10, 0, 30),), (), False, at(10, 0, 31), at(11, 0, 30)),
            id="rate-fires-at-creation",
        ),
        pytest.param(
            schedule("at(2026-01-01T10:00:00)", anchor=at(9)),
            None,
            at(10, 0, 20),
            3600,
            DuePlan((at(10),), (), False, at(10, 0, 20), None),
            id="at-launches-once",
        ),
        pytest.param(
            schedule("at(2026-01-01T10:00:00)", anchor=at(9)),
            at(10),
            at(11),
            3600,
            DuePlan((), (), False, at(11), None),
            id="at-done",
        ),
        pytest.param(
            schedule("cron(0/15 * * * ? *)", end=at(10, 1)),
            at(9),
            at(10, 30),
            86400,
            DuePlan((at(9, 15), at(9, 30), at(9, 45), at(10)), (), False, at(10, 30), None),
            id="end-date",
        ),
    ],
)
def test_plan_due(
    plan_for: Schedule, last_handled: datetime | None, now: datetime, max_age: int, expected: DuePlan
) -> None:
    assert plan_due(plan_for, last_handled, now, max_age) == expected


def test_a_long_outage_lists_only_the_oldest_expired_occurrences() -> None:
    every_minute = schedule("rate(1 minute)", anchor=T)
    plan = plan_due(every_minute, T, T + timedelta(days=1, seconds=30), 60)
    assert plan.launch == (T + timedelta(days=1),)
    assert plan.expired == tuple(T + timedelta(minutes=i) for i in range(1, EXPIRED_LISTED + 1))
    assert plan.expired_truncated
