"""croniter as an independent oracle, on the syntax AWS cron and croniter share.

The package does not use croniter at run time (its module docstring says why). Here it checks
our parser and wall-clock walk through the AWS → croniter translation: day-of-week numbers shift
down by one (1 = SUN → 0), `?` becomes `*`, `nL` becomes `L(n-1)`, `x#n` becomes `(x-1)#n`, and
`L` alone in day-of-week (SAT) becomes 6. Left out, because the two differ there by design: the
year field (croniter's ends in 2099), `LW` (croniter lacks it), `nW` past the 28th (croniter moves
a missing day to the month's end; we skip the month), and wrapping or equal ranges (croniter reads
`5-5` as the whole cycle). Both run on naive wall-clock time: DST is `test_time_zones.py`'s.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from croniter import CroniterBadDateError, croniter
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ecs_operator.schedules import CronExpression, parse_expression

from .strategies import DAY_NAMES, MONTH_NAMES, field


def to_croniter(aws: str) -> str:
    """`cron(m h dom mon dow year)` → croniter's `m h dom mon dow` (year must be `*`)."""
    minutes, hours, dom, month, dow, year = aws.removeprefix("cron(").removesuffix(")").split()
    assert year == "*"
    dom = "*" if dom == "?" else dom
    if dow == "?":
        dow = "*"
    elif dow.upper() == "L":
        dow = "6"
    elif match := re.fullmatch(r"(\d)L", dow):
        dow = f"L{int(match[1]) - 1}"
    elif match := re.fullmatch(r"(\d)#(\d)", dow):
        dow = f"{int(match[1]) - 1}#{match[2]}"
    else:  # lists, ranges, steps: shift the weekday numbers, not the steps
        dow = re.sub(r"(?<![/\d])(\d)", lambda m: str(int(m[1]) - 1), dow)
    return f"{minutes} {hours} {dom} {month} {dow}"


@pytest.mark.parametrize(
    ("aws", "expected"),
    [
        pytest.param("cron(0 10 * * ? *)", "0 10 * * *", id="question-to-star"),
        pytest.param("cron(0/5 8-17 ? * MON-FRI *)", "0/5 8-17 * * MON-FRI", id="names-unchanged"),
        pytest.param("cron(15 10 ? * 6L *)", "15 10 * * L5", id="last-friday"),
        pytest.param("cron(0 9 ? * 3#2 *)", "0 9 * * 2#2", id="second-tuesday"),
        pytest.param("cron(0 9 ? * 2-6/2 *)", "0 9 * * 1-5/2", id="shift-not-step"),
        pytest.param("cron(0 9 ? * L *)", "0 9 * * 6", id="L-alone-saturday"),
    ],
)
def test_translation(aws: str, expected: str) -> None:
    assert to_croniter(aws) == expected


@st.composite
def shared_syntax(draw: st.DrawFn) -> str:
    minutes = draw(field(0, 59, ascending=True)).text
    hours = draw(field(0, 23, ascending=True)).text
    months = draw(field(1, 12, names=MONTH_NAMES, ascending=True)).text
    kind = draw(st.sampled_from(["dom", "L", "W", "dow", "L-dow", "nL", "#"]))
    dom, dow = "?", "?"
    if kind == "dom":
        dom = draw(field(1, 31, ascending=True)).text
    elif kind in ("L", "L-dow"):
        dom, dow = ("L", "?") if kind == "L" else ("?", "L")
    elif kind == "W":
        dom = f"{draw(st.integers(1, 28))}W"
    elif kind == "dow":
        dow = draw(field(1, 7, names=DAY_NAMES, ascending=True)).text
    elif kind == "nL":
        dow = f"{draw(st.integers(1, 7))}L"
    else:
        dow = f"{draw(st.integers(1, 7))}#{draw(st.integers(1, 5))}"
    return f"cron({minutes} {hours} {dom} {months} {dow} *)"


@settings(max_examples=300, deadline=None)
@given(shared_syntax(), st.datetimes(datetime(2000, 1, 1), datetime(2090, 1, 1)))
def test_next_wall_times_agree_with_croniter(aws: str, start: datetime) -> None:
    ours = parse_expression(aws)
    assert isinstance(ours, CronExpression)
    theirs = croniter(to_croniter(aws), start)
    cursor: datetime | None = start
    for _ in range(10):
        try:
            expected = theirs.get_next(datetime)
        except CroniterBadDateError:  # nothing within croniter's 50-year search
            assume(False)
        if expected.year > 2199:  # past AWS's year field (1970–2199): no occurrence there
            assume(False)
        assert cursor is not None
        cursor = ours.next_wall_time(cursor)
        assert cursor == expected, aws
