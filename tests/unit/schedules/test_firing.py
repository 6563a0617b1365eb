"""Flexible windows, retries and idempotency keys: deterministic, within bounds, well spread."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta

import pytest

from ecs_operator.schedules import RETRY_CAP, flexible_offset, occurrence_key, retry_delay, should_retry

from .builders import local, utc

UID = "6c1d2b4e-0f7a-4c55-9a43-2f0f3f8c1e01"
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


# -- flexible window ----------------------------------------------------------------------------


def test_flexible_offset_is_deterministic_per_schedule_and_occurrence() -> None:
    occurrence = utc(2026, 1, 1, 10)
    assert flexible_offset(UID, occurrence, 15) == flexible_offset(UID, occurrence, 15)
    assert flexible_offset(UID, occurrence, 15) == flexible_offset(
        UID, local("Europe/Berlin", 2026, 1, 1, 11), 15
    )
    others = {flexible_offset(UID, occurrence + timedelta(minutes=i), 15) for i in range(1, 20)}
    others |= {flexible_offset(f"{UID}-{i}", occurrence, 15) for i in range(20)}
    assert len(others) > 30


def test_flexible_offset_is_uniform_over_the_whole_window() -> None:
    offsets = [flexible_offset(UID, utc(2026, 1, 1) + timedelta(minutes=i), 15) for i in range(15_000)]
    assert all(timedelta(0) <= o <= timedelta(minutes=15) and o.microseconds == 0 for o in offsets)
    per_minute = Counter(int(o.total_seconds()) // 60 for o in offsets if o < timedelta(minutes=15))
    assert sorted(per_minute) == list(range(15))
    assert all(900 <= count <= 1100 for count in per_minute.values()), per_minute  # 1,000 expected each
    mean = sum(o.total_seconds() for o in offsets) / len(offsets)
    assert 440 <= mean <= 460  # 450 expected


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        pytest.param(0, timedelta(0), id="off-means-no-offset"),
        pytest.param(1, None, id="one-minute"),
        pytest.param(1440, None, id="a-day"),
    ],
)
def test_flexible_offset_limits(window: int, expected: timedelta | None) -> None:
    offset = flexible_offset(UID, utc(2026, 1, 1), window)
    assert offset == expected if expected is not None else timedelta(0) <= offset <= timedelta(minutes=window)


@pytest.mark.parametrize("window", [pytest.param(-1, id="negative"), pytest.param(1441, id="over-a-day")])
def test_flexible_offset_refuses_windows_aws_refuses(window: int) -> None:
    with pytest.raises(ValueError, match="max_window_minutes"):
        flexible_offset(UID, utc(2026, 1, 1), window)


# -- retries ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "nominal_seconds"),
    [
        pytest.param(1, 1, id="1-second"),
        pytest.param(2, 2, id="doubles"),
        pytest.param(5, 16, id="16-seconds"),
        pytest.param(9, 256, id="256-seconds"),
        pytest.param(10, 300, id="capped-at-5-minutes"),
        pytest.param(185, 300, id="last-attempt-still-capped"),
        pytest.param(10_000, 300, id="huge-attempt"),
    ],
)
def test_retry_delay_is_exponential_with_equal_jitter(attempt: int, nominal_seconds: int) -> None:
    nominal = timedelta(seconds=nominal_seconds)
    delays = {retry_delay(attempt, seed=f"occurrence-{i}") for i in range(50)}
    assert all(nominal / 2 <= d <= nominal <= RETRY_CAP for d in delays)
    assert len(delays) > 40  # seeds spread the retries of different occurrences
    assert retry_delay(attempt, seed="x") == retry_delay(attempt, seed="x")


def test_retry_delay_counts_attempts_from_one() -> None:
    with pytest.raises(ValueError, match="attempt counts from 1"):
        retry_delay(0)


FIRST = utc(2026, 1, 1, 10)


@pytest.mark.parametrize(
    ("attempt", "now", "max_retries", "max_age_seconds", "expected"),
    [
        pytest.param(1, FIRST, 185, 86400, True, id="first-failure-retried"),
        pytest.param(1, FIRST, 0, 86400, False, id="no-retries-allowed"),
        pytest.param(2, FIRST + timedelta(seconds=3), 2, 86400, True, id="second-retry-of-two"),
        pytest.param(3, FIRST + timedelta(seconds=7), 2, 86400, False, id="retries-used-up"),
        pytest.param(1, FIRST + timedelta(seconds=60), 185, 60, False, id="retry-would-start-too-old"),
        pytest.param(1, FIRST + timedelta(seconds=30), 185, 60, True, id="retry-starts-within-age"),
        pytest.param(
            50, FIRST + timedelta(hours=23, minutes=58), 185, 86400, False, id="capped-delay-passes-24h"
        ),
        pytest.param(
            50, FIRST + timedelta(hours=23, minutes=50), 185, 86400, True, id="capped-delay-within-24h"
        ),
    ],
)
def test_should_retry(
    attempt: int, now: datetime, max_retries: int, max_age_seconds: int, expected: bool
) -> None:
    assert should_retry(attempt, FIRST, now, max_retries, max_age_seconds, seed="k") is expected


def test_should_retry_refuses_negative_limits() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        should_retry(1, FIRST, FIRST, -1, 60)


# -- idempotency key ----------------------------------------------------------------------------


def test_occurrence_key_is_short_dns_safe_and_readable() -> None:
    key = occurrence_key(UID, utc(2026, 12, 1, 10))
    assert re.fullmatch(r"202612011000-[a-z2-7]{6}", key)
    assert DNS_LABEL.match(key) and len(key) == 19


def test_occurrence_key_is_the_same_instant_in_any_zone() -> None:
    assert occurrence_key(UID, utc(2026, 12, 1, 9)) == occurrence_key(
        UID, local("Europe/Berlin", 2026, 12, 1, 10)
    )


def test_occurrence_keys_differ_per_schedule_and_occurrence() -> None:
    keys = {occurrence_key(UID, utc(2026, 1, 1) + timedelta(minutes=i)) for i in range(10_000)}
    keys |= {occurrence_key(f"uid-{i}", utc(2026, 1, 1)) for i in range(10_000)}
    keys |= {occurrence_key(UID, utc(2026, 1, 1, 0, 0, 30))}  # a rate() occurrence within a minute
    assert len(keys) == 20_001
