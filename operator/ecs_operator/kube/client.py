"""API clients for the operator: kubeconfig or in-cluster configuration, loaded once.

Why a module: Kopf authenticates its own watches, but our writes (status with resourceVersion,
pods) go through the official client; both must use the same credentials, chosen in one place.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol, TypeVar, cast

from kubernetes import client, config

from ecs_operator.kube.views import Obj

M = TypeVar("M")


@dataclass(frozen=True)
class Clients:
    """The typed API groups the operator uses."""

    core: client.CoreV1Api
    custom: client.CustomObjectsApi
    networking: client.NetworkingV1Api
    coordination: client.CoordinationV1Api
    api: client.ApiClient


def configure(kubeconfig: str | None = None) -> None:
    """Load credentials: an explicit kubeconfig, else in-cluster, else $KUBECONFIG / ~/.kube/config."""
    if kubeconfig:
        os.environ["KUBECONFIG"] = kubeconfig
        config.load_kube_config(config_file=kubeconfig)
    elif os.environ.get("KUBERNETES_SERVICE_HOST") and not os.environ.get("KUBECONFIG"):
        config.load_incluster_config()
    else:
        config.load_kube_config()
    clients.cache_clear()


def _build(impersonate: str | None = None) -> Clients:
    cfg = client.Configuration.get_default_copy()
    # Many handlers run in Kopf's thread pool (32) at once, and placement's claim writes (16) and
    # the service passes' task writes (8 passes, 16 writes) beside them; the default pool of 4
    # would serialize them, and a pool smaller than the threads discards connections (each new
    # one is a TLS handshake: "Connection pool is full" in a fill of 1,000 tasks, issue 15).
    cfg.connection_pool_maxsize = 96
    api = client.ApiClient(cfg)
    if impersonate is not None:
        # A user only: for `system:serviceaccount:<ns>:<name>` the API server adds the service
        # account's groups itself. (Several Impersonate-Group headers cannot be sent through the
        # client's one-value default headers, so groups are not impersonated.)
        api.set_default_header("Impersonate-User", impersonate)
    _bound_requests(api)
    return Clients(
        core=client.CoreV1Api(api),
        custom=client.CustomObjectsApi(api),
        networking=client.NetworkingV1Api(api),
        coordination=client.CoordinationV1Api(api),
        api=api,
    )


_caller: ContextVar[Clients | None] = ContextVar("ecs_operator_caller_clients", default=None)


class _ClientsAccessor:
    """`clients()`: the caller's clients inside `impersonating`, else the process's own (cached)."""

    def __call__(self) -> Clients:
        override = _caller.get()
        return override if override is not None else _own()

    def cache_clear(self) -> None:
        _own.cache_clear()
        _impersonated.cache_clear()


@cache
def _own() -> Clients:
    return _build()


@cache
def _impersonated(user: str) -> Clients:
    return _build(user)


clients = _ClientsAccessor()


@contextmanager
def impersonating(user: str) -> Iterator[None]:
    """Every API call in this context (this thread or task) is made as `user` (Kubernetes
    impersonation), so Kubernetes RBAC decides what it may do: the ECS API server's path."""
    token = _caller.set(_impersonated(user))
    try:
        yield
    finally:
        _caller.reset(token)


REQUEST_TIMEOUT = (5.0, 30.0)
"""(connect, read) seconds for every request that does not set its own.

Why: the official client waits forever by default, so a stalled connection (a half-open TCP
connection, a proxy that stops forwarding) would hold a handler's thread for good. With a bound,
the request fails as a `KubeError` (kube.errors maps urllib3's errors), and the level-triggered
handlers retry from a fresh read: a write that timed out may or may not have been applied, and
every write here is idempotent or compare-and-swap, so trying again is safe.
"""


def _bound_requests(api: client.ApiClient) -> None:
    rest = api.rest_client
    unbounded: Callable[..., Any] = rest.request

    def request(*args: Any, _request_timeout: Any = None, **kwargs: Any) -> Any:
        return unbounded(*args, _request_timeout=_request_timeout or REQUEST_TIMEOUT, **kwargs)

    rest.request = request  # type: ignore[method-assign]


def as_model(body: Mapping[str, object], model: type[M]) -> M:
    """`body` passed where the client's signature names a model class (`V1Pod`, …).

    The client serializes a plain dict unchanged (camelCase, exactly as written), which is how the
    operator builds every body; this states that once, typed, instead of an untyped cast at every call.
    `model` is only the type the call expects: nothing is converted.
    """
    del model
    return cast(M, body)


class _Raw(Protocol):
    """An unparsed response (`_preload_content=False`): the JSON bytes as served."""

    data: bytes


def raw_json(response: object) -> Obj:
    """The JSON of a call made with `_preload_content=False`: the client's signature still names
    the model (`V1Pod`, `V1Lease`), but what comes back is the raw response, parsed here once.

    Why: the client turns a response into its model objects and `plain_object` turns them back
    into dicts, two passes over every field; py-spy showed the pod's create among the costliest
    calls of a service's fill for that alone (issue 15). MicroTime fields also stay as served.
    """
    data: Obj = json.loads(cast(_Raw, response).data)
    return data


def plain_object(value: object) -> Obj:
    """A client model (`V1Pod`, a list, …) as the JSON the API served: camelCase plain dicts."""
    return cast(Obj, clients().api.sanitize_for_serialization(value))
