"""One error hierarchy for the API boundary: callers never see `ApiException`.

A 409 becomes `Conflict` (re-read and retry: the optimistic-concurrency protocol of
architecture.md §2), a 404 `NotFound`, a 422/400 `Invalid` (a permanent error to report),
everything else `KubeError`. A request that got no answer (a read timeout, a reset connection:
urllib3's errors, which the official client lets through) is `KubeError` with status 0, so a
caller that handles API errors handles those too: a write that timed out may or may not have
been applied, and only a re-read can tell.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

P = ParamSpec("P")
R = TypeVar("R")


class KubeError(Exception):
    """An API call failed; `status` is the HTTP status (0 when there was no response)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class Conflict(KubeError):
    """The object changed since it was read (409): re-read it and try again."""


class NotFound(KubeError):
    """The object does not exist (404)."""


class AlreadyExists(Conflict):
    """Create found an object of that name (409 AlreadyExists)."""


class Invalid(KubeError):
    """The API server refused the object (400/422): retrying cannot help."""


def map_api_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Translate `ApiException` into this module's hierarchy."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except ApiException as exc:
            raise translate(exc) from exc
        except HTTPError as exc:  # no response: timeout, reset, refused
            raise KubeError(f"no answer from the API server: {exc!r}"[:2000], 0) from exc

    return wrapper


def translate(exc: ApiException) -> KubeError:
    status = int(exc.status or 0)
    message = f"{exc.status} {exc.reason}: {exc.body!s}"[:2000]
    if status == 409:
        return (
            AlreadyExists(message, status) if "AlreadyExists" in str(exc.body) else Conflict(message, status)
        )
    if status == 404:
        return NotFound(message, status)
    if status in (400, 422):
        return Invalid(message, status)
    return KubeError(message, status)
