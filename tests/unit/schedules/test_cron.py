"""cron() in UTC: the examples of ecs-semantics §9.2, calendars, L/W/#, years, field syntax."""

from __future__ import annotations

from datetime import datetime

import pytest

from ecs_operator.schedules import CronExpression, parse_expression
from ecs_operator.schedules.days import DaysOfWeek

from .builders import schedule, utc


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        # §9.2 examples
        pytest.param(
            "cron(0 10 * * ? *)", utc(2026, 1, 1, 9, 59, 59), utc(2026, 1, 1, 10), id="daily-10:00-same-day"
        ),
        pytest.param(
            "cron(0 10 * * ? *)", utc(2026, 1, 1, 10), utc(2026, 1, 2, 10), id="daily-10:00-strictly-after"
        ),
        pytest.param(
            "cron(0 10 * * ? *)", utc(2026, 12, 31, 11), utc(2027, 1, 1, 10), id="daily-10:00-new-year"
        ),
        pytest.param(
            "cron(0/5 8-17 ? * MON-FRI *)",
            utc(2026, 1, 2, 17, 55),
            utc(2026, 1, 5, 8),
            id="weekdays-friday-to-monday",
        ),
        pytest.param(
            "cron(0/5 8-17 ? * MON-FRI *)",
            utc(2026, 1, 5, 8, 1),
            utc(2026, 1, 5, 8, 5),
            id="weekdays-every-5-minutes",
        ),
        pytest.param(
            "cron(15 10 ? * 6L 2019-2022)",
            utc(2018, 6, 1),
            utc(2019, 1, 25, 10, 15),
            id="last-friday-first-2019",
        ),
        pytest.param(
            "cron(15 10 ? * 6L 2019-2022)",
            utc(2022, 11, 25, 10, 15),
            utc(2022, 12, 30, 10, 15),
            id="last-friday-last",
        ),
        pytest.param("cron(15 10 ? * 6L 2019-2022)", utc(2022, 12, 30, 10, 15), None, id="year-range-ended"),
        # leap years, including the century rules
        pytest.param("cron(0 12 29 2 ? *)", utc(2024, 3, 1), utc(2028, 2, 29, 12), id="feb29-next-leap-year"),
        pytest.param("cron(0 12 29 2 ? *)", utc(2096, 3, 1), utc(2104, 2, 29, 12), id="feb29-skips-2100"),
        pytest.param("cron(0 12 29 2 ? *)", utc(1999, 3, 1), utc(2000, 2, 29, 12), id="feb29-in-2000"),
        pytest.param("cron(0 0 L 2 ? *)", utc(2024, 1, 1), utc(2024, 2, 29), id="L-feb-leap"),
        pytest.param("cron(0 0 L 2 ? *)", utc(2025, 1, 1), utc(2025, 2, 28), id="L-feb-common"),
        pytest.param("cron(0 0 L 2 ? *)", utc(2100, 1, 1), utc(2100, 2, 28), id="L-feb-2100-common"),
        # month ends
        pytest.param("cron(0 0 31 * ? *)", utc(2026, 1, 31), utc(2026, 3, 31), id="31st-skips-february"),
        pytest.param("cron(0 0 31 * ? *)", utc(2026, 3, 31), utc(2026, 5, 31), id="31st-skips-april"),
        pytest.param("cron(0 0 30 * ? *)", utc(2026, 1, 30), utc(2026, 3, 30), id="30th-skips-february"),
        # W: the nearest MON–FRI, never leaving the month
        pytest.param("cron(0 9 1W * ? *)", utc(2026, 7, 31), utc(2026, 8, 3, 9), id="1W-saturday-monday-3rd"),
        pytest.param("cron(0 9 1W * ? *)", utc(2026, 1, 31), utc(2026, 2, 2, 9), id="1W-sunday-monday-2nd"),
        pytest.param(
            "cron(0 9 31W * ? *)", utc(2026, 5, 1), utc(2026, 5, 29, 9), id="31W-sunday-friday-29th"
        ),
        pytest.param(
            "cron(0 9 31W * ? *)", utc(2026, 3, 31, 9), utc(2026, 5, 29, 9), id="31W-skips-30-day-april"
        ),
        pytest.param("cron(0 9 15W * ? *)", utc(2026, 8, 1), utc(2026, 8, 14, 9), id="15W-saturday-friday"),
        pytest.param("cron(0 9 15W * ? *)", utc(2026, 11, 1), utc(2026, 11, 16, 9), id="15W-sunday-monday"),
        pytest.param("cron(0 9 15W * ? *)", utc(2026, 1, 1), utc(2026, 1, 15, 9), id="15W-weekday-itself"),
        pytest.param(
            "cron(0 9 30W * ? *)", utc(2026, 1, 30, 9), utc(2026, 3, 30, 9), id="30W-skips-february"
        ),
        pytest.param(
            "cron(0 9 LW * ? *)", utc(2026, 1, 1), utc(2026, 1, 30, 9), id="LW-saturday-31st-friday"
        ),
        pytest.param("cron(0 9 LW * ? *)", utc(2026, 5, 1), utc(2026, 5, 29, 9), id="LW-sunday-31st-friday"),
        pytest.param("cron(0 9 LW * ? *)", utc(2026, 8, 1), utc(2026, 8, 31, 9), id="LW-monday-31st"),
        # day-of-week: #, nL, L, lists, names, wrapping ranges
        pytest.param("cron(0 9 ? * 3#2 *)", utc(2026, 1, 1), utc(2026, 1, 13, 9), id="3#2-second-tuesday"),
        pytest.param("cron(0 9 ? * TUE#2 *)", utc(2026, 1, 13, 9), utc(2026, 2, 10, 9), id="TUE#2-by-name"),
        pytest.param("cron(0 9 ? * 6#5 *)", utc(2026, 1, 1), utc(2026, 1, 30, 9), id="6#5-january-has-five"),
        pytest.param(
            "cron(0 9 ? * 6#5 *)", utc(2026, 1, 30, 9), utc(2026, 5, 29, 9), id="6#5-skips-feb-to-apr"
        ),
        pytest.param("cron(0 9 ? * 6L *)", utc(2026, 2, 1), utc(2026, 2, 27, 9), id="6L-last-friday-feb"),
        pytest.param("cron(0 9 ? * FRIL *)", utc(2026, 2, 1), utc(2026, 2, 27, 9), id="FRIL-by-name"),
        pytest.param("cron(0 9 ? * 1L *)", utc(2026, 5, 1), utc(2026, 5, 31, 9), id="1L-last-sunday-is-31st"),
        pytest.param("cron(0 9 ? * L *)", utc(2026, 1, 1), utc(2026, 1, 3, 9), id="L-alone-is-saturday"),
        pytest.param("cron(0 9 ? * 1 *)", utc(2026, 1, 1), utc(2026, 1, 4, 9), id="1-is-sunday"),
        pytest.param("cron(0 9 ? * 7 *)", utc(2026, 1, 1), utc(2026, 1, 3, 9), id="7-is-saturday"),
        pytest.param("cron(0 9 ? * FRI-MON *)", utc(2026, 1, 6), utc(2026, 1, 9, 9), id="FRI-MON-wraps"),
        pytest.param("cron(0 9 ? * sat,sun *)", utc(2026, 1, 1), utc(2026, 1, 3, 9), id="names-any-case"),
        pytest.param("cron(0 9 ? * * *)", utc(2026, 1, 1, 9), utc(2026, 1, 2, 9), id="dow-star"),
        # other fields
        pytest.param(
            "cron(0 22-2/2 * * ? *)", utc(2026, 1, 1, 22, 30), utc(2026, 1, 2, 0), id="hours-wrap-with-step"
        ),
        pytest.param(
            "cron(10-50/20 * * * ? *)", utc(2026, 1, 1, 0, 50), utc(2026, 1, 1, 1, 10), id="range-with-step"
        ),
        pytest.param("cron(*/20 * * * ? *)", utc(2026, 1, 1, 0, 41), utc(2026, 1, 1, 1), id="star-step"),
        pytest.param("cron(0 0 1 NOV-FEB ? *)", utc(2026, 2, 1), utc(2026, 11, 1), id="month-names-wrap"),
        pytest.param("cron(0 0 1 1 ? 2020/5)", utc(2021, 1, 1), utc(2025, 1, 1), id="year-step"),
        pytest.param("cron(0 0 1 1 ? 2020/5)", utc(2195, 1, 1), None, id="year-step-ends-2195"),
        pytest.param("cron(0 0 1 1 ? *)", utc(2199, 1, 1), None, id="years-end-2199"),
        pytest.param("cron(0 0 1 1 ? 2030,2026)", utc(2026, 1, 1), utc(2030, 1, 1), id="year-list"),
        pytest.param(
            "cron(0 10 * * ? *)", utc(2026, 1, 1, 9, 59, 30), utc(2026, 1, 1, 10), id="instant-with-seconds"
        ),
        pytest.param("cron( 0  10 * *\t? * )", utc(2026, 1, 1), utc(2026, 1, 1, 10), id="spaces-and-tabs"),
    ],
)
def test_next_after(expression: str, after: datetime, expected: datetime | None) -> None:
    assert schedule(expression).next_after(after) == expected


