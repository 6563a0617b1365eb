"""SigV4 as the server checks it: AWS's published example, and each way a request can be wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ecs_operator.ecsapi import sigv4
from ecs_operator.ecsapi.errors import ApiError

# AWS's example "GET https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08" (SigV4 docs).
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
    "X-Amz-Date": "20150830T123600Z",
    "Host": "iam.amazonaws.com",
}
AUTH = (
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date, "
    "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
)
QUERY = "Action=ListUsers&Version=2010-05-08"
NOW = datetime(2015, 8, 30, 12, 40, tzinfo=UTC)


def check(
    auth: str = AUTH,
    secret: str = SECRET,
    headers: dict[str, str] = HEADERS,
    body: bytes = b"",
    now: datetime = NOW,
) -> None:
    parsed = sigv4.parse_authorization(auth)
    sigv4.verify(parsed, secret, "GET", "/", QUERY, headers, body, now)


def test_aws_example_verifies() -> None:
    check()


def test_parsed_scope() -> None:
    parsed = sigv4.parse_authorization(AUTH)
    assert (parsed.access_key, parsed.scope, parsed.signed_headers) == (
        "AKIDEXAMPLE",
        "20150830/us-east-1/iam/aws4_request",
        ("content-type", "host", "x-amz-date"),
    )


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        pytest.param({"secret": "wrong"}, "InvalidSignatureException", "does not match", id="wrong-secret"),
        pytest.param({"body": b"x"}, "InvalidSignatureException", "does not match", id="tampered-body"),
        pytest.param(
            {"headers": {**HEADERS, "Host": "evil.example"}},
            "InvalidSignatureException",
            "does not match",
            id="tampered-signed-header",
        ),
        pytest.param(
            {"now": NOW + timedelta(minutes=16)},
            "InvalidSignatureException",
            "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z (20150830T125600Z - 15 min.)",
            id="stale-date",
        ),
        pytest.param(
            {"now": NOW - timedelta(minutes=30)},
            "InvalidSignatureException",
            "not yet current",
            id="future-date",
        ),
        pytest.param(
            {"auth": ""}, "MissingAuthenticationTokenException", "Missing Authentication Token", id="unsigned"
        ),
        pytest.param({"auth": "Bearer abc"}, "IncompleteSignatureException", "Credential", id="not-sigv4"),
        pytest.param(
            {"auth": AUTH.replace("content-type;host;x-amz-date", "content-type;x-amz-date")},
            "InvalidSignatureException",
            "'host' must be a signed header",
            id="host-unsigned",
        ),
    ],
)
def test_refusals(change: dict[str, object], code: str, message: str) -> None:
    with pytest.raises(ApiError) as caught:
        check(**change)  # type: ignore[arg-type]
    assert caught.value.code == code
    assert message in caught.value.message


def test_unsigned_header_changes_do_not_matter() -> None:
    check(headers={**HEADERS, "User-Agent": "anything"})
