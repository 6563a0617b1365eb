"""`errors.translate` and `map_api_errors`: what a caller of `kube/` sees for each answer."""

from __future__ import annotations

import pytest
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from ecs_operator.kube.errors import (
    AlreadyExists,
    Conflict,
    Invalid,
    KubeError,
    NotFound,
    map_api_errors,
    translate,
)
from tests.support.fakestore import api_exception


@pytest.mark.parametrize(
    ("status", "reason", "kind"),
    [
        (409, "Conflict", Conflict),
        (409, "AlreadyExists", AlreadyExists),
        (404, "NotFound", NotFound),
        (400, "BadRequest", Invalid),
        (422, "Invalid", Invalid),
        (410, "Expired", KubeError),
        (403, "Forbidden", KubeError),
        (429, "TooManyRequests", KubeError),
        (500, "InternalError", KubeError),
        (503, "ServiceUnavailable", KubeError),
        (504, "Timeout", KubeError),
    ],
    ids=[
        "409-conflict",
        "409-already-exists",
        "404",
        "400",
        "422",
        "410-gone",
        "403",
        "429",
        "500",
        "503",
        "504",
    ],
)
def test_translate(status: int, reason: str, kind: type[KubeError]) -> None:
    error = translate(api_exception(status, reason))
    assert type(error) is kind
    assert error.status == status
    assert reason in str(error)


def test_a_status_less_exception_is_a_kube_error_with_status_0() -> None:
    error = translate(ApiException(status=0, reason="SSLError"))
    assert type(error) is KubeError and error.status == 0


def test_already_exists_is_a_conflict() -> None:
    """Callers that re-read on any 409 also re-read on AlreadyExists."""
    assert issubclass(AlreadyExists, Conflict)


@pytest.mark.parametrize(
    "raised",
    [
        ReadTimeoutError(None, "/x", "Read timed out."),
        ProtocolError("Connection aborted.", ConnectionResetError(104, "reset")),
    ],
    ids=["read-timeout", "connection-reset"],
)
def test_no_answer_is_a_kube_error_with_status_0(raised: Exception) -> None:
    @map_api_errors
    def call() -> None:
        raise raised

    with pytest.raises(KubeError) as caught:
        call()
    assert type(caught.value) is KubeError and caught.value.status == 0
    assert caught.value.__cause__ is raised


def test_other_exceptions_pass_through() -> None:
    @map_api_errors
    def call() -> None:
        raise ValueError("a bug, not an API error")

    with pytest.raises(ValueError):
        call()
