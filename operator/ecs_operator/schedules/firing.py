"""Pure decisions around one firing: when within the flexible window, whether to retry, the name.

Randomness here is a hash, not a generator: the flexible-window offset and the retry jitter are
functions of the schedule's uid and the occurrence, so every operator replica, and the same
replica after a restart, computes the same answer (and tests are exact). SHA-256 is used for its
stability across Python versions and platforms, not for secrecy.

Retry backoff (AWS documents exponential backoff, not its constants; these are ours):

    nominal(attempt) = min(RETRY_CAP, RETRY_BASE × 2^(attempt − 1))   1 s, 2 s, 4 s, … 256 s, 300 s …
    delay            = nominal × (1 + u) / 2,  u ∈ [0, 1] from hash(seed, attempt)

("equal jitter": never less than half the nominal delay, never more than it, so never above the
cap). With the defaults of 185 retries and a 24-hour maximum event age, the retries run out first,
after about 11 hours (185 delays averaging ~3.6 minutes).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from .schedule import to_utc

RETRY_BASE = timedelta(seconds=1)
RETRY_CAP = timedelta(minutes=5)
MAX_WINDOW_MINUTES = 1440  # FlexibleTimeWindow.MaximumWindowInMinutes: 1–1440
_KEY_HASH_CHARS = 6


def _hash(*parts: str) -> int:
    """A stable 64-bit integer from `parts`."""
    digest = hashlib.sha256("\x00".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def flexible_offset(schedule_uid: str, occurrence: datetime, max_window_minutes: int) -> timedelta:
    """When, within `[occurrence, occurrence + window]`, this occurrence is invoked.

    Whole seconds, uniform over `0 … window × 60`, the same for a given schedule and occurrence
    on every replica. A window of 0 (mode OFF) gives no offset.
    """
    if not 0 <= max_window_minutes <= MAX_WINDOW_MINUTES:
        raise ValueError(f"max_window_minutes must be 0–{MAX_WINDOW_MINUTES}, got {max_window_minutes}")
    seconds = _hash("window", schedule_uid, to_utc(occurrence, "occurrence").isoformat())
    return timedelta(seconds=seconds % (max_window_minutes * 60 + 1))


def retry_delay(attempt: int, *, seed: str = "") -> timedelta:
    """How long to wait after failed attempt number `attempt` (1 = the first invocation).

    `seed` spreads the jitter of different occurrences apart; pass `occurrence_key(...)`.
    """
    if attempt < 1:
        raise ValueError(f"attempt counts from 1, got {attempt}")
    nominal = min(RETRY_CAP, RETRY_BASE * 2 ** min(attempt - 1, 30))
    fraction = _hash("retry", seed, str(attempt)) / 2**64  # [0, 1)
    milliseconds = round(nominal / timedelta(milliseconds=1) * (1 + fraction) / 2)
    return timedelta(milliseconds=milliseconds)


def should_retry(
    attempt: int,
    first_attempt_at: datetime,
    now: datetime,
    maximum_retry_attempts: int,
    maximum_event_age_seconds: int,
    *,
    seed: str = "",
) -> bool:
    """Whether failed attempt number `attempt` gets another try (RetryPolicy).

    Attempt 1 is the invocation itself, so `maximum_retry_attempts` = 2 allows attempts 2 and 3.
    A retry is also refused when it would start (after `retry_delay(attempt, seed=seed)`) more than
    `maximum_event_age_seconds` after `first_attempt_at` — pass the occurrence time there to
    measure the event's age as AWS does.
    """
    if maximum_retry_attempts < 0 or maximum_event_age_seconds < 0:
        raise ValueError("retry limits cannot be negative")
    if attempt > maximum_retry_attempts:
        return False
    retry_at = to_utc(now, "now") + retry_delay(attempt, seed=seed)
    age_at_retry = retry_at - to_utc(first_attempt_at, "first_attempt_at")
    return age_at_retry <= timedelta(seconds=maximum_event_age_seconds)


def occurrence_key(schedule_uid: str, occurrence: datetime) -> str:
    """A short, DNS-label-safe idempotency key for one occurrence of one schedule.

    `202612011000-k3v7qa`: the occurrence's UTC minute (so task names sort by time and read
    well in `kubectl get`) and six base-32 characters of a hash of the schedule's uid and the
    exact occurrence (so a schedule deleted and re-created under the same name, or a `rate()`
    occurrence with seconds, never collides). 19 characters of `[0-9a-z-]`, leaving room in a
    63-character name for the schedule's own name.
    """
    instant = to_utc(occurrence, "occurrence")
    value = _hash("key", schedule_uid, instant.isoformat())
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    suffix = "".join(alphabet[(value >> (5 * i)) & 31] for i in range(_KEY_HASH_CHARS))
    return f"{instant:%Y%m%d%H%M}-{suffix}"
