"""scheduleExpressionTimezone: wall-clock schedules across DST in Europe/Berlin and America/New_York.

2026: Berlin springs forward 02:00 → 03:00 on 29 March and falls back 03:00 → 02:00 on 25 October;
New York springs forward 02:00 → 03:00 on 8 March and falls back 02:00 → 01:00 on 1 November.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ecs_operator.schedules import ScheduleExpressionError, time_zone

from .builders import local, schedule, utc


@pytest.mark.parametrize(
    ("zone", "expression", "start", "end", "expected"),
    [
        pytest.param(
            "Europe/Berlin",
            "cron(30 2 * * ? *)",
            utc(2026, 3, 27),
            utc(2026, 3, 31),
            [utc(2026, 3, 27, 1, 30), utc(2026, 3, 28, 1, 30), utc(2026, 3, 30, 0, 30)],
            id="berlin-spring-forward-02:30-skipped",
        ),
        pytest.param(
            "America/New_York",
            "cron(30 2 * * ? *)",
            utc(2026, 3, 6),
            utc(2026, 3, 10),
            [utc(2026, 3, 6, 7, 30), utc(2026, 3, 7, 7, 30), utc(2026, 3, 9, 6, 30)],
            id="new-york-spring-forward-02:30-skipped",
        ),
        pytest.param(
            "Europe/Berlin",
            "cron(30 2 * * ? *)",
            utc(2026, 10, 24),
            utc(2026, 10, 27),
            [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)],
            id="berlin-fall-back-02:30-once-on-summer-time",
        ),
        pytest.param(
            "America/New_York",
            "cron(30 1 * * ? *)",
            utc(2026, 10, 31),
            utc(2026, 11, 3),
            [utc(2026, 10, 31, 5, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)],
            id="new-york-fall-back-01:30-once-on-summer-time",
        ),
        pytest.param(
            "Europe/Berlin",
            "cron(0/30 * * * ? *)",
            utc(2026, 3, 29, 0, 15),
            utc(2026, 3, 29, 2),
            [utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1), utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 2)],
            id="berlin-half-hourly-loses-02:00-and-02:30",
        ),
        pytest.param(
            "Europe/Berlin",
            "cron(0 10 * * ? *)",
            utc(2026, 3, 28),
            utc(2026, 3, 31),
            [utc(2026, 3, 28, 9), utc(2026, 3, 29, 8), utc(2026, 3, 30, 8)],
            id="berlin-10:00-keeps-local-time",
        ),
    ],
)
def test_dst(zone: str, expression: str, start: datetime, end: datetime, expected: list[datetime]) -> None:
    assert list(schedule(expression, zone).occurrences_between(start, end)) == expected


def test_fall_back_runs_each_wall_clock_time_once() -> None:
    every_quarter = schedule("cron(0/15 * * * ? *)", "America/New_York")
    fired = list(every_quarter.occurrences_between(utc(2026, 11, 1, 4), utc(2026, 11, 1, 8)))
    walls = [f"{o.astimezone(ZoneInfo('America/New_York')):%H:%M%z}" for o in fired]
    assert walls == [
        "00:15-0400", "00:30-0400", "00:45-0400",
        "01:00-0400", "01:15-0400", "01:30-0400", "01:45-0400",  # the repeated hour, once
        "02:00-0500", "02:15-0500", "02:30-0500", "02:45-0500", "03:00-0500",
    ]  # fmt: skip


def test_next_after_from_inside_the_repeated_hour_waits_for_new_wall_times() -> None:
    every_quarter = schedule("cron(0/15 * * * ? *)", "America/New_York")
    second_0110 = local("America/New_York", 2026, 11, 1, 1, 10, fold=1)
    assert every_quarter.next_after(second_0110) == local("America/New_York", 2026, 11, 1, 2)


def test_instants_in_other_zones_are_accepted_and_results_are_utc() -> None:
    daily = schedule("cron(0 10 * * ? *)", "Europe/Berlin")
    result = daily.next_after(local("Asia/Tokyo", 2026, 1, 1, 17, 59))
    assert result == utc(2026, 1, 1, 9)
    assert result is not None and result.tzinfo is not None and result.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        pytest.param(None, "UTC", id="default-utc"),
        pytest.param("", "UTC", id="empty-utc"),
        pytest.param("Europe/Berlin", "Europe/Berlin", id="berlin"),
        pytest.param("America/New_York", "America/New_York", id="new-york"),
    ],
)
def test_time_zone(zone: str | None, expected: str) -> None:
    assert time_zone(zone).key == expected
    assert ZoneInfo("Europe/Berlin").utcoffset(datetime(2026, 7, 1)) == timedelta(hours=2)  # tz data present


@pytest.mark.parametrize(
    "zone",
    [
        pytest.param("Europe/Berln", id="misspelt"),
        pytest.param("localtime", id="host-dependent"),
        pytest.param("../../etc/passwd", id="path"),
        pytest.param("/usr/share/zoneinfo/UTC", id="absolute-path"),
        pytest.param("Mars/Olympus", id="unknown"),
    ],
)
def test_unknown_time_zone_is_refused(zone: str) -> None:
    with pytest.raises(ScheduleExpressionError, match="not an IANA time zone name"):
        schedule("cron(0 10 * * ? *)", zone)


def test_naive_instants_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        schedule("cron(0 10 * * ? *)").next_after(datetime(2026, 1, 1))
