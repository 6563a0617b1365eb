"""`ecs-operator api`: the HTTPS shell around `operations` (ECS's JSON 1.1 protocol).

A request is ``POST /`` with ``X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Operation>``
and a JSON body, signed with SigV4. The server:

1. refuses a body over `MAX_BODY` bytes (HTTP 413) before reading it;
2. finds the access key (a Secret, `kube.accesskeys`) with its own credentials — unknown key:
   UnrecognizedClientException — and verifies the signature (`sigv4`);
3. counts the request against the key's rate limit (`throttle`: ThrottlingException), then
   refuses JSON that is not an object and operations it does not implement;
4. runs the operation impersonating the key's Kubernetes user, in the key's namespace, so the
   API server's RBAC decides: a 403 becomes AccessDeniedException and nothing is changed.

TLS by default (a self-signed certificate when none is given); plain HTTP only on a loopback
address, with ``--insecure-http``.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ecs_operator.ecsapi import (
    attributes,
    capacity,
    deployments,
    protection,
    schedules,
    services,
    settings,
    sigv4,
    tags,
)
from ecs_operator.ecsapi.arns import Arns
from ecs_operator.ecsapi.errors import ApiError, unsupported
from ecs_operator.ecsapi.operations import OPERATIONS, Call, wrap_ecs_errors
from ecs_operator.ecsapi.throttle import RateLimiter
from ecs_operator.kube import accesskeys
from ecs_operator.kube.client import impersonating
from ecs_operator.kube.errors import Invalid, KubeError, NotFound

log = logging.getLogger("ecs_operator.ecsapi")

TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."
CONTENT_TYPE = "application/x-amz-json-1.1"
MAX_BODY = 1024 * 1024
UNKNOWN_KEY = "The security token included in the request is invalid."


@dataclass(frozen=True)
class ServerOptions:
    keys_namespace: str
    default_namespace: str
    arns: Arns
    placement_wait: float = 10.0
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(rate=0, burst=0))


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def handle(
    options: ServerOptions,
    method: str,
    raw_path: str,
    headers: dict[str, str],
    body: bytes,
    now: datetime,
    find_key: Callable[[str, str], accesskeys.AccessKey | None] = accesskeys.find,
) -> tuple[int, dict[str, Any]]:
    """One request → (HTTP status, JSON body). Everything but the HTTP plumbing is here."""
    lower = {k.lower(): v for k, v in headers.items()}
    url = urlsplit(raw_path)
    scheduler = url.path == "/schedules" or url.path.startswith("/schedules/")
    try:
        if scheduler:
            operation = f"scheduler:{method} {url.path}"
        else:
            if method != "POST":
                raise ApiError(
                    "UnknownOperationException", f"{method} is not supported; POST / with X-Amz-Target.", 404
                )
            target = lower.get("x-amz-target", "")
            if not target.startswith(TARGET_PREFIX):
                raise ApiError("UnknownOperationException", f"Unknown target: {target or '(none)'}", 400)
            operation = target[len(TARGET_PREFIX) :]
        auth = sigv4.parse_authorization(lower.get("authorization"))
        key = find_key(options.keys_namespace, auth.access_key)
        if key is None:
            raise ApiError("UnrecognizedClientException", UNKNOWN_KEY)
        sigv4.verify(auth, key.secret, method, url.path, url.query, headers, body, now)
        options.limiter.take(key.key_id)
        try:
            params = json.loads(body or b"{}")
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError("SerializationException", f"Malformed JSON in the request body: {exc}") from exc
        if not isinstance(params, dict):
            raise ApiError("SerializationException", "The request body must be a JSON object.")
        call = Call(key.namespace or options.default_namespace, options.arns, options.placement_wait)
        if scheduler:
            query = dict(parse_qsl(url.query))
            with impersonating(key.user), _kube_errors(key.user, operation):
                return 200, schedules.dispatch(method, url.path, query, params, call)
        op = ALL_OPERATIONS.get(operation)
        if op is None:
            raise unsupported(operation)
        with impersonating(key.user), _kube_errors(key.user, f"ecs:{operation}"):
            return 200, wrap_ecs_errors(op)(params, call)
    except ApiError as err:
        payload = err.body()
        if scheduler:  # REST-JSON: botocore reads the code from x-amzn-ErrorType, the message as Message
            payload["Message"] = err.message
        return err.status, payload


ALL_OPERATIONS = {
    **OPERATIONS,
    **services.OPERATIONS,
    **attributes.OPERATIONS,
    **protection.OPERATIONS,
    **tags.OPERATIONS,
    **capacity.OPERATIONS,
    **deployments.OPERATIONS,
    **settings.OPERATIONS,
}
"""Every ECS operation the server answers; any other is UnsupportedOperationException."""


@contextmanager
def _kube_errors(user: str, action: str) -> Iterator[None]:
    """The API server's refusals as ECS errors: 403 AccessDenied, 422 InvalidParameter (with the
    field path), 404 ClientException, anything else ServerException."""
    try:
        yield
    except Invalid as exc:
        raise ApiError("InvalidParameterException", _kube_message(exc)) from exc
    except NotFound as exc:
        raise ApiError("ClientException", _kube_message(exc)) from exc
    except KubeError as exc:
        if exc.status in (401, 403):
            message = f"User: {user} is not authorized to perform: {action} ({_kube_message(exc)})"
            raise ApiError("AccessDeniedException", message) from exc
        raise ApiError("ServerException", _kube_message(exc), 500) from exc


def _kube_message(exc: KubeError) -> str:
    """The API server's own message (with its field path) out of the error's body."""
    text = str(exc)
    start = text.find("{")
    if start >= 0:
        try:
            return str(json.loads(text[start:]).get("message") or text)
        except ValueError:
            pass
    return text


class _Handler(BaseHTTPRequestHandler):
    server_version = "ecs-operator-api"
    options: ServerOptions

    def _answer(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        if "__type" in payload:
            self.send_header("x-amzn-ErrorType", str(payload["__type"]))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY or length < 0:
            self.close_connection = True
            if 0 < length <= 8 * MAX_BODY:  # drained, so that the client reads the answer
                self.rfile.read(length)
            self._answer(
                413,
                ApiError(
                    "RequestEntityTooLargeException", f"Request body over {MAX_BODY} bytes.", 413
                ).body(),
            )
            return
        body = self.rfile.read(length)
        headers = {k: v for k, v in self.headers.items()}
        status, payload = handle(self.options, method, self.path, headers, body, datetime.now(UTC))
        if status >= 400:
            log.info(
                "%s %s -> %s %s",
                self.headers.get("X-Amz-Target"),
                self.client_address[0],
                status,
                payload.get("__type"),
            )
        self._answer(status, payload)

    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._answer(200, {"status": "ok"})
        else:
            self._handle("GET")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)


def make_server(
    options: ServerOptions, host: str, port: int, certfile: str | None, keyfile: str | None
) -> ThreadingHTTPServer:
    """Bound and ready; TLS when `certfile` is given (the caller refuses plain HTTP off loopback)."""
    handler = type("Handler", (_Handler,), {"options": options})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    if certfile:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certfile, keyfile)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    return server


def serve_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name="ecs-api", daemon=True)
    thread.start()
    return thread
