"""The AWS `cron()` grammar: a hand-written scanner and recursive-descent parser.

Grammar (EBNF). `ws` is one or more spaces or tabs; names, `L` and `W` are case-insensitive; the
keyword `cron` is lower case, as AWS writes it.

    cron         = "cron(" [ws] minutes ws hours ws day-of-month ws month ws day-of-week ws year
                   [ws] ")"
    minutes      = list                                          values 0–59
    hours        = list                                          values 0–23
    day-of-month = "?" | "L" | "LW" | number "W" | list          values 1–31
    month        = list                                          values 1–12, JAN–DEC
    day-of-week  = "?" | "L" | value "L" | value "#" number | list
                                                                 values 1–7, SUN–SAT (1 = SUN)
    year         = list                                          values 1970–2199
    list         = item { "," item }
    item         = "*" [ "/" step ] | value [ "-" value ] [ "/" step ]
    value        = number | name
    step         = number                                        1 … count of the field's values

Meaning. `a/s` is a, a+s, … up to the field's maximum (`0/15` = 0,15,30,45); `a-b/s` stops at b;
`*/s` starts at the field's minimum. A range whose end is below its start wraps around the field,
as in Quartz (`22-2` hours = 22,23,0,1,2; `FRI-MON`); a year range cannot wrap. `x#n` is the n-th
(1–5) weekday x of the month, `nL` in day-of-week the last weekday n, `L` alone in day-of-week the
last day of the week (SAT); in day-of-month `L` is the last day, `LW` the last MON–FRI, `nW` the
MON–FRI nearest day n (see `days.py`).

Rules beyond the grammar: `?` only in the day fields and only as the whole field; `L`, `LW`, `nW`,
`nL` and `x#n` are the only term of their field (so there is at most one `#` term); exactly one of
day-of-month and day-of-week is `?` (`*` in both is an error); an expression that matches no date
at all in 1970–2199 (`cron(0 0 31 2 ? *)`) is refused rather than accepted as a schedule that
never fires. There is no seconds field, so no cron expression can fire more than once a minute:
a seventh field is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from .cron import CronExpression
from .days import (
    DayRule,
    DaysOfMonth,
    DaysOfWeek,
    LastDayOfMonth,
    LastDayOfWeekInMonth,
    LastWeekdayOfMonth,
    NearestWeekday,
    NthDayOfWeekInMonth,
)
from .errors import CRON_FIELD_NAMES, ScheduleExpressionError

_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTHS = {name: i + 1 for i, name in enumerate(_MONTH_NAMES)}
_DAYS = {name: i + 1 for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))}
_WS = " \t"
_PUNCTUATION = "*?,-/#"


@dataclass(frozen=True)
class _Field:
    number: int  # 1-based, as in error messages
    low: int
    high: int
    names: Mapping[str, int]
    wraps: bool  # may a range run past the maximum back to the minimum?

    @property
    def name(self) -> str:
        return CRON_FIELD_NAMES[self.number - 1]

    @property
    def size(self) -> int:
        return self.high - self.low + 1


_FIELDS = (
    _Field(1, 0, 59, {}, wraps=True),
    _Field(2, 0, 23, {}, wraps=True),
    _Field(3, 1, 31, {}, wraps=True),
    _Field(4, 1, 12, _MONTHS, wraps=True),
    _Field(5, 1, 7, _DAYS, wraps=True),
    _Field(6, 1970, 2199, {}, wraps=False),
)

_Kind = Literal["number", "word", "*", "?", ",", "-", "/", "#", "end"]


@dataclass(frozen=True)
class _Token:
    kind: _Kind
    text: str  # upper-cased for words
    column: int  # in the whole expression


class _FieldParser:
    """Parses one field's text; `column` is where the field starts in the whole expression."""

    def __init__(self, expression: str, field: _Field, text: str, column: int) -> None:
        self.expression = expression
        self.field = field
        self.tokens = self._scan(text, column)
        self.position = 0

    def error(self, reason: str, column: int) -> ScheduleExpressionError:
        return ScheduleExpressionError(self.expression, reason, column=column, field_number=self.field.number)

    def _scan(self, text: str, column: int) -> list[_Token]:
        tokens: list[_Token] = []
        i = 0
        while i < len(text):
            char = text[i]
            if char in _PUNCTUATION:
                tokens.append(_Token(cast(_Kind, char), char, column + i))
                i += 1
                continue
            j = i
            if "0" <= char <= "9":
                while j < len(text) and "0" <= text[j] <= "9":
                    j += 1
                tokens.append(_Token("number", text[i:j], column + i))
            elif char.isascii() and char.isalpha():
                while j < len(text) and text[j].isascii() and text[j].isalpha():
                    j += 1
                tokens.append(_Token("word", text[i:j].upper(), column + i))
            else:
                raise self.error(f"{self.field.name}: unexpected character {char!r}", column + i)
            i = j
        tokens.append(_Token("end", "", column + len(text)))
        return tokens

    # -- token helpers ------------------------------------------------------------------------

    def peek(self) -> _Token:
        return self.tokens[self.position]

    def advance(self) -> _Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def original(self, token: _Token) -> str:
        """The token as written (words are upper-cased for matching)."""
        return self.expression[token.column : token.column + len(token.text)]

    def shape(self) -> tuple[str, ...]:
        """The token kinds of the field (words by their text), for recognising whole-field terms."""
        return tuple(t.text if t.kind == "word" else t.kind for t in self.tokens[:-1])

    # -- grammar ------------------------------------------------------------------------------

    def parse_list(self) -> tuple[int, ...]:
        values: set[int] = set()
        while True:
            values |= self.parse_item()
            token = self.advance()
            if token.kind == "end":
                return tuple(sorted(values))
            if token.kind != ",":
                raise self.error(f"{self.field.name}: expected , or the end of the field", token.column)

    def parse_item(self) -> set[int]:
        field = self.field
        token = self.peek()
        if token.kind == "*":
            self.advance()
            step = self.parse_step()
            return set(range(field.low, field.high + 1, step or 1))
        if token.kind == "?":
            raise self.error(self._misplaced_question(), token.column)
        start = end = self.parse_value()
        is_range = self.peek().kind == "-"
        if is_range:
            self.advance()
            end = self.parse_value()
            if end < start and not field.wraps:
                raise self.error(f"{field.name}: range {start}-{end} ends before it starts", token.column)
        step = self.parse_step()
        if step is not None and not is_range:
            end = field.high  # `a/s`: from a up to the field's maximum
        span = (end - start) % field.size
        return {field.low + (start - field.low + k) % field.size for k in range(0, span + 1, step or 1)}

    def parse_value(self) -> int:
        field = self.field
        token = self.advance()
        if token.kind == "number":
            value = int(token.text) if len(token.text) <= 6 else field.high + 1
            if not field.low <= value <= field.high:
                raise self.error(
                    f"{field.name}: {token.text} is out of range {field.low}–{field.high}", token.column
                )
            return value
        if token.kind == "word":
            if token.text in field.names:
                return field.names[token.text]
            if not field.names:
                raise self.error(
                    f"{field.name}: unexpected {self.original(token)!r}; expected a number", token.column
                )
            first, last = next(iter(field.names)), list(field.names)[-1]
            raise self.error(
                f"{field.name}: unknown name {self.original(token)!r}; expected {first}–{last} "
                f"or {field.low}–{field.high}",
                token.column,
            )
        if token.kind == "?":
            raise self.error(self._misplaced_question(), token.column)
        raise self.error(f"{field.name}: expected a value", token.column)

    def parse_step(self) -> int | None:
        if self.peek().kind != "/":
            return None
        self.advance()
        token = self.advance()
        if token.kind != "number":
            raise self.error(f"{self.field.name}: expected a step (a number) after /", token.column)
        step = int(token.text) if len(token.text) <= 6 else 0
        if not 1 <= step <= self.field.size:
            raise self.error(f"{self.field.name}: step must be 1–{self.field.size}", token.column)
        return step

    def _misplaced_question(self) -> str:
        if self.field.number in (3, 5):
            return f"{self.field.name}: ? must be the whole field"
        return f"{self.field.name}: ? is only allowed in day-of-month and day-of-week"

    # -- day fields ---------------------------------------------------------------------------

    def parse_day_of_month(self) -> DayRule | None:
        shape = self.shape()
        if shape == ("?",):
            return None
        if shape == ("L",):
            return LastDayOfMonth()
        if shape == ("LW",):
            return LastWeekdayOfMonth()
        if shape == ("number", "W"):
            return NearestWeekday(self.parse_value())
        for token in self.tokens:
            if token.kind == "word" and token.text in ("L", "LW"):
                raise self.error(
                    f"day-of-month: {token.text} must be the only term of the field", token.column
                )
            if token.kind == "word" and token.text == "W":
                raise self.error(
                    "day-of-month: W must follow a single day (e.g. 15W) as the only term of the field",
                    token.column,
                )
        return DaysOfMonth(self.parse_list())

    def parse_day_of_week(self) -> DayRule | None:
        shape = self.shape()
        if shape == ("?",):
            return None
        if shape == ("L",):
            return DaysOfWeek((7,))  # the last day of the week
        if len(shape) == 2 and shape[1] == "L":
            return LastDayOfWeekInMonth(self.parse_value())
        if len(shape) == 1 and _is_named_last(shape[0]):
            return LastDayOfWeekInMonth(_DAYS[shape[0][:3]])  # FRIL
        hashes = [t for t in self.tokens if t.kind == "#"]
        if len(hashes) > 1:
            raise self.error("day-of-week: only one # term is allowed", hashes[1].column)
        if hashes:
            if "," in shape or len(shape) > 3:
                raise self.error("day-of-week: x#n must be the only term of the field", hashes[0].column)
            day_of_week = self.parse_value()
            token = self.advance()
            if token.kind != "#":
                raise self.error("day-of-week: expected # after the weekday (x#n)", token.column)
            token = self.advance()
            n = int(token.text) if token.kind == "number" and len(token.text) <= 2 else 0
            if not 1 <= n <= 5:
                raise self.error("day-of-week: the n of x#n must be 1–5", token.column)
            return NthDayOfWeekInMonth(day_of_week, n)
        for index, token in enumerate(self.tokens):
            if token.kind == "word" and (token.text == "L" or _is_named_last(token.text)):
                after_number = index > 0 and self.tokens[index - 1].kind == "number"
                usage = "L" if token.text == "L" and not after_number else "nL"
                raise self.error(f"day-of-week: {usage} must be the only term of the field", token.column)
        return DaysOfWeek(self.parse_list())


