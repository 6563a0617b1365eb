"""Small builders shared by the schedule tests: instants and schedules in one line."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ecs_operator.schedules import Schedule

ANCHOR = datetime(2000, 1, 1, tzinfo=UTC)  # a creation time before every test's instants


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def local(
    zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0
) -> datetime:
    """A wall-clock time in `zone` (fold=1: the second of a repeated time)."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone), fold=fold)


def schedule(
    expression: str,
    zone: str = "UTC",
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    anchor: datetime | None = ANCHOR,
) -> Schedule:
    return Schedule.parse(expression, timezone=zone, start_date=start, end_date=end, anchor=anchor)
