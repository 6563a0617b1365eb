"""Properties: the parser fails only with ScheduleExpressionError; next_after agrees with brute force."""

from __future__ import annotations

import functools
import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from ecs_operator.schedules import Schedule, ScheduleExpressionError, parse_expression

from .strategies import ZONES, CronCase, cron_cases, never_matches

CRON_ALPHABET = " \t0123456789*?,-/#LWlwJANFEBMARMONTUEFRISATSUNDECXé()"
ZONES_WITH_DST = (
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/St_Johns",
    "Pacific/Apia",
)
PROPERTY_SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _parse_or_refuse(text: str) -> None:
    try:
        parsed = parse_expression(text)
    except ScheduleExpressionError as error:
        assert error.column is None or 0 <= error.column <= len(text)
        return
    # Whatever parses must also evaluate without surprises.
    schedule = Schedule(parsed, ZoneInfo("Europe/Berlin"), anchor=datetime(2026, 1, 1, tzinfo=UTC))
    schedule.next_after(datetime(2026, 6, 1, tzinfo=UTC))


@given(st.text(max_size=300))
def test_parser_raises_only_schedule_errors_on_any_text(text: str) -> None:
    _parse_or_refuse(text)


@given(
    st.sampled_from(["cron(", "rate(", "at("]),
    st.lists(st.text(alphabet=CRON_ALPHABET, min_size=1, max_size=8), min_size=0, max_size=8),
    st.sampled_from([")", "", ") ", "))"]),
)
def test_parser_raises_only_schedule_errors_on_near_misses(
    prefix: str, parts: list[str], suffix: str
) -> None:
    _parse_or_refuse(prefix + " ".join(parts) + suffix)


@PROPERTY_SETTINGS
@given(cron_cases())
def test_generated_expressions_parse_unless_they_never_match(case: CronCase) -> None:
    try:
        parse_expression(case.text)
    except ScheduleExpressionError as error:
        assert error.reason.startswith("no date matches") and never_matches(case), str(error)


def _brute_force(case: CronCase, zone: str, start: datetime, minutes: int) -> list[datetime]:
    """Every UTC minute in (start, start + minutes] whose local time matches, on its first pass."""
    occurrences = []
    tz = ZoneInfo(zone)
    for i in range(1, minutes + 1):
        instant = start + timedelta(minutes=i)
        wall = instant.astimezone(tz)
        if wall.fold == 0 and case.matches(wall.replace(tzinfo=None)):
            occurrences.append(instant)
    return occurrences


@functools.cache
def _transitions(zone: str, year: int) -> tuple[datetime, ...]:
    """The instants in `year` at which `zone` changes its UTC offset, found by an hourly scan."""
    hours = [datetime(year, 1, 1, tzinfo=UTC) + timedelta(hours=h) for h in range(366 * 24)]
    return tuple(
        b
        for a, b in itertools.pairwise(hours)
        if a.astimezone(ZoneInfo(zone)).utcoffset() != b.astimezone(ZoneInfo(zone)).utcoffset()
    )


@PROPERTY_SETTINGS
@given(cron_cases(), st.sampled_from(ZONES), st.data())
def test_occurrences_equal_brute_force_over_two_days(case: CronCase, zone: str, data: st.DataObject) -> None:
    try:
        schedule = Schedule(parse_expression(case.text), ZoneInfo(zone))
    except ScheduleExpressionError:
        assume(False)
    year = data.draw(st.sampled_from(sorted(case.years)))
    month = data.draw(st.sampled_from(sorted(case.months)))
    start = datetime(year, month, data.draw(st.integers(1, 28)), tzinfo=ZoneInfo(zone)).astimezone(UTC)
    expected = _brute_force(case, zone, start, 2 * 24 * 60)
    event("window has occurrences" if expected else "window is empty")
    assert list(schedule.occurrences_between(start, start + timedelta(days=2))) == expected


@PROPERTY_SETTINGS
@given(cron_cases(every_month=True), st.sampled_from(ZONES_WITH_DST), st.data())
def test_occurrences_equal_brute_force_across_dst_transitions(
    case: CronCase, zone: str, data: st.DataObject
) -> None:
    try:
        schedule = Schedule(parse_expression(case.text), ZoneInfo(zone))
    except ScheduleExpressionError:
        assume(False)
    transitions = _transitions(zone, 2011 if zone == "Pacific/Apia" else 2026)
    start = data.draw(st.sampled_from(transitions)) - timedelta(hours=data.draw(st.integers(0, 24)))
    expected = _brute_force(case, zone, start, 36 * 60)
    event("window has occurrences" if expected else "window is empty")
    assert list(schedule.occurrences_between(start, start + timedelta(hours=36))) == expected


@PROPERTY_SETTINGS
@given(cron_cases(), st.sampled_from(ZONES), st.datetimes(datetime(1965, 1, 1), datetime(2205, 1, 1)))
def test_next_after_is_strictly_increasing_and_matches(case: CronCase, zone: str, naive: datetime) -> None:
    try:
        schedule = Schedule(parse_expression(case.text), ZoneInfo(zone))
    except ScheduleExpressionError:
        assume(False)
    instant = naive.replace(tzinfo=UTC)
    for _ in range(5):
        occurrence = schedule.next_after(instant)
        if occurrence is None:
            return
        wall = occurrence.astimezone(ZoneInfo(zone))
        assert occurrence > instant
        assert (wall.fold, wall.second, wall.microsecond) == (0, 0, 0)
        assert case.matches(wall.replace(tzinfo=None))
        instant = occurrence


@given(
    st.integers(1, 10_000),
    st.sampled_from(["minutes", "hours", "days"]),
    st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1)),
    st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1)),
)
def test_rate_occurrences_are_anchor_plus_whole_intervals(
    value: int, unit: str, anchor: datetime, after: datetime
) -> None:
    interval = timedelta(**{unit: value})
    text = f"rate({value} {unit.removesuffix('s') if value == 1 else unit})"
    schedule = Schedule.parse(text, anchor=anchor.replace(tzinfo=UTC))
    occurrence = schedule.next_after(after.replace(tzinfo=UTC))
    assert occurrence is not None
    steps, remainder = divmod(occurrence - anchor.replace(tzinfo=UTC), interval)
    assert (steps >= 0, remainder) == (True, timedelta(0))
    assert occurrence > after.replace(tzinfo=UTC)
    assert occurrence - interval <= max(after.replace(tzinfo=UTC), anchor.replace(tzinfo=UTC) - interval)