def _is_named_last(word: str) -> bool:
    """`FRIL`: a day name followed by L, as Quartz accepts it."""
    return len(word) == 4 and word[:3] in _DAYS and word[3] == "L"


def parse_cron(text: str) -> CronExpression:
    """Parse `cron(...)` (the caller has checked the `cron(` prefix)."""
    fields = _split_fields(text)
    parsers = [
        _FieldParser(text, spec, field, column) for spec, (field, column) in zip(_FIELDS, fields, strict=True)
    ]
    minutes, hours = parsers[0].parse_list(), parsers[1].parse_list()
    day_of_month = parsers[2].parse_day_of_month()
    months = parsers[3].parse_list()
    day_of_week = parsers[4].parse_day_of_week()
    years = parsers[5].parse_list()
    dow_column = fields[4][1]
    if day_of_month is None and day_of_week is None:
        raise ScheduleExpressionError(
            text,
            "day-of-month and day-of-week cannot both be ?; give a value in one of them",
            column=dow_column,
            field_number=5,
        )
    if day_of_month is not None and day_of_week is not None:
        raise ScheduleExpressionError(
            text,
            "day-of-month and day-of-week cannot both be specified; use ? in one of them",
            column=dow_column,
            field_number=5,
        )
    days = day_of_month if day_of_month is not None else day_of_week
    assert days is not None
    expression = CronExpression(text, minutes, hours, months, years, days)
    if expression.next_wall_time(datetime(years[0] - 1, 12, 31, 23, 59)) is None:
        field_number = 3 if day_of_month is not None else 5
        raise ScheduleExpressionError(
            text,
            "no date matches: the selected days never occur in the selected months and years",
            column=fields[field_number - 1][1],
            field_number=field_number,
        )
    return expression


def _split_fields(text: str) -> list[tuple[str, int]]:
    """The fields of `cron(...)`, each with the column where it starts."""
    fields: list[tuple[str, int]] = []
    i = len("cron(")
    while True:
        while i < len(text) and text[i] in _WS:
            i += 1
        if i == len(text):
            raise ScheduleExpressionError(text, "missing ) at the end", column=i)
        if text[i] == ")":
            break
        start = i
        while i < len(text) and text[i] not in _WS and text[i] != ")":
            i += 1
        fields.append((text[start:i], start))
        if len(fields) > 6:
            raise ScheduleExpressionError(
                text,
                "cron() takes 6 fields (minutes hours day-of-month month day-of-week year); "
                "a 7th was given, and seconds cannot be: schedules fire at most once a minute",
                column=start,
            )
    if i + 1 < len(text):
        raise ScheduleExpressionError(text, "unexpected text after )", column=i + 1)
    if len(fields) < 6:
        raise ScheduleExpressionError(
            text,
            f"cron() takes 6 fields (minutes hours day-of-month month day-of-week year); {len(fields)} given",
            column=i,
        )
    return fields