@pytest.mark.parametrize(
    ("expression", "start", "end", "expected"),
    [
        pytest.param(
            "cron(15 10 ? * 6L 2019-2022)",
            utc(2022, 9, 1),
            utc(2030, 1, 1),
            [
                utc(2022, 9, 30, 10, 15),
                utc(2022, 10, 28, 10, 15),
                utc(2022, 11, 25, 10, 15),
                utc(2022, 12, 30, 10, 15),
            ],
            id="last-fridays-until-the-range-ends",
        ),
        pytest.param(
            "cron(0 0 L * ? *)",
            utc(2024, 1, 1),
            utc(2024, 5, 1),
            [utc(2024, 1, 31), utc(2024, 2, 29), utc(2024, 3, 31), utc(2024, 4, 30)],
            id="L-month-ends-leap-year",
        ),
        pytest.param(
            "cron(0 0 L * ? *)",
            utc(2026, 1, 1),
            utc(2026, 5, 1),
            [utc(2026, 1, 31), utc(2026, 2, 28), utc(2026, 3, 31), utc(2026, 4, 30)],
            id="L-month-ends-common-year",
        ),
        pytest.param(
            "cron(0 9 ? * 3#2 *)",
            utc(2026, 1, 1),
            utc(2026, 4, 1),
            [utc(2026, 1, 13, 9), utc(2026, 2, 10, 9), utc(2026, 3, 10, 9)],
            id="second-tuesdays",
        ),
        pytest.param(
            "cron(0 9 ? * 6#5 *)",
            utc(2026, 1, 1),
            utc(2026, 12, 31),
            [utc(2026, 1, 30, 9), utc(2026, 5, 29, 9), utc(2026, 7, 31, 9), utc(2026, 10, 30, 9)],
            id="fifth-fridays-only-where-they-exist",
        ),
        pytest.param(
            "cron(30 23 1,15 * ? *)",
            utc(2026, 1, 1, 23, 30),
            utc(2026, 2, 15, 23, 30),
            [utc(2026, 1, 15, 23, 30), utc(2026, 2, 1, 23, 30), utc(2026, 2, 15, 23, 30)],
            id="half-open-start-excluded-end-included",
        ),
    ],
)
def test_occurrences_between(
    expression: str, start: datetime, end: datetime, expected: list[datetime]
) -> None:
    assert list(schedule(expression).occurrences_between(start, end)) == expected


