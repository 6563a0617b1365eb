"""rate() and at(), and the startDate / endDate / creation-time bounds of every kind."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ecs_operator.schedules import (
    AtExpression,
    RateExpression,
    Schedule,
    ScheduleExpressionError,
    parse_expression,
)

from .builders import local, schedule, utc


@pytest.mark.parametrize(
    ("expression", "interval"),
    [
        pytest.param("rate(1 minute)", timedelta(minutes=1), id="1-minute"),
        pytest.param("rate(5 minutes)", timedelta(minutes=5), id="5-minutes"),
        pytest.param("rate(1 hour)", timedelta(hours=1), id="1-hour"),
        pytest.param("rate(12 hours)", timedelta(hours=12), id="12-hours"),
        pytest.param("rate(1 day)", timedelta(days=1), id="1-day"),
        pytest.param("rate(7 days)", timedelta(days=7), id="7-days"),
        pytest.param("rate( 10   minutes )", timedelta(minutes=10), id="extra-spaces"),
        pytest.param("rate(999999999 days)", timedelta(days=999999999), id="largest"),
    ],
)
def test_rate_parses(expression: str, interval: timedelta) -> None:
    assert parse_expression(expression) == RateExpression(expression, interval)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        pytest.param(
            "rate(5 hour)", "rate(5 hour): use 'hours' when the value is not 1 (column 7)", id="plural-needed"
        ),
        pytest.param(
            "rate(1 hours)", "rate(1 hours): use 'hour' when the value is 1 (column 7)", id="singular-needed"
        ),
        pytest.param(
            "rate(1 minutes)", "rate(1 minutes): use 'minute' when the value is 1 (column 7)", id="1-minutes"
        ),
        pytest.param("rate(2 day)", "rate(2 day): use 'days' when the value is not 1 (column 7)", id="2-day"),
        pytest.param(
            "rate(0 minutes)", "rate(0 minutes): the rate value must be 1–999999999 (column 5)", id="zero"
        ),
        pytest.param(
            "rate(1000000000 days)",
            "rate(1000000000 days): the rate value must be 1–999999999 (column 5)",
            id="huge",
        ),
        pytest.param(
            "rate(-1 minutes)",
            "rate(-1 minutes): rate() needs a whole number, e.g. rate(5 minutes) (column 5)",
            id="neg",
        ),
        pytest.param(
            "rate(1.5 hours)",
            "rate(1.5 hours): expected a space, then minutes, hours or days (column 6)",
            id="decimal",
        ),
        pytest.param(
            "rate(5 weeks)",
            "rate(5 weeks): the unit must be minute, minutes, hour, hours, day or days (column 7)",
            id="weeks",
        ),
        pytest.param(
            "rate(5 Minutes)",
            "rate(5 Minutes): the unit must be minute, minutes, hour, hours, day or days (column 7)",
            id="capitalised-unit",
        ),
        pytest.param(
            "rate(5)", "rate(5): expected a space, then minutes, hours or days (column 6)", id="no-unit"
        ),
        pytest.param("rate(5 minutes", "rate(5 minutes: expected ) (column 14)", id="unclosed"),
        pytest.param(
            "rate(5 minutes)x", "rate(5 minutes)x: unexpected text after ) (column 15)", id="trailing"
        ),
    ],
)
def test_rate_errors(expression: str, message: str) -> None:
    with pytest.raises(ScheduleExpressionError) as caught:
        parse_expression(expression)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("expression", "start", "anchor", "after", "expected"),
    [
        pytest.param(
            "rate(5 minutes)",
            utc(2026, 1, 1, 0, 2),
            None,
            utc(2026, 1, 1),
            utc(2026, 1, 1, 0, 2),
            id="first-at-start",
        ),
        pytest.param(
            "rate(5 minutes)",
            utc(2026, 1, 1, 0, 2),
            None,
            utc(2026, 1, 1, 0, 2),
            utc(2026, 1, 1, 0, 7),
            id="phase-of-start",
        ),
        pytest.param(
            "rate(5 minutes)",
            utc(2026, 1, 1, 0, 2),
            None,
            utc(2026, 1, 1, 0, 10),
            utc(2026, 1, 1, 0, 12),
            id="between",
        ),
        pytest.param(
            "rate(5 minutes)",
            None,
            utc(2026, 1, 1, 10, 0, 30),
            utc(2026, 1, 1),
            utc(2026, 1, 1, 10, 0, 30),
            id="anchor-now",
        ),
        pytest.param(
            "rate(5 minutes)",
            None,
            utc(2026, 1, 1, 10, 0, 30),
            utc(2026, 1, 1, 10, 3),
            utc(2026, 1, 1, 10, 5, 30),
            id="anchor-keeps-seconds",
        ),
        pytest.param(
            "rate(1 hour)",
            utc(2026, 1, 1),
            utc(2026, 1, 1, 0, 20),
            utc(2026, 1, 1),
            utc(2026, 1, 1, 1),
            id="start-sets-phase-creation-bounds",
        ),
        pytest.param(
            "rate(1 day)",
            utc(2026, 3, 28, 9),
            None,
            utc(2026, 3, 28, 9),
            utc(2026, 3, 29, 9),
            id="day-is-24-hours-over-dst",
        ),
    ],
)
def test_rate_next_after(
    expression: str, start: datetime | None, anchor: datetime | None, after: datetime, expected: datetime
) -> None:
    assert schedule(expression, "Europe/Berlin", start=start, anchor=anchor).next_after(after) == expected


def test_rate_needs_a_start_or_an_anchor() -> None:
    with pytest.raises(ValueError, match="needs start_date or anchor"):
        Schedule.parse("rate(5 minutes)")


def test_at_fires_once_in_its_time_zone() -> None:
    once = schedule("at(2026-12-01T10:00:00)", "Europe/Berlin")
    assert parse_expression("at(2026-12-01T10:00:00)") == AtExpression(
        "at(2026-12-01T10:00:00)", datetime(2026, 12, 1, 10)
    )
    assert once.is_one_time
    assert list(once.occurrences_between(utc(2026, 1, 1), utc(2027, 1, 1))) == [utc(2026, 12, 1, 9)]
    assert once.next_after(utc(2026, 12, 1, 9)) is None


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        pytest.param("at(2026-03-29T02:30:00)", [], id="spring-forward-gap-skipped"),
        pytest.param("at(2026-10-25T02:30:00)", [utc(2026, 10, 25, 0, 30)], id="fall-back-first-occurrence"),
        pytest.param("at(2024-02-29T23:59:59)", [utc(2024, 2, 29, 22, 59, 59)], id="leap-day-with-seconds"),
    ],
)
def test_at_across_dst(expression: str, expected: list[datetime]) -> None:
    once = schedule(expression, "Europe/Berlin")
    assert list(once.occurrences_between(utc(2024, 1, 1), utc(2027, 1, 1))) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        pytest.param("at(2026-13-01T10:00:00)", "the month must be 1–12 (column 8)", id="month-13"),
        pytest.param("at(2026-02-30T10:00:00)", "no such day in that month (column 11)", id="february-30"),
        pytest.param(
            "at(2025-02-29T10:00:00)", "no such day in that month (column 11)", id="february-29-common-year"
        ),
        pytest.param("at(2026-01-01T24:00:00)", "the hour must be 0–23 (column 14)", id="hour-24"),
        pytest.param("at(2026-01-01T10:60:00)", "the minute must be 0–59 (column 17)", id="minute-60"),
        pytest.param("at(2026-01-01T10:00:60)", "the second must be 0–59 (column 20)", id="second-60"),
        pytest.param("at(2200-01-01T10:00:00)", "the year must be 1970–2199 (column 3)", id="year-2200"),
        pytest.param(
            "at(2026-01-01 10:00:00)",
            "expected at(yyyy-mm-ddThh:mm:ss), e.g. at(2026-12-01T10:00:00) (column 13)",
            id="space-instead-of-T",
        ),
        pytest.param(
            "at(2026-1-01T10:00:00)",
            "expected at(yyyy-mm-ddThh:mm:ss), e.g. at(2026-12-01T10:00:00) (column 9)",
            id="one-digit-month",
        ),
        pytest.param(
            "at(2026-01-01T10:00)",
            "expected at(yyyy-mm-ddThh:mm:ss), e.g. at(2026-12-01T10:00:00) (column 19)",
            id="no-seconds",
        ),
        pytest.param("at(2026-01-01T10:00:00) ", "unexpected text after ) (column 23)", id="trailing-space"),
    ],
)
def test_at_errors(expression: str, message: str) -> None:
    with pytest.raises(ScheduleExpressionError) as caught:
        parse_expression(expression)
    assert str(caught.value) == f"{expression}: {message}"


@pytest.mark.parametrize(
    ("expression", "start", "end", "anchor", "expected"),
    [
        pytest.param(
            "cron(0 10 * * ? *)",
            None,
            utc(2026, 1, 3, 10),
            None,
            [utc(2026, 1, 1, 10), utc(2026, 1, 2, 10)],
            id="end-date-excluded",
        ),
        pytest.param(
            "cron(0 10 * * ? *)",
            utc(2026, 1, 2, 10),
            None,
            None,
            [utc(2026, 1, 2, 10), utc(2026, 1, 3, 10)],
            id="start-date-included",
        ),
        pytest.param(
            "cron(0 10 * * ? *)",
            None,
            None,
            utc(2026, 1, 2, 9),
            [utc(2026, 1, 2, 10), utc(2026, 1, 3, 10)],
            id="nothing-before-creation",
        ),
        pytest.param(
            "rate(1 day)",
            utc(2026, 1, 1, 12),
            utc(2026, 1, 3, 12),
            None,
            [utc(2026, 1, 1, 12), utc(2026, 1, 2, 12)],
            id="rate-between-start-and-end",
        ),
        pytest.param(
            "at(2026-01-02T10:00:00)",
            None,
            utc(2026, 1, 2, 10),
            None,
            [],
            id="at-after-end-never-fires",
        ),
    ],
)
def test_bounds(
    expression: str,
    start: datetime | None,
    end: datetime | None,
    anchor: datetime | None,
    expected: list[datetime],
) -> None:
    bounded = Schedule.parse(expression, start_date=start, end_date=end, anchor=anchor)
    assert list(bounded.occurrences_between(utc(2026, 1, 1), utc(2026, 1, 3, 23))) == expected


def test_nothing_after_end_date() -> None:
    bounded = schedule("cron(0 10 * * ? *)", end=utc(2026, 1, 3, 10))
    assert bounded.next_after(utc(2026, 1, 2, 10)) is None
    assert bounded.next_after(utc(2030, 1, 1)) is None


def test_end_date_must_follow_start_date() -> None:
    with pytest.raises(ScheduleExpressionError, match="endDate must be after startDate"):
        schedule("cron(0 10 * * ? *)", start=utc(2026, 1, 2), end=utc(2026, 1, 2))


def test_start_and_end_dates_in_other_zones_are_normalised_to_utc() -> None:
    bounded = schedule("rate(1 hour)", start=local("Europe/Berlin", 2026, 1, 1, 1), anchor=None)
    assert bounded.start_date == utc(2026, 1, 1)
    assert bounded.next_after(utc(2025, 12, 31)) == utc(2026, 1, 1)
