"""How literals and instance values compare: numbers, semantic versions, dates, ordered strings.

- **Attributes and task groups** compare as strings for ``==``/``!=``/``in``. For ``>``, ``>=``,
  ``<``, ``<=`` they compare as numbers when *both* sides are decimal numbers (``-?[0-9]+(.[0-9]+)?``,
  so ``10 > 9``), otherwise as strings by code point (``b > a``, ``10 < 9`` only if one side is not
  a number). Equality stays textual: ``attribute:x == 1`` does not hold for the value ``1.0``.
- **agentVersion** compares by semantic version: numeric components (``1.14.5 < 1.14.10``), a
  leading ``v`` tolerated, missing components are zero (``1.14 == 1.14.0``), a pre-release
  (``-rc.1``) sorts before its release, build metadata (``+abc``) is ignored. An instance whose
  version does not parse is treated like one without a version.
- **registeredAt** compares instants in UTC. A date-only literal (``2018-06-18``) stands for the
  whole UTC day: the instance's registration date is compared with it, so ``== 2018-06-18`` means
  "registered that day" and ``> 2018-06-18`` means "registered on a later day".
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Protocol

__all__ = [
    "VersionKey",
    "parse_moment",
    "parse_number",
    "parse_version",
    "sign",
    "utc",
]

_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_IDENTIFIERS = r"[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*"
_VERSION = re.compile(rf"v?([0-9]+(?:\.[0-9]+)*)(?:-({_IDENTIFIERS}))?(?:\+{_IDENTIFIERS})?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:Z|[+-][0-9]{2}:[0-9]{2})?")

#: (release components without trailing zeros, 1 for a release or 0 for a pre-release, the
#: pre-release identifiers as (0, number) or (1, text) so numbers sort before words).
VersionKey = tuple[tuple[int, ...], int, tuple[tuple[int, int | str], ...]]


class _Ordered(Protocol):
    def __lt__(self, other: Any, /) -> bool: ...
    def __gt__(self, other: Any, /) -> bool: ...


def sign(left: _Ordered, right: _Ordered) -> int:
    """-1, 0 or 1 as ``left`` is below, equal to or above ``right``."""
    return int(left > right) - int(left < right)


@functools.lru_cache(maxsize=4096)
def parse_number(text: str) -> Decimal | None:
    """The decimal number ``text`` spells, or None; no exponents, spaces, underscores or NaN."""
    return Decimal(text) if _NUMBER.fullmatch(text) else None


@functools.lru_cache(maxsize=1024)
def parse_version(text: str) -> VersionKey | None:
    """The comparison key of a semantic version such as ``1.14.5`` or ``v1.15.0-rc.1``, or None."""
    match = _VERSION.fullmatch(text)
    if match is None:
        return None
    try:
        release = [int(part) for part in match[1].split(".")]
        pre = tuple((0, int(i)) if i.isdigit() else (1, i) for i in (match[2] or "").split(".") if i)
    except ValueError:  # more digits than int() accepts
        return None
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    return (tuple(release), 0 if pre else 1, pre)


def parse_moment(text: str) -> tuple[datetime, bool] | None:
    """``(instant in UTC, date_only)`` for the four registeredAt forms, or None.

    Accepted: ``2018-06-18T22:28:28+00:00`` (any ±HH:MM offset), ``2018-06-18T22:28:28Z``,
    ``2018-06-18T22:28:28`` (UTC) and ``2018-06-18`` (the UTC day).
    """
    try:
        if _DATE.fullmatch(text):
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC), True
        if _DATE_TIME.fullmatch(text):
            moment = utc(datetime.fromisoformat(text))
            return None if moment is None else (moment, False)
    except ValueError:  # 2018-02-30, 25:00:00, an offset of 24 hours or more
        return None
    return None


def utc(moment: datetime) -> datetime | None:
    """``moment`` in UTC (a naive one is taken as UTC); None if it cannot be expressed in UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before datetime.min in UTC
        return None
