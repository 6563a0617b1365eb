"""Parsing a schedule expression: which of `cron()`, `rate()`, `at()` it is, and the two small ones.

    expression = cron | rate | at                        (cron: see cron_parser.py)
    rate       = "rate(" [ws] value ws unit [ws] ")"     value = 1 … 999999999
    unit       = "minute" | "minutes" | "hour" | "hours" | "day" | "days"
    at         = "at(" yyyy "-" mm "-" dd "T" hh ":" mm ":" ss ")"

`ws` is one or more spaces or tabs; keywords and units are lower case, as AWS writes them. The unit
is singular exactly when the value is 1 (`rate(1 hour)`, `rate(5 hours)`; `rate(5 hour)` and
`rate(1 hours)` are refused). A day is 24 elapsed hours. An `at()` time is wall-clock time in the
schedule's time zone, years 1970–2199 like cron's year field.

An expression is at most 256 characters, the limit of Scheduler's `ScheduleExpression`.
`parse_expression` is cached: a spec is parsed once however often it is evaluated.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from .cron import CronExpression
from .cron_parser import parse_cron
from .errors import ScheduleExpressionError

MAX_LENGTH = 256
_WS = " \t"
_UNITS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
_MAX_RATE = 999_999_999
_AT_TEMPLATE = "dddd-dd-ddTdd:dd:dd)"
_AT_EXAMPLE = "expected at(yyyy-mm-ddThh:mm:ss), e.g. at(2026-12-01T10:00:00)"


@dataclass(frozen=True)
class RateExpression:
    """`rate(value unit)`: every `interval` of elapsed time from the schedule's start."""

    text: str
    interval: timedelta


@dataclass(frozen=True)
class AtExpression:
    """`at(yyyy-mm-ddThh:mm:ss)`: once, at this wall-clock time in the schedule's time zone."""

    text: str
    wall_time: datetime  # naive


Expression = CronExpression | RateExpression | AtExpression


@functools.lru_cache(maxsize=4096)
def parse_expression(text: str) -> Expression:
    """Parse a schedule expression; raises `ScheduleExpressionError` (only) when it is malformed."""
    if len(text) > MAX_LENGTH:
        raise ScheduleExpressionError(
            text[:MAX_LENGTH] + "…", f"longer than {MAX_LENGTH} characters", column=MAX_LENGTH
        )
    if text.startswith("cron("):
        return parse_cron(text)
    if text.startswith("rate("):
        return _parse_rate(text)
    if text.startswith("at("):
        return _parse_at(text)
    raise ScheduleExpressionError(
        text, "expected cron(...), rate(...) or at(...), e.g. rate(5 minutes)", column=0
    )


def _skip(text: str, i: int, chars: str) -> int:
    while i < len(text) and text[i] in chars:
        i += 1
    return i


def _parse_rate(text: str) -> RateExpression:
    start = _skip(text, len("rate("), _WS)
    i = _skip(text, start, "0123456789")
    if i == start:
        raise ScheduleExpressionError(text, "rate() needs a whole number, e.g. rate(5 minutes)", column=start)
    digits = text[start:i]
    value = int(digits) if len(digits) <= 9 else 0
    if not 1 <= value <= _MAX_RATE:
        raise ScheduleExpressionError(text, f"the rate value must be 1–{_MAX_RATE}", column=start)
    unit_start = _skip(text, i, _WS)
    if unit_start == i:
        raise ScheduleExpressionError(text, "expected a space, then minutes, hours or days", column=i)
    i = _skip(text, unit_start, "abcdefghijklmnopqrstuvwxyz")
    unit = text[unit_start:i]
    singular = unit.removesuffix("s")
    if singular not in _UNITS:
        raise ScheduleExpressionError(
            text, "the unit must be minute, minutes, hour, hours, day or days", column=unit_start
        )
    if value == 1 and unit != singular:
        raise ScheduleExpressionError(text, f"use {singular!r} when the value is 1", column=unit_start)
    if value != 1 and unit == singular:
        raise ScheduleExpressionError(
            text, f"use {singular + 's'!r} when the value is not 1", column=unit_start
        )
    i = _skip(text, i, _WS)
    if i == len(text) or text[i] != ")":
        raise ScheduleExpressionError(text, "expected )", column=i)
    if i + 1 < len(text):
        raise ScheduleExpressionError(text, "unexpected text after )", column=i + 1)
    return RateExpression(text, value * _UNITS[singular])


def _parse_at(text: str) -> AtExpression:
    base = len("at(")
    for offset, expected in enumerate(_AT_TEMPLATE):
        column = base + offset
        char = text[column] if column < len(text) else ""
        if not (char == expected or (expected == "d" and char != "" and char in "0123456789")):
            raise ScheduleExpressionError(text, _AT_EXAMPLE, column=column)
    if len(text) > base + len(_AT_TEMPLATE):
        raise ScheduleExpressionError(text, "unexpected text after )", column=base + len(_AT_TEMPLATE))

    def number(offset: int, width: int) -> int:
        return int(text[base + offset : base + offset + width])

    checks = (  # (offset, width, low, high, name)
        (0, 4, 1970, 2199, "year"),
        (5, 2, 1, 12, "month"),
        (11, 2, 0, 23, "hour"),
        (14, 2, 0, 59, "minute"),
        (17, 2, 0, 59, "second"),
    )
    for offset, width, low, high, name in checks:
        if not low <= number(offset, width) <= high:
            raise ScheduleExpressionError(text, f"the {name} must be {low}–{high}", column=base + offset)
    try:
        year, month, day = number(0, 4), number(5, 2), number(8, 2)
        wall_time = datetime(year, month, day, number(11, 2), number(14, 2), number(17, 2))
    except ValueError:
        raise ScheduleExpressionError(text, "no such day in that month", column=base + 8) from None
    return AtExpression(text, wall_time)
