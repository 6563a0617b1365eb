"""AWS Signature Version 4, checked on the server's side (pure: no clock, no key store).

Why here and not botocore's signer: botocore cannot be installed beside the pinned kubernetes
client (botocore requires python-dateutil<3, kubernetes>=3), so the few lines of SigV4 are
written out, and checked against AWS's published example and against real boto3 requests in the
integration tests.

The algorithm (AWS's "Create a signed AWS API request")::

    canonical request = METHOD \\n canonical URI \\n canonical query \\n
                        (name:trimmed value \\n for each signed header, sorted) \\n
                        signed header names joined by ; \\n hex(sha256(body))
    string to sign    = AWS4-HMAC-SHA256 \\n X-Amz-Date \\n <date>/<region>/<service>/aws4_request \\n
                        hex(sha256(canonical request))
    signing key       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
    signature         = hex(HMAC(signing key, string to sign))

What a request must carry: ``Authorization: AWS4-HMAC-SHA256 Credential=<key>/<scope>,
SignedHeaders=..., Signature=...``; ``host`` and ``x-amz-date`` among the signed headers; an
``X-Amz-Date`` within 15 minutes of the server's clock, on the day of the credential scope.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote

from ecs_operator.ecsapi.errors import ApiError

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW = timedelta(minutes=15)
_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),"
    r"\s*Signature=(?P<signature>[0-9a-f]{64})\s*$"
)
BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)


@dataclass(frozen=True)
class Authorization:
    """The parsed ``Authorization`` header."""

    access_key: str
    date: str  # YYYYMMDD of the credential scope
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


def parse_authorization(header: str | None) -> Authorization:
    if not header:
        raise ApiError("MissingAuthenticationTokenException", "Missing Authentication Token")
    match = _AUTH.match(header.strip())
    if not match:
        raise ApiError(
            "IncompleteSignatureException",
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters"
            " (AWS4-HMAC-SHA256).",
        )
    parts = match["credential"].split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise ApiError("IncompleteSignatureException", f"Credential is malformed: {match['credential']}")
    signed = tuple(match["signed"].split(";"))
    return Authorization(parts[0], parts[1], parts[2], parts[3], signed, match["signature"])


def _canonical_uri(path: str) -> str:
    # Non-S3 services encode the path twice: the client sent it encoded once (this `path`, as
    # received), and the canonical form encodes that again.
    return quote(path or "/", safe="/~")


def _canonical_query(query: str) -> str:
    pairs = sorted(
        (quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in parse_qsl(query, keep_blank_values=True)
    )
    return "&".join(f"{k}={v}" for k, v in pairs)


def canonical_request(
    method: str, path: str, query: str, headers: Mapping[str, str], signed: tuple[str, ...], body: bytes
) -> str:
    lower = {k.lower(): v for k, v in headers.items()}
    lines = "".join(f"{name}:{' '.join(lower.get(name, '').split())}\n" for name in signed)
    return "\n".join(
        [
            method.upper(),
            _canonical_uri(path),
            _canonical_query(query),
            lines,
            ";".join(signed),
            hashlib.sha256(body).hexdigest(),
        ]
    )


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signature(secret: str, auth: Authorization, amz_date: str, canonical: str) -> str:
    to_sign = "\n".join([ALGORITHM, amz_date, auth.scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(("AWS4" + secret).encode(), auth.date)
    for part in (auth.region, auth.service, "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def check_date(amz_date: str | None, auth: Authorization, now: datetime) -> None:
    """X-Amz-Date present, on the scope's day, and within 15 minutes of `now`."""
    if not amz_date:
        raise ApiError("IncompleteSignatureException", "Authorization requires an X-Amz-Date header.")
    try:
        when = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise ApiError("IncompleteSignatureException", f"X-Amz-Date is malformed: {amz_date}") from exc
    if amz_date[:8] != auth.date:
        raise ApiError("InvalidSignatureException", "Date in Credential scope does not match X-Amz-Date.")
    stamp = "%Y%m%dT%H%M%SZ"
    if when < now - MAX_SKEW:
        raise ApiError(
            "InvalidSignatureException",
            f"Signature expired: {amz_date} is now earlier than {(now - MAX_SKEW).strftime(stamp)}"
            f" ({now.strftime(stamp)} - 15 min.)",
        )
    if when > now + MAX_SKEW:
        raise ApiError(
            "InvalidSignatureException",
            f"Signature not yet current: {amz_date} is still later than {(now + MAX_SKEW).strftime(stamp)}"
            f" ({now.strftime(stamp)} + 15 min.)",
        )


def verify(
    auth: Authorization,
    secret: str,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
) -> None:
    """Raise `ApiError` unless the request is signed with `secret`, recently, over host and date."""
    for required in ("host", "x-amz-date"):
        if required not in auth.signed_headers:
            raise ApiError("InvalidSignatureException", f"'{required}' must be a signed header.")
    lower = {k.lower(): v for k, v in headers.items()}
    amz_date = lower.get("x-amz-date")
    check_date(amz_date, auth, now)
    canonical = canonical_request(method, path, query, headers, auth.signed_headers, body)
    expected = signature(secret, auth, str(amz_date), canonical)
    if not hmac.compare_digest(expected, auth.signature):
        raise ApiError("InvalidSignatureException", BAD_SIGNATURE)
