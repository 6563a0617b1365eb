"""The front door (`server.handle`) without a network or an API server: the key lookup is a
table, and every refusal happens before any Kubernetes call."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from ecs_operator.ecsapi import sigv4
from ecs_operator.ecsapi.arns import Arns
from ecs_operator.ecsapi.server import TARGET_PREFIX, ServerOptions, handle, is_loopback
from ecs_operator.kube.accesskeys import AccessKey

NOW = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
KEY = AccessKey("AKIATEST", "secret", "system:serviceaccount:team:ci", None)
OPTIONS = ServerOptions("keys", "default", Arns())


def find(namespace: str, key_id: str) -> AccessKey | None:
    assert namespace == "keys"
    return KEY if key_id == KEY.key_id else None


def signed(operation: str, body: bytes, key_id: str = KEY.key_id, secret: str = KEY.secret) -> dict[str, str]:
    """Headers signed the way an SDK signs them (host, x-amz-date, x-amz-target)."""
    headers = {
        "Host": "127.0.0.1:8443",
        "X-Amz-Date": NOW.strftime("%Y%m%dT%H%M%SZ"),
        "X-Amz-Target": TARGET_PREFIX + operation,
        "Content-Type": "application/x-amz-json-1.1",
    }
    names = ("content-type", "host", "x-amz-date", "x-amz-target")
    auth = sigv4.Authorization(key_id, NOW.strftime("%Y%m%d"), "us-east-1", "ecs", names, "0" * 64)
    canonical = sigv4.canonical_request("POST", "/", "", headers, names, body)
    signature = sigv4.signature(secret, auth, headers["X-Amz-Date"], canonical)
    headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={key_id}/{auth.scope}, SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return headers


@pytest.mark.parametrize(
    ("operation", "body", "key_id", "secret", "code"),
    [
        pytest.param(
            "SubmitTaskStateChange",
            b"{}",
            KEY.key_id,
            KEY.secret,
            "UnsupportedOperationException",
            id="unsupported",
        ),
        pytest.param(
            "ListClusters", b"{nope", KEY.key_id, KEY.secret, "SerializationException", id="malformed-json"
        ),
        pytest.param(
            "ListClusters", b"[]", KEY.key_id, KEY.secret, "SerializationException", id="not-an-object"
        ),
        pytest.param(
            "ListClusters", b"{}", "AKIAOTHER", KEY.secret, "UnrecognizedClientException", id="unknown-key"
        ),
        pytest.param(
            "ListClusters", b"{}", KEY.key_id, "wrong", "InvalidSignatureException", id="wrong-secret"
        ),
    ],
)
def test_refused_before_kubernetes(operation: str, body: bytes, key_id: str, secret: str, code: str) -> None:
    status, payload = handle(OPTIONS, "POST", "/", signed(operation, body, key_id, secret), body, NOW, find)
    assert (status, payload["__type"]) == (400, code)
    if code == "UnsupportedOperationException":
        assert "SubmitTaskStateChange" in payload["message"]


def test_unknown_target_and_method() -> None:
    headers = signed("ListClusters", b"{}")
    headers["X-Amz-Target"] = "SomethingElse.ListClusters"
    assert handle(OPTIONS, "POST", "/", headers, b"{}", NOW, find)[1]["__type"] == "UnknownOperationException"
    assert handle(OPTIONS, "GET", "/", {}, b"", NOW, find)[0] == 404


def test_tampered_target_breaks_the_signature() -> None:
    headers = signed("ListClusters", b"{}")
    headers["X-Amz-Target"] = TARGET_PREFIX + "DeleteCluster"
    assert handle(OPTIONS, "POST", "/", headers, b"{}", NOW, find)[1]["__type"] == "InvalidSignatureException"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("::1", True), ("localhost", True), ("0.0.0.0", False), ("10.0.0.1", False)],
)
def test_plain_http_only_on_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_signature_helper_matches_hmac_chain() -> None:
    """The signing key is the documented HMAC chain (a cross-check of `sigv4.signature`)."""
    auth = sigv4.Authorization("k", "20261203", "us-east-1", "ecs", ("host",), "0" * 64)
    key = ("AWS4" + "s").encode()
    for part in ("20261203", "us-east-1", "ecs", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", "20261203T000000Z", auth.scope, hashlib.sha256(b"c").hexdigest()]
    )
    assert (
        sigv4.signature("s", auth, "20261203T000000Z", "c")
        == hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    )


def test_throttled_per_key_after_the_signature() -> None:
    from ecs_operator.ecsapi.throttle import RateLimiter

    clock = [0.0]
    limited = ServerOptions(
        "keys", "default", Arns(), limiter=RateLimiter(rate=1, burst=2, clock=lambda: clock[0])
    )
    body = b"{}"

    def once(key_id: str = KEY.key_id, secret: str = KEY.secret) -> str:
        _, payload = handle(
            limited, "POST", "/", signed("SubmitTaskStateChange", body, key_id, secret), body, NOW, find
        )
        return str(payload["__type"])

    assert [once(), once(), once()] == [
        "UnsupportedOperationException",
        "UnsupportedOperationException",
        "ThrottlingException",
    ]
    assert once(secret="wrong") == "InvalidSignatureException"  # a bad signature spends nothing
    clock[0] += 1.0  # one token back per second
    assert [once(), once()] == ["UnsupportedOperationException", "ThrottlingException"]
