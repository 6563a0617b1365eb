"""Comparison keys: semantic versions, the four registeredAt forms, decimal numbers."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ecs_operator.query.values import parse_moment, parse_number, parse_version

ASCENDING_VERSIONS = [
    "0.9",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.14.5",
    "1.14.10",
    "1.15",
    "2",
    "10.0.0",
]


def test_versions_sort_semantically() -> None:
    keys = [parse_version(v) for v in ASCENDING_VERSIONS]
    assert None not in keys
    assert sorted(ASCENDING_VERSIONS, key=lambda v: parse_version(v) or ((), 0, ())) == ASCENDING_VERSIONS


@pytest.mark.parametrize(
    ("left", "right"),
    [
        pytest.param("1.14", "1.14.0", id="trailing-zero"),
        pytest.param("v1.14.5", "1.14.5", id="leading-v"),
        pytest.param("1.14.5+build.3", "1.14.5", id="build-metadata"),
        pytest.param("01.014.5", "1.14.5", id="leading-zeros"),
    ],
)
def test_equal_versions(left: str, right: str) -> None:
    assert parse_version(left) == parse_version(right)


@pytest.mark.parametrize(
    "text", ["", "v", "1.", ".1", "1..2", "1.x", "V1.2", "1.2-", "1.2+", "latest", "1 .2"]
)
def test_not_versions(text: str) -> None:
    assert parse_version(text) is None


@pytest.mark.parametrize(
    ("text", "moment", "date_only"),
    [
        pytest.param(
            "2018-06-18T22:28:28+00:00", datetime(2018, 6, 18, 22, 28, 28, tzinfo=UTC), False, id="offset"
        ),
        pytest.param(
            "2018-06-18T22:28:28-05:30", datetime(2018, 6, 19, 3, 58, 28, tzinfo=UTC), False, id="neg"
        ),
        pytest.param("2018-06-18T22:28:28Z", datetime(2018, 6, 18, 22, 28, 28, tzinfo=UTC), False, id="z"),
        pytest.param("2018-06-18T22:28:28", datetime(2018, 6, 18, 22, 28, 28, tzinfo=UTC), False, id="utc"),
        pytest.param("2018-06-18", datetime(2018, 6, 18, tzinfo=UTC), True, id="date"),
    ],
)
def test_registered_at_forms(text: str, moment: datetime, date_only: bool) -> None:
    assert parse_moment(text) == (moment, date_only)


@pytest.mark.parametrize(
    "text",
    [
        "2018-02-30",
        "2018-6-18",
        "20180618",
        "2018-06-18T22:28",
        "2018-06-18T22:28:28.5Z",
        "2018-06-18 22:28:28",
        "2018-06-18t22:28:28z",
        "2018-06-18T24:00:00",
        "2018-06-18T22:28:28+24:00",
        "2018-06-18T22:28:28+0000",
        "0001-01-01T00:00:00+01:00",
        "yesterday",
    ],
)
def test_not_registered_at_forms(text: str) -> None:
    assert parse_moment(text) is None


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("10", Decimal(10)),
        ("-1", Decimal(-1)),
        ("+2.50", Decimal("2.5")),
        ("007", Decimal(7)),
        ("1e3", None),
        ("1_000", None),
        ("NaN", None),
        (" 1", None),
        ("1.", None),
        (".5", None),
        ("", None),
        ("١", None),  # Arabic-Indic digit one: not an ASCII digit
    ],
)
def test_numbers(text: str, number: Decimal | None) -> None:
    assert parse_number(text) == number
