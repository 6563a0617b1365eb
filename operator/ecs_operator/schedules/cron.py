"""A parsed AWS cron expression and the walk that finds its next wall-clock time.

Parsing (`cron_parser.py`) turns every field into an explicit ascending tuple of values and the
day fields into one `DayRule`, so finding the next match is a nested walk — year, month, day, hour,
minute — that bisects into each tuple and only ever descends into a level that can still match.
Nothing iterates minute by minute: a call costs a few microseconds however far away the next
match is (the years run out at 2199, so even a sparse expression ends quickly).

The walk is in *wall-clock* (naive, local) time. Mapping wall time onto instants, with the DST
rules, is `schedule.py`'s job: a time zone is not part of a cron expression.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime, timedelta

from .days import DayRule


@dataclass(frozen=True)
class CronExpression:
    """`cron(minutes hours day-of-month month day-of-week year)`, fully expanded."""

    text: str
    minutes: tuple[int, ...]  # ascending, 0–59
    hours: tuple[int, ...]  # ascending, 0–23
    months: tuple[int, ...]  # ascending, 1–12
    years: tuple[int, ...]  # ascending, 1970–2199
    days: DayRule  # from whichever of day-of-month / day-of-week is not `?`

    def next_wall_time(self, after: datetime) -> datetime | None:
        """The first matching wall-clock minute strictly after `after` (naive), or None if none."""
        if after.year > self.years[-1]:
            return None
        start = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
        for year in self.years[bisect_left(self.years, start.year) :]:
            on_year = year == start.year
            months = self.months[bisect_left(self.months, start.month) :] if on_year else self.months
            for month in months:
                on_month = on_year and month == start.month
                days = self.days.days_in(year, month)
                for day in days[bisect_left(days, start.day) :] if on_month else days:
                    on_day = on_month and day == start.day
                    hours = self.hours[bisect_left(self.hours, start.hour) :] if on_day else self.hours
                    for hour in hours:
                        on_hour = on_day and hour == start.hour
                        index = bisect_left(self.minutes, start.minute) if on_hour else 0
                        if index < len(self.minutes):
                            return datetime(year, month, day, hour, self.minutes[index])
        return None
