"""Accounting of the rest of the process: scheduled launches, Leases held, handler errors, and
the /metrics endpoint itself.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import ParamSpec, TypeVar

from prometheus_client import start_http_server

from ecs_operator.metrics.families import (
    CLUSTERS_HELD,
    RECONCILE_ERRORS,
    REGISTRY,
    SCHEDULED_LAG,
    SCHEDULED_MISSED,
)
from ecs_operator.metrics.safety import safe

log = logging.getLogger("ecs_operator.metrics")
P = ParamSpec("P")
R = TypeVar("R")

# -- scheduled tasks -----------------------------------------------------------------------------


@safe
def scheduled_task_created(cluster: str, invoked_at: datetime, attempt: int) -> None:
    """A ScheduledTask's task was created; its lag counts for the invocation (attempt 1) only."""
    if attempt == 1:
        SCHEDULED_LAG.labels(cluster).observe(max((datetime.now(UTC) - invoked_at).total_seconds(), 0.0))


@safe
def scheduled_runs_missed(namespace: str, name: str, count: int, reason: str) -> None:
    """Invocations that will never run (`skipped`, `retries_exhausted`)."""
    SCHEDULED_MISSED.labels(namespace, name, reason).inc(count)


# -- leadership ----------------------------------------------------------------------------------


@safe
def clusters_held(count: int) -> None:
    """How many cluster Leases this replica holds now (handlers/leadership.py, every tick)."""
    CLUSTERS_HELD.set(count)


# -- errors --------------------------------------------------------------------------------------


def counts_errors(kind: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a (synchronous) handler: an exception escaping it is counted, then re-raised.

    `functools.wraps` keeps Kopf's handler id (it follows `__wrapped__`), so persisted progress of
    a wrapped handler is still found after an upgrade.
    """

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                reconcile_error(kind, exc)
                raise

        return wrapper

    return decorate


@safe
def reconcile_error(kind: str, error: BaseException) -> None:
    RECONCILE_ERRORS.labels(kind, type(error).__name__).inc()


# -- the endpoint --------------------------------------------------------------------------------


def serve(port: int, address: str = "0.0.0.0") -> bool:
    """Serve /metrics on `port` (0: not at all). A port already taken is logged, not fatal:
    scheduling matters more than its metrics (and two local operators must be able to run)."""
    if port == 0:
        return False
    try:
        start_http_server(port, address, registry=REGISTRY)
    except OSError as exc:
        log.error("metrics: cannot listen on %s:%d (%s); running without metrics", address, port, exc)
        return False
    log.info("metrics: serving http://%s:%d/metrics", address, port)
    return True
