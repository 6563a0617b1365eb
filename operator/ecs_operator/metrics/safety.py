"""Exception safety and value coercion shared by every accounting function.

Why this module exists: accounting must never fail a handler. Each public function of the
metrics package is wrapped in `safe`, which logs its first failure and goes on; bodies read from
watch events may be malformed, so values are coerced (`text`, `number`) rather than trusted.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, ParamSpec

from prometheus_client import Counter

log = logging.getLogger("ecs_operator.metrics")
P = ParamSpec("P")

_reported: set[str] = set()


def safe(fn: Callable[P, None]) -> Callable[P, None]:
    """Accounting must never fail a handler: log the first failure of each function, go on."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            fn(*args, **kwargs)
        except Exception:
            if fn.__name__ not in _reported:
                _reported.add(fn.__name__)
                log.warning("metrics: %s failed (reported once)", fn.__name__, exc_info=True)

    return wrapper


def text(value: Any) -> str:
    return "" if value is None else str(value)


def number(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def count(counter: Counter, *labels: str) -> None:
    counter.labels(*labels).inc()
