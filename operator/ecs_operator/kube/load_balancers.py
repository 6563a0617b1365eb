"""Apply load balancer registration: the Service object and the target label on task pods."""

from __future__ import annotations

import contextlib

from kubernetes import client

from ecs_operator.kube.client import as_model, clients, plain_object
from ecs_operator.kube.errors import AlreadyExists, NotFound, map_api_errors
from ecs_operator.kube.views import Obj
from ecs_operator.names import SERVICE_LABEL, TARGET_LABEL


@map_api_errors
def _create(namespace: str, body: Obj) -> None:
    clients().core.create_namespaced_service(namespace, as_model(body, client.V1Service))


@map_api_errors
def _patch(namespace: str, name: str, body: Obj) -> None:
    clients().core.patch_namespaced_service(name, namespace, body)


def ensure_service(body: Obj) -> None:
    """Create the Service, or bring its selector and ports in line (a merge patch)."""
    meta = body["metadata"]
    try:
        _create(meta["namespace"], body)
    except AlreadyExists:
        _patch(meta["namespace"], meta["name"], {"spec": body["spec"]})


@map_api_errors
def _list_pods(namespace: str, service: str) -> list[client.V1Pod]:
    return list(
        clients().core.list_namespaced_pod(namespace, label_selector=f"{SERVICE_LABEL}={service}").items
    )


def target_labels(namespace: str, service: str) -> dict[str, bool]:
    """Each task pod of the service → whether it carries the target label."""
    metas = [p.metadata for p in _list_pods(namespace, service)]
    return {m.name: TARGET_LABEL in (m.labels or {}) for m in metas if m is not None and m.name}


@map_api_errors
def _list_slices(namespace: str, service: str) -> list[client.V1EndpointSlice]:
    api = client.DiscoveryV1Api(clients().api)
    selector = f"kubernetes.io/service-name={service}"
    return list(api.list_namespaced_endpoint_slice(namespace, label_selector=selector).items)


def target_health_inputs(namespace: str, service: str) -> tuple[list[Obj], list[Obj]]:
    """The service's task pods and its Service's EndpointSlices, as plain objects (the API's
    camelCase), for `reconcile.load_balancers.healthy_targets` to decide on."""
    pods = [plain_object(p) for p in _list_pods(namespace, service)]
    slices = [plain_object(s) for s in _list_slices(namespace, service)]
    return pods, slices


@map_api_errors
def _patch_pod(namespace: str, name: str, body: Obj) -> None:
    clients().core.patch_namespaced_pod(name, namespace, body)


def set_target(namespace: str, pod: str, registered: bool) -> None:
    """Register (label) or deregister (unlabel) a pod; a pod already gone needs nothing."""
    value = "registered" if registered else None
    with contextlib.suppress(NotFound):
        _patch_pod(namespace, pod, {"metadata": {"labels": {TARGET_LABEL: value}}})
