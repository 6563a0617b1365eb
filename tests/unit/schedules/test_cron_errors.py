"""A corpus of malformed cron() expressions: each is refused with the field and column of the fault."""

from __future__ import annotations

import pytest

from ecs_operator.schedules import ScheduleExpressionError, parse_expression

SIX_FIELDS = "cron() takes 6 fields (minutes hours day-of-month month day-of-week year)"


@pytest.mark.parametrize(
    ("expression", "reason", "field", "column"),
    [
        # the day-of-month / day-of-week rule
        pytest.param(
            "cron(0 10 * * * *)",
            "day-of-month and day-of-week cannot both be specified; use ? in one of them",
            5,
            14,
            id="both-star",
        ),
        pytest.param(
            "cron(0 10 1 * MON *)",
            "day-of-month and day-of-week cannot both be specified; use ? in one of them",
            5,
            14,
            id="both-values",
        ),
        pytest.param(
            "cron(0 10 ? * ? *)",
            "day-of-month and day-of-week cannot both be ?; give a value in one of them",
            5,
            14,
            id="both-question",
        ),
        # shape
        pytest.param("cron(0 10 * * ?)", f"{SIX_FIELDS}; 5 given", None, 15, id="five-fields"),
        pytest.param(
            "cron(0 0 10 * * ? *)",
            f"{SIX_FIELDS}; a 7th was given, and seconds cannot be: schedules fire at most once a minute",
            None,
            18,
            id="seconds-field",
        ),
        pytest.param("cron()", f"{SIX_FIELDS}; 0 given", None, 5, id="empty"),
        pytest.param("cron(0 10 * * ? *", "missing ) at the end", None, 17, id="unclosed"),
        pytest.param("cron(0 10 * * ? *) ", "unexpected text after )", None, 18, id="trailing-space"),
        pytest.param(
            "Cron(0 10 * * ? *)",
            "expected cron(...), rate(...) or at(...), e.g. rate(5 minutes)",
            None,
            0,
            id="keyword-case",
        ),
        pytest.param(
            "0 10 * * ? *",
            "expected cron(...), rate(...) or at(...), e.g. rate(5 minutes)",
            None,
            0,
            id="bare-fields",
        ),
        # values
        pytest.param("cron(60 10 * * ? *)", "minutes: 60 is out of range 0–59", 1, 5, id="minute-60"),
        pytest.param("cron(0 24 * * ? *)", "hours: 24 is out of range 0–23", 2, 7, id="hour-24"),
        pytest.param("cron(0 10 0 * ? *)", "day-of-month: 0 is out of range 1–31", 3, 10, id="day-0"),
        pytest.param("cron(0 10 32 * ? *)", "day-of-month: 32 is out of range 1–31", 3, 10, id="day-32"),
        pytest.param("cron(0 10 1 13 ? *)", "month: 13 is out of range 1–12", 4, 12, id="month-13"),
        pytest.param(
            "cron(0 10 ? * 0 *)", "day-of-week: 0 is out of range 1–7", 5, 14, id="weekday-0-is-not-sunday"
        ),
        pytest.param("cron(0 10 ? * 8 *)", "day-of-week: 8 is out of range 1–7", 5, 14, id="weekday-8"),
        pytest.param("cron(0 10 * * ? 1969)", "year: 1969 is out of range 1970–2199", 6, 16, id="year-1969"),
        pytest.param("cron(0 10 * * ? 2200)", "year: 2200 is out of range 1970–2199", 6, 16, id="year-2200"),
        pytest.param(
            "cron(0 10 * * ? 99999999999999)",
            "year: 99999999999999 is out of range 1970–2199",
            6,
            16,
            id="huge-number",
        ),
        pytest.param(
            "cron(0 10 * FOO ? *)",
            "month: unknown name 'FOO'; expected JAN–DEC or 1–12",
            4,
            12,
            id="month-name",
        ),
        pytest.param(
            "cron(0 10 ? * JUL *)",
            "day-of-week: unknown name 'JUL'; expected SUN–SAT or 1–7",
            5,
            14,
            id="month-as-day",
        ),
        pytest.param(
            "cron(a 10 * * ? *)", "minutes: unexpected 'a'; expected a number", 1, 5, id="letter-in-minutes"
        ),
        pytest.param("cron(0 1é * * ? *)", "hours: unexpected character 'é'", 2, 8, id="non-ascii"),
        pytest.param("cron(0 ١ * * ? *)", "hours: unexpected character '١'", 2, 7, id="non-ascii-digit"),
        pytest.param("cron(-5 10 * * ? *)", "minutes: expected a value", 1, 5, id="negative"),
        # lists, ranges, steps
        pytest.param("cron(1,,2 10 * * ? *)", "minutes: expected a value", 1, 7, id="empty-list-item"),
        pytest.param("cron(1, 10 * * ? *)", "minutes: expected a value", 1, 7, id="trailing-comma"),
        pytest.param("cron(1- 10 * * ? *)", "minutes: expected a value", 1, 7, id="open-range"),
        pytest.param(
            "cron(*-5 10 * * ? *)", "minutes: expected , or the end of the field", 1, 6, id="star-range"
        ),
        pytest.param("cron(0/0 10 * * ? *)", "minutes: step must be 1–60", 1, 7, id="step-0"),
        pytest.param("cron(0/61 10 * * ? *)", "minutes: step must be 1–60", 1, 7, id="step-61"),
        pytest.param(
            "cron(0/ 10 * * ? *)", "minutes: expected a step (a number) after /", 1, 7, id="step-missing"
        ),
        pytest.param(
            "cron(0/x 10 * * ? *)", "minutes: expected a step (a number) after /", 1, 7, id="step-word"
        ),
        pytest.param(
            "cron(1-2-3 10 * * ? *)", "minutes: expected , or the end of the field", 1, 8, id="double-range"
        ),
        pytest.param(
            "cron(0 10 * * ? 2022-2019)",
            "year: range 2022-2019 ends before it starts",
            6,
            16,
            id="year-range-backwards",
        ),
        # ? L W #
        pytest.param(
            "cron(0 ? * * ? *)",
            "hours: ? is only allowed in day-of-month and day-of-week",
            2,
            7,
            id="question-in-hours",
        ),
        pytest.param(
            "cron(0 10 1,? * ? *)", "day-of-month: ? must be the whole field", 3, 12, id="question-in-list"
        ),
        pytest.param(
            "cron(0 10 L,1 * ? *)",
            "day-of-month: L must be the only term of the field",
            3,
            10,
            id="L-in-list",
        ),
        pytest.param(
            "cron(0 10 LW,1 * ? *)",
            "day-of-month: LW must be the only term of the field",
            3,
            10,
            id="LW-list",
        ),
        pytest.param(
            "cron(0 10 W * ? *)",
            "day-of-month: W must follow a single day (e.g. 15W) as the only term of the field",
            3,
            10,
            id="W-alone",
        ),
        pytest.param(
            "cron(0 10 1W,15W * ? *)",
            "day-of-month: W must follow a single day (e.g. 15W) as the only term of the field",
            3,
            11,
            id="W-in-list",
        ),
        pytest.param("cron(0 10 32W * ? *)", "day-of-month: 32 is out of range 1–31", 3, 10, id="W-day-32"),
        pytest.param(
            "cron(0 10 L-3 * ? *)", "day-of-month: L must be the only term of the field", 3, 10, id="L-offset"
        ),
        pytest.param(
            "cron(0 10 ? * 1,L *)",
            "day-of-week: L must be the only term of the field",
            5,
            16,
            id="dow-L-in-list",
        ),
        pytest.param(
            "cron(0 10 ? * 6L,1 *)", "day-of-week: nL must be the only term of the field", 5, 15, id="nL-list"
        ),
        pytest.param("cron(0 10 ? * 8L *)", "day-of-week: 8 is out of range 1–7", 5, 14, id="nL-8"),
        pytest.param(
            "cron(0 10 ? * 3#2,4#1 *)", "day-of-week: only one # term is allowed", 5, 19, id="two-hash-terms"
        ),
        pytest.param(
            "cron(0 10 ? * MON,3#2 *)",
            "day-of-week: x#n must be the only term of the field",
            5,
            19,
            id="hash-in-list",
        ),
        pytest.param("cron(0 10 ? * 3#6 *)", "day-of-week: the n of x#n must be 1–5", 5, 16, id="hash-6"),
        pytest.param("cron(0 10 ? * 3#0 *)", "day-of-week: the n of x#n must be 1–5", 5, 16, id="hash-0"),
        pytest.param("cron(0 10 ? * 3# *)", "day-of-week: the n of x#n must be 1–5", 5, 16, id="hash-no-n"),
        pytest.param("cron(0 10 ? * 9#2 *)", "day-of-week: 9 is out of range 1–7", 5, 14, id="hash-day-9"),
        pytest.param("cron(0 10 L * ? L)", "year: unexpected 'L'; expected a number", 6, 16, id="L-in-year"),
        # expressions that can never fire
        pytest.param(
            "cron(0 10 31 2 ? *)",
            "no date matches: the selected days never occur in the selected months and years",
            3,
            10,
            id="february-31",
        ),
        pytest.param(
            "cron(0 10 31 APR,JUN,SEP,NOV ? *)",
            "no date matches: the selected days never occur in the selected months and years",
            3,
            10,
            id="31-in-30-day-months",
        ),
        pytest.param(
            "cron(0 10 29 2 ? 2025-2027)",
            "no date matches: the selected days never occur in the selected months and years",
            3,
            10,
            id="february-29-common-years",
        ),
        pytest.param(
            "cron(0 10 ? 2 6#5 2026)",
            "no date matches: the selected days never occur in the selected months and years",
            5,
            14,
            id="no-fifth-friday",
        ),
    ],
)
def test_malformed_cron(expression: str, reason: str, field: int | None, column: int) -> None:
    with pytest.raises(ScheduleExpressionError) as caught:
        parse_expression(expression)
    error = caught.value
    where = f"field {field}, column {column}" if field else f"column {column}"
    assert (str(error), error.reason, error.field_number, error.column) == (
        f"{expression}: {reason} ({where})",
        reason,
        field,
        column,
    )


def test_the_brief_example_message_and_caret() -> None:
    with pytest.raises(ScheduleExpressionError) as caught:
        parse_expression("cron(0 10 * * * *)")
    assert caught.value.field_name == "day-of-week"
    assert caught.value.display() == (
        "cron(0 10 * * * *): day-of-month and day-of-week cannot both be specified; use ? in one of them "
        "(field 5, column 14)\n"
        "  cron(0 10 * * * *)\n"
        "                ^"
    )


def test_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_expression("")


def test_expressions_are_at_most_256_characters() -> None:
    parse_expression("cron(" + "0," * 119 + "0 10 * * ? *)")  # 256 characters
    too_long = "cron(" + "0," * 120 + "0 10 * * ? *)"
    with pytest.raises(ScheduleExpressionError) as caught:
        parse_expression(too_long)
    assert (caught.value.reason, caught.value.column) == ("longer than 256 characters", 256)
