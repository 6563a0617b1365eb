"""Which days of a given month a cron expression selects.

AWS never combines day-of-month and day-of-week: one of the two fields is always `?`. So where
Vixie cron (and croniter, which copies it) ORs the two fields, an AWS cron expression has exactly
one day rule, taken from whichever field is not `?`. Each rule below answers one question — "which
days of this month?" — and that is all the cron walk (`cron.py`) needs to know about days.

Weekdays use AWS numbering throughout: 1 = SUN, 2 = MON, … 7 = SAT.

| field        | syntax          | rule                                   |
|--------------|-----------------|----------------------------------------|
| day-of-month | `*`, lists …    | `DaysOfMonth` (a 31st only where one exists) |
| day-of-month | `L`             | `LastDayOfMonth`                       |
| day-of-month | `LW`            | `LastWeekdayOfMonth` (last MON–FRI)    |
| day-of-month | `nW`            | `NearestWeekday`                       |
| day-of-week  | `*`, lists, `L` | `DaysOfWeek` (`L` alone = 7 = SAT, the last day of the week) |
| day-of-week  | `nL`            | `LastDayOfWeekInMonth` (`6L` = last Friday) |
| day-of-week  | `x#n`           | `NthDayOfWeekInMonth` (`3#2` = second Tuesday) |
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from typing import Protocol


class DayRule(Protocol):
    """The days of a month that a cron expression selects."""

    def days_in(self, year: int, month: int) -> tuple[int, ...]:
        """The selected days of `month` in `year`, ascending; empty when none."""
        ...


def _month(year: int, month: int) -> tuple[int, int]:
    """(AWS weekday of the 1st, number of days) of a month."""
    python_weekday, length = calendar.monthrange(year, month)  # Monday = 0
    return (python_weekday + 1) % 7 + 1, length


def _first(day_of_week: int, weekday_of_first: int) -> int:
    """The first day of the month that falls on `day_of_week` (AWS numbering)."""
    return 1 + (day_of_week - weekday_of_first) % 7


@dataclass(frozen=True)
class DaysOfMonth:
    """Fixed days (`*`, `15`, `1,15`, `1-7`, `*/2` …); a day the month lacks is simply skipped."""

    days: tuple[int, ...]  # ascending, within 1–31

    def days_in(self, year: int, month: int) -> tuple[int, ...]:
        length = calendar.monthrange(year, month)[1]
        if self.days[-1] <= length:
            return self.days
        return tuple(day for day in self.days if day <= length)


@dataclass(frozen=True)
class LastDayOfMonth:
    """`L` in day-of-month: the 31st, 30th, 29th or 28th."""

    def days_in(self, year: int, month: int) -> tuple[int, ...]:
        return (calendar.monthrange(year, month)[1],)


@dataclass(frozen=True)
class LastWeekdayOfMonth:
    """`LW`: the last MON–FRI of the month."""

    def days_in(self, year: int, month: int) -> tuple[int, ...]:
        weekday_of_first, length = _month(year, month)
        last = (weekday_of_first - 1 + length - 1) % 7 + 1
        return (length - {1: 2, 7: 1}.get(last, 0),)


@dataclass(frozen=True)
class NearestWeekday:
    """`nW`: the MON–FRI nearest to day n, never leaving the month.

    A Saturday moves to the Friday before, unless that is in the previous month (`1W` on a
    Saturday is Monday the 3rd); a Sunday moves to the Monday after, unless that is in the next
    month (`31W` on a Sunday is Friday the 29th). Decision: in a month without day n (`31W` in
    April, `30W` in February) the rule selects nothing, exactly as plain `31` does; croniter
    instead moves such a day to the month's last day.
    """

    day: int

    def days_in(self, year: int, month: int) -> tuple[int, ...]:
        weekday_of_first, length = _month(year, month)
        if self.day > length:
            return ()
        weekday = (weekday_of_first - 1 + self.day - 1) % 7 + 1
        if weekday == 7:  # Saturday
            return (self.day - 1,) if self.day > 1 else (self.day + 2,)
        if weekday == 1:  # Sunday
            return (self.day + 1,) if self.day < length else (self.day - 2,)
        return (self.day,)


@dataclass(frozen=True)
class DaysOfWeek:
    """Fixed weekdays (`MON-FRI`, `1,7`, `*`, and `L` alone = SAT)."""

    days_of_week: tuple[int, ...]  # ascending AWS weekdays, 1–7

    def days_in(self, year: int, month: int) -> tuple[int, ...]:
        weekday_of_first, length = _month(year, month)
        if len(self.days_of_week) == 7:
            return tuple(range(1, length + 1))
        days: list[int] = []
        for day_of_week in self.days_of_week:
            days.extend(range(_first(day_of_week, weekday_of_first), length + 1, 7))
        return tuple(sorted(days))


@dataclass(frozen=True)
class LastDayOfWeekInMonth:
    """`nL` in day-of-week: the last such weekday of the month (`6L` = the last Friday)."""

    day_of_week: int

    def days_in(self, year: int, month: int) -> tuple[int, ...]:
        weekday_of_first, length = _month(year, month)
        first = _first(self.day_of_week, weekday_of_first)
        return (first + 7 * ((length - first) // 7),)


@dataclass(frozen=True)
class NthDayOfWeekInMonth:
    """`x#n`: the n-th weekday x of the month; nothing in a month that has no n-th (`6#5`)."""

    day_of_week: int
    n: int  # 1–5

    def days_in(self, year: int, month: int) -> tuple[int, ...]:
        weekday_of_first, length = _month(year, month)
        day = _first(self.day_of_week, weekday_of_first) + 7 * (self.n - 1)
        return (day,) if day <= length else ()
