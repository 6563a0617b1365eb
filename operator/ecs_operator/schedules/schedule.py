"""A schedule: an expression placed in a time zone, between optional bounds; when it fires next.

Instants in and out are timezone-aware datetimes; results are always in UTC. Nothing here reads
the clock: callers pass `now` (or any instant), so every answer is reproducible.

Wall-clock time → instant (cron and at), in `scheduleExpressionTimezone` (IANA, default UTC):

- A local time that does not exist, because clocks spring forward, is skipped: `cron(30 2 * * ? *)`
  in Europe/Berlin does not fire on the last Sunday of March (AWS documents this).
- A local time that happens twice, because clocks fall back, fires once, at its first occurrence
  (`fold=0`, still on summer time). The walk is over wall-clock times and each maps to one
  instant, so a repeated hour cannot run twice.

`rate()` is elapsed time and ignores the zone: occurrences are `phase + k × interval`, k ≥ 0,
where the phase is `startDate`, or without one the anchor the caller passes (the schedule's
creation time). So `rate(1 day)` keeps 24-hour steps across DST changes, as AWS documents.

Bounds: an occurrence is never before `startDate`, never before the anchor (a schedule has no
occurrences before it existed), and always before `endDate` (`[start, end)`: EndDate is "the
date before which the schedule can invoke its target").
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .cron import CronExpression
from .errors import ScheduleExpressionError
from .expressions import AtExpression, Expression, RateExpression, parse_expression

_TICK = timedelta(microseconds=1)  # the resolution of datetime: `> t - _TICK` is `>= t`
# Files in the zoneinfo directories that are not IANA zone names; "localtime" would make the
# schedule depend on the host it runs on.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@functools.lru_cache(maxsize=512)
def time_zone(name: str | None) -> ZoneInfo:
    """The IANA zone `name` (None or "" = UTC); `ScheduleExpressionError` for an unknown name."""
    if not name:
        return ZoneInfo("UTC")
    try:
        if name in _NOT_ZONES:
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ScheduleExpressionError(
            f"scheduleExpressionTimezone {name!r}", "not an IANA time zone name, e.g. Europe/Berlin"
        ) from None


def to_utc(instant: datetime, what: str = "instant") -> datetime:
    """`instant` in UTC; a naive datetime is a programming error, not user input."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {instant!r}")
    return instant.astimezone(UTC)


@dataclass(frozen=True)
class Schedule:
    """One ScheduledTask's timing. Build it with `Schedule.parse`."""

    expression: Expression
    time_zone: ZoneInfo
    start_date: datetime | None = None  # UTC
    end_date: datetime | None = None  # UTC
    anchor: datetime | None = None  # UTC; the creation time

    @classmethod
    def parse(
        cls,
        expression: str,
        *,
        timezone: str | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        anchor: datetime | None = None,
    ) -> Schedule:
        """Validate a spec's schedule fields. `anchor` is required for `rate()` without a start date."""
        parsed = parse_expression(expression)
        start = to_utc(start_date, "start_date") if start_date is not None else None
        end = to_utc(end_date, "end_date") if end_date is not None else None
        if start is not None and end is not None and end <= start:
            raise ScheduleExpressionError(expression, "endDate must be after startDate")
        if isinstance(parsed, RateExpression) and start is None and anchor is None:
            raise ValueError("a rate() schedule needs start_date or anchor (the creation time)")
        created = to_utc(anchor, "anchor") if anchor is not None else None
        return cls(parsed, time_zone(timezone), start, end, created)

    @property
    def is_one_time(self) -> bool:
        return isinstance(self.expression, AtExpression)

    @property
    def not_before(self) -> datetime | None:
        """The earliest instant an occurrence may have: the later of startDate and the anchor."""
        bounds = [b for b in (self.start_date, self.anchor) if b is not None]
        return max(bounds) if bounds else None

    def next_after(self, instant: datetime) -> datetime | None:
        """The first occurrence strictly after `instant`, in UTC; None when there is none."""
        lower = to_utc(instant)
        if self.end_date is not None and lower >= self.end_date:
            return None
        not_before = self.not_before
        if not_before is not None and not_before - _TICK > lower:
            lower = not_before - _TICK
        occurrence = self._first_after(lower)
        if occurrence is None or (self.end_date is not None and occurrence >= self.end_date):
            return None
        return occurrence

    def occurrences_between(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """The occurrences in `(start, end]`, oldest first, lazily (for missed runs)."""
        cursor, end = to_utc(start, "start"), to_utc(end, "end")
        while (occurrence := self.next_after(cursor)) is not None and occurrence <= end:
            yield occurrence
            cursor = occurrence

    # -- per kind -------------------------------------------------------------------------------

    def _first_after(self, lower: datetime) -> datetime | None:
        expression = self.expression
        if isinstance(expression, CronExpression):
            return self._cron_after(expression, lower)
        if isinstance(expression, RateExpression):
            return self._rate_after(expression.interval, lower)
        occurrence = self._instant(expression.wall_time)
        return occurrence if occurrence is not None and occurrence > lower else None

    def _cron_after(self, expression: CronExpression, lower: datetime) -> datetime | None:
        wall = lower.astimezone(self.time_zone).replace(tzinfo=None)
        # Candidates are skipped only inside a DST gap, or when `lower` lies in the second pass of
        # a repeated hour (their first occurrence is then already past): at most a gap's or a
        # repeat's length of minutes — an hour, or a day for Samoa's 2011 date-line change.
        while (candidate := expression.next_wall_time(wall)) is not None:
            wall = candidate
            occurrence = self._instant(wall)
            if occurrence is not None and occurrence > lower:
                return occurrence
        return None

    def _rate_after(self, interval: timedelta, lower: datetime) -> datetime | None:
        phase = self.start_date or self.anchor
        assert phase is not None  # enforced by parse()
        if lower < phase:
            return phase
        try:
            return phase + ((lower - phase) // interval + 1) * interval
        except OverflowError:  # beyond year 9999
            return None

    def _instant(self, wall: datetime) -> datetime | None:
        """The first instant showing `wall` on the zone's clocks; None inside a DST gap."""
        instant = wall.replace(tzinfo=self.time_zone, fold=0).astimezone(UTC)
        if instant.astimezone(self.time_zone).replace(tzinfo=None) != wall:
            return None  # spring forward: this wall-clock time does not exist
        return instant
