"""Hypothesis strategies: valid AWS cron expressions with their meaning computed independently.

Each generated field carries the set of values it denotes, worked out here by plain loops rather
than by the parser, and the day rule carries a brute-force predicate over the calendar; the
property tests compare the package against these.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime

from hypothesis import strategies as st

MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
ZONES = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "America/St_Johns",  # -03:30, with DST
    "Asia/Kathmandu",  # +05:45
    "Pacific/Apia",  # skipped 30 December 2011 entirely
)


@dataclass(frozen=True)
class Field:
    text: str
    values: frozenset[int]


@dataclass(frozen=True)
class CronCase:
    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int]
    day_text: str  # "dom" or "dow" spelled as in the expression, for the oracle translations
    days: Callable[[int, int], frozenset[int]]  # (year, month) -> days
    _days_cache: dict[tuple[int, int], frozenset[int]] = dataclass_field(
        default_factory=dict, compare=False, repr=False
    )

    def matches(self, wall: datetime) -> bool:
        if not (wall.minute in self.minutes and wall.hour in self.hours):
            return False
        if not (wall.month in self.months and wall.year in self.years):
            return False
        key = (wall.year, wall.month)
        if key not in self._days_cache:
            self._days_cache[key] = self.days(*key)
        return wall.day in self._days_cache[key]


def aws_weekday(year: int, month: int, day: int) -> int:
    return date(year, month, day).isoweekday() % 7 + 1  # 1 = SUN … 7 = SAT


@st.composite
def field(
    draw: st.DrawFn,
    low: int,
    high: int,
    *,
    names: tuple[str, ...] = (),
    wraps: bool = True,
    ascending: bool = False,
    max_items: int = 3,
) -> Field:
    """A list of items (value, range, wrapping range, a/s, a-b/s, */s), or `*`.

    `ascending`: every range has start < end (croniter reads `5-5` as the whole cycle).
    """
    if draw(st.integers(0, 9)) == 0:
        return Field("*", frozenset(range(low, high + 1)))
    size = high - low + 1
    texts: list[str] = []
    values: set[int] = set()

    def spell(value: int) -> str:
        by_name: bool = draw(st.booleans())
        if names and by_name:
            name = names[value - low]
            return draw(st.sampled_from([name, name.lower(), name.title()]))
        return str(value)

    for _ in range(draw(st.integers(1, max_items))):
        kind = draw(st.sampled_from(["value", "range", "start-step", "range-step", "star-step"]))
        a = draw(st.integers(low, high))
        b = draw(st.integers(low, high))
        step = draw(st.integers(1, size))
        if not wraps and b < a:
            a, b = b, a
        if ascending and kind in ("range", "range-step") and not a < b:
            a, b = min(a, b), max(a, b)
            if a == b:
                kind = "value"
        if kind == "value":
            texts.append(spell(a))
            values.add(a)
        elif kind == "star-step":
            texts.append(f"*/{step}")
            values.update(range(low, high + 1, step))
        elif kind == "start-step":
            texts.append(f"{spell(a)}/{step}")
            values.update(range(a, high + 1, step))
        else:
            stride = step if kind == "range-step" else 1
            texts.append(f"{spell(a)}-{spell(b)}" + (f"/{step}" if kind == "range-step" else ""))
            walked, value = 0, a
            while walked <= (b - a) % size:
                values.add(low + (value - low) % size)
                walked += stride
                value += stride
    return Field(",".join(texts), frozenset(values))


def _weekdays_of(year: int, month: int) -> list[tuple[int, int]]:
    length = calendar.monthrange(year, month)[1]
    return [(day, aws_weekday(year, month, day)) for day in range(1, length + 1)]


def _nearest_weekday(n: int) -> Callable[[int, int], frozenset[int]]:
    def days(year: int, month: int) -> frozenset[int]:
        weekdays = [day for day, weekday in _weekdays_of(year, month) if 2 <= weekday <= 6]
        if n > calendar.monthrange(year, month)[1]:
            return frozenset()
        return frozenset({min(weekdays, key=lambda day: abs(day - n))})

    return days


@st.composite
def day_rule(draw: st.DrawFn) -> tuple[str, str, Callable[[int, int], frozenset[int]]]:
    """(day-of-month text, day-of-week text, days(year, month))."""
    kind = draw(st.sampled_from(["dom", "dom", "L", "LW", "W", "dow", "dow", "L-dow", "nL", "#"]))
    if kind == "dom":
        dom = draw(field(1, 31))
        return (
            dom.text,
            "?",
            lambda y, m: frozenset(d for d in dom.values if d <= calendar.monthrange(y, m)[1]),
        )
    if kind == "L":
        return "L", "?", lambda y, m: frozenset({calendar.monthrange(y, m)[1]})
    if kind == "LW":
        return "LW", "?", lambda y, m: frozenset({max(d for d, w in _weekdays_of(y, m) if 2 <= w <= 6)})
    if kind == "W":
        n = draw(st.integers(1, 31))
        return f"{n}W", "?", _nearest_weekday(n)
    if kind == "dow":
        dow = draw(field(1, 7, names=DAY_NAMES))
        return "?", dow.text, lambda y, m: frozenset(d for d, w in _weekdays_of(y, m) if w in dow.values)
    if kind == "L-dow":
        return "?", "L", lambda y, m: frozenset(d for d, w in _weekdays_of(y, m) if w == 7)
    x = draw(st.integers(1, 7))
    if kind == "nL":
        return "?", f"{x}L", lambda y, m: frozenset({max(d for d, w in _weekdays_of(y, m) if w == x)})
    n = draw(st.integers(1, 5))

    def nth(y: int, m: int) -> frozenset[int]:
        matching = [d for d, w in _weekdays_of(y, m) if w == x]
        return frozenset({matching[n - 1]}) if len(matching) >= n else frozenset()

    return "?", f"{x}#{n}", nth


@st.composite
def cron_cases(draw: st.DrawFn, *, every_month: bool = False) -> CronCase:
    """Any cron expression; with `every_month`, month and year are `*` (for windows at fixed dates)."""
    minutes = draw(field(0, 59))
    hours = draw(field(0, 23))
    if every_month:
        months, years = Field("*", frozenset(range(1, 13))), Field("*", frozenset(range(1970, 2200)))
    else:
        months, years = draw(field(1, 12, names=MONTH_NAMES)), draw(field(1970, 2199, wraps=False))
    dom, dow, days = draw(day_rule())
    text = f"cron({minutes.text} {hours.text} {dom} {months.text} {dow} {years.text})"
    day_text = dom if dow == "?" else dow
    return CronCase(text, minutes.values, hours.values, months.values, years.values, day_text, days)


def never_matches(case: CronCase) -> bool:
    """True when the case selects no date at all (the parser refuses those)."""
    return not any(case.days(year, month) for year in case.years for month in case.months)
