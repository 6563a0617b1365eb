"""coordination.k8s.io/v1 Leases of the operator: read them all, write one with compare-and-swap.

Every write names the resourceVersion it was computed from (a PUT with metadata.resourceVersion,
a DELETE with a precondition), so two replicas that decide to take the same lease at once cannot
both succeed: the second gets 409 (`Conflict`) and simply does not hold it. Creating a lease that
another replica created first is 409 AlreadyExists, the same outcome. The decisions themselves are
pure (`reconcile.leadership`).

Reads and writes go through raw JSON (`_preload_content=False`): the MicroTime fields stay
strings we parse once, and nothing depends on the client's model classes.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from ecs_operator.kube.client import as_model, clients, raw_json
from ecs_operator.kube.errors import Conflict, map_api_errors, translate
from ecs_operator.kube.views import DeleteBody, LeaseBody, LeaseMeta, LeaseSpec, Obj
from ecs_operator.names import LEASE_LABEL, MICRO_TIME_FORMAT
from ecs_operator.reconcile.leadership import LeaseRecord

SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


def default_namespace() -> str:
    """The operator's namespace: $POD_NAMESPACE (the chart sets it), the in-cluster service
    account's namespace, the kubeconfig context's namespace, else "default"."""
    env = os.environ.get("POD_NAMESPACE")
    if env:
        return env
    try:
        return SERVICE_ACCOUNT_NAMESPACE.read_text().strip() or "default"
    except OSError:
        pass
    try:
        # The file `configure` chose ($KUBECONFIG): the client's own default was fixed at import.
        _, current = config.list_kube_config_contexts(config_file=os.environ.get("KUBECONFIG") or None)
        return str((current or {}).get("context", {}).get("namespace") or "default")
    except Exception:  # no kubeconfig (in-cluster without the file): the documented default
        return "default"


def _time(value: object) -> datetime | None:
    if not value:
        return None
    text = str(value).replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(MICRO_TIME_FORMAT)


def record(obj: Obj) -> LeaseRecord:
    spec = obj.get("spec") or {}
    return LeaseRecord(
        name=obj["metadata"]["name"],
        holder=str(spec.get("holderIdentity") or ""),
        renewed_at=_time(spec.get("renewTime")),
        duration=float(spec.get("leaseDurationSeconds") or 0),
        resource_version=str(obj["metadata"].get("resourceVersion") or ""),
        acquired_at=_time(spec.get("acquireTime")),
        transitions=int(spec.get("leaseTransitions") or 0),
    )


@map_api_errors
def list_leases(namespace: str) -> list[LeaseRecord]:
    """Every lease of the operator in its namespace (clusters and members), in one call."""
    response = clients().coordination.list_namespaced_lease(
        namespace, label_selector=LEASE_LABEL, _preload_content=False
    )
    return [record(item) for item in raw_json(response).get("items") or []]


def _body(
    namespace: str,
    name: str,
    kind: str,
    holder: str,
    now: datetime,
    duration: float,
    previous: LeaseRecord | None,
) -> LeaseBody:
    taking = previous is None or previous.holder != holder
    transitions = (previous.transitions if previous is not None else 0) + (
        1 if previous is not None and taking and holder else 0
    )
    acquired = now if taking or previous is None or previous.acquired_at is None else previous.acquired_at
    metadata: LeaseMeta = {"name": name, "namespace": namespace, "labels": {LEASE_LABEL: kind}}
    if previous is not None:
        metadata["resourceVersion"] = previous.resource_version
    spec: LeaseSpec = {
        "holderIdentity": holder,
        "leaseDurationSeconds": int(duration),
        "renewTime": _stamp(now),
        "acquireTime": _stamp(acquired),
        "leaseTransitions": transitions,
    }
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": metadata, "spec": spec}


@map_api_errors
def write(
    namespace: str,
    name: str,
    kind: str,
    holder: str,
    now: datetime,
    duration: float,
    previous: LeaseRecord | None,
) -> LeaseRecord:
    """Create the lease (previous None) or replace it at previous.resourceVersion: `Conflict` (409)
    when another replica wrote it first, or deleted it. holder "" releases it. A 404 on create
    means the namespace does not exist."""
    body = _body(namespace, name, kind, holder, now, duration, previous)
    api = clients().coordination
    if previous is None:
        response = api.create_namespaced_lease(
            namespace, as_model(body, client.V1Lease), _preload_content=False
        )
        return record(raw_json(response))
    try:
        response = api.replace_namespaced_lease(
            name, namespace, as_model(body, client.V1Lease), _preload_content=False
        )
    except ApiException as exc:
        if exc.status == 404:  # deleted since it was read: as stale as a changed one
            raise Conflict(f"lease {name} is gone", 409) from exc
        raise
    return record(raw_json(response))


def delete(namespace: str, lease: LeaseRecord) -> None:
    """Delete the lease if it is still at the version read; gone or changed meanwhile is fine."""
    try:
        clients().coordination.delete_namespaced_lease(
            lease.name,
            namespace,
            body=as_model(
                DeleteBody(preconditions={"resourceVersion": lease.resource_version}), client.V1DeleteOptions
            ),
            _preload_content=False,
        )
    except ApiException as exc:
        if exc.status not in (404, 409):
            raise translate(exc) from exc