def test_weekday_example_fires_120_times_a_weekday_and_never_at_weekends() -> None:
    every_five = schedule("cron(0/5 8-17 ? * MON-FRI *)")
    monday = list(every_five.occurrences_between(utc(2026, 1, 5), utc(2026, 1, 6)))
    assert (len(monday), monday[0], monday[-1]) == (120, utc(2026, 1, 5, 8), utc(2026, 1, 5, 17, 55))
    assert list(every_five.occurrences_between(utc(2026, 1, 3), utc(2026, 1, 5))) == []


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        pytest.param(
            "cron(0/15 8-17 ? * MON-FRI *)",
            CronExpression(
                "cron(0/15 8-17 ? * MON-FRI *)",
                minutes=(0, 15, 30, 45),
                hours=tuple(range(8, 18)),
                months=tuple(range(1, 13)),
                years=tuple(range(1970, 2200)),
                days=DaysOfWeek((2, 3, 4, 5, 6)),
            ),
            id="expanded-fields",
        ),
    ],
)
def test_parse_expands_every_field(expression: str, expected: CronExpression) -> None:
    assert parse_expression(expression) == expected


def test_parsing_is_cached() -> None:
    assert parse_expression("cron(0 10 * * ? *)") is parse_expression("cron(0 10 * * ? *)")
