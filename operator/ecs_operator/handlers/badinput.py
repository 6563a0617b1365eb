"""Bad input never wedges a handler: errors from a spec become a report, not a retry loop.

Why at the entry points: a handler that raises on a spec it cannot read raises again on every
event and every timer tick of that object (Kopf logs a traceback each time, the reconcile-error
counter climbs, and nothing tells the object's owner). The pure core already refuses what it can
with ECS's words (`reconcile.validation`, `LaunchFailed`); this guard is the last line for what
slips past: a `ValueError` (QuerySyntaxError, PlacementSpecError, pydantic's ValidationError,
units), a `ResolveError`, or a `KeyError`/`TypeError` on an optional field that is absent or of
an unexpected shape. It reports through the kind's own `report` (a status field, a condition)
and a Warning Event once per object and message, logs the traceback once, counts the error, and
returns normally. Errors talking to the API server are not caught: Kopf retries those.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

import kopf

from ecs_operator import metrics
from ecs_operator.kube.objects import Obj, plain
from ecs_operator.reconcile.taskdefs import ResolveError

BAD_INPUT: tuple[type[Exception], ...] = (ValueError, ResolveError, KeyError, TypeError)
P = ParamSpec("P")
R = TypeVar("R")
log = logging.getLogger(__name__)

_reported: dict[str, str] = {}
_guard = threading.Lock()


def first_time(uid: str, message: str) -> bool:
    """True the first time this object meets this message (bounded: a restart reports again)."""
    with _guard:
        if _reported.get(uid) == message:
            return False
        if len(_reported) > 10_000:
            _reported.clear()
        _reported[uid] = message
        return True


def describe(error: BaseException) -> str:
    if isinstance(error, KeyError):
        return f"missing field {error.args[0]!r}" if error.args else "missing field"
    return str(error) or type(error).__name__


def warn_once(body: Obj, reason: str, message: str) -> None:
    uid = str((body.get("metadata") or {}).get("uid", ""))
    if first_time(uid, message):
        kopf.warn(cast(kopf.Body, body), reason=reason, message=message[:1000])


def reports_bad_input(
    kind: str, report: Callable[[Obj, str], None] | None = None
) -> Callable[[Callable[P, R | None]], Callable[P, R | None]]:
    """Decorate a synchronous handler that receives `body`: bad input is reported, not raised."""

    def decorate(fn: Callable[P, R | None]) -> Callable[P, R | None]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | None:
            try:
                return fn(*args, **kwargs)
            except BAD_INPUT as exc:
                body = plain(cast(Any, kwargs.get("body") or {}))
                message = describe(exc)
                metrics.reconcile_error(kind, exc)
                meta = body.get("metadata") or {}
                if first_time(f"log:{meta.get('uid')}", message):
                    log.exception(
                        "%s %s/%s: bad input: %s", kind, meta.get("namespace"), meta.get("name"), message
                    )
                if report is not None:
                    report(body, message)
                else:
                    warn_once(body, "InvalidSpec", message)
                return None

        return wrapper

    return decorate
