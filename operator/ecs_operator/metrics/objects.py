"""ECS objects as gauges: tasks by status, services' counts, container instances' capacity.

Why this module exists: these gauges describe state, not work. The handlers pass every watch
event of tasks, services and container instances to `observe_*`, which keep the last compact
value per object in memory (a DELETED event drops it); a collector turns that map into gauge
families at scrape time, so every replica exports the same gauges.
"""

from __future__ import annotations

import threading
from collections import Counter as Tally
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric

from ecs_operator.metrics.families import BREAKER_TRIPS, PLACEMENTS, REGISTRY
from ecs_operator.metrics.safety import number, safe, text
from ecs_operator.placement.reasons import FailureReason
from ecs_operator.placement.snapshot import AVAILABILITY_ZONE

Obj = Mapping[str, Any]


@dataclass(frozen=True)
class _Task:
    cluster: str
    last_status: str


@dataclass(frozen=True)
class _Service:
    cluster: str
    namespace: str
    name: str
    desired: int
    running: int
    pending: int
    rollout_states: tuple[str, ...]


@dataclass(frozen=True)
class _Instance:
    cluster: str
    name: str
    zone: str
    status: str
    registered_cpu: int
    registered_memory: int
    remaining_cpu: int
    remaining_memory: int
    running_tasks: int


_guard = threading.Lock()
_tasks: dict[str, _Task] = {}
_services: dict[str, _Service] = {}
_instances: dict[str, _Instance] = {}
_clusters_seen: set[str] = set()


def _key(body: Obj) -> str:
    meta = body.get("metadata") or {}
    return text(meta.get("uid")) or f"{meta.get('namespace')}/{meta.get('name')}"


@safe
def observe_task(body: Obj, deleted: bool = False) -> None:
    """A watch event of an EcsTask."""
    key = _key(body)
    with _guard:
        if deleted:
            _tasks.pop(key, None)
            return
        status = body.get("status") or {}
        cluster = text((body.get("spec") or {}).get("cluster"))
        _tasks[key] = _Task(cluster, text(status.get("lastStatus")) or "NONE")


@safe
def observe_service(body: Obj, deleted: bool = False) -> None:
    """A watch event of an EcsService."""
    key = _key(body)
    meta, spec, status = body.get("metadata") or {}, body.get("spec") or {}, body.get("status") or {}
    cluster, namespace, name = (
        text(spec.get("cluster")),
        text(meta.get("namespace")),
        text(meta.get("name")),
    )
    with _guard:
        if deleted:
            _services.pop(key, None)
            return
        desired = status.get("desiredCount")
        _services[key] = _Service(
            cluster,
            namespace,
            name,
            desired=number(desired if desired is not None else spec.get("desiredCount")),
            running=number(status.get("runningCount")),
            pending=number(status.get("pendingCount")),
            rollout_states=tuple(
                text(d.get("rolloutState")) or "NONE" for d in status.get("deployments") or []
            ),
        )
    BREAKER_TRIPS.labels(cluster, namespace, name)  # the series exists at 0, so increase() sees a trip


@safe
def service_status_written(service: Obj, written: Obj) -> None:
    """A service's status was committed (CAS): count deployments the circuit breaker just failed."""
    meta, spec = service.get("metadata") or {}, service.get("spec") or {}
    before = {
        d.get("id"): d.get("rolloutState") for d in (service.get("status") or {}).get("deployments") or []
    }
    for deployment in written.get("deployments") or []:
        reason = text(deployment.get("rolloutStateReason"))
        tripped = deployment.get("rolloutState") == "FAILED" and "circuit breaker" in reason
        if tripped and before.get(deployment.get("id")) != "FAILED":
            labels = (text(spec.get("cluster")), text(meta.get("namespace")), text(meta.get("name")))
            BREAKER_TRIPS.labels(*labels).inc()


def _zone(status: Obj) -> str:
    for attribute in status.get("attributes") or []:
        if attribute.get("name") == AVAILABILITY_ZONE:
            return text(attribute.get("value"))
    return ""


@safe
def observe_instance(body: Obj, deleted: bool = False) -> None:
    """A watch event of an EcsContainerInstance."""
    key = _key(body)
    with _guard:
        if deleted:
            _instances.pop(key, None)
            return
        spec, status = body.get("spec") or {}, body.get("status") or {}
        registered, remaining = (
            status.get("registeredResources") or {},
            status.get("remainingResources") or {},
        )
        cluster = text(spec.get("cluster"))
        _instances[key] = _Instance(
            cluster=cluster,
            name=text((body.get("metadata") or {}).get("name")),
            zone=_zone(status),
            status=text(status.get("status")) or "NONE",
            registered_cpu=number(registered.get("cpu")),
            registered_memory=number(registered.get("memory")),
            remaining_cpu=number(remaining.get("cpu")),
            remaining_memory=number(remaining.get("memory")),
            running_tasks=number(status.get("runningTasksCount")),
        )
        new_cluster = cluster not in _clusters_seen
        _clusters_seen.add(cluster)
    if new_cluster:  # every series of the cluster exists at 0, so rate() and increase() see the first
        PLACEMENTS.labels(cluster, "placed", "")
        for reason in FailureReason:
            PLACEMENTS.labels(cluster, "failed", reason.value)


class _Gauges:
    """Turns the maps above into gauge families at scrape time."""

    def collect(self) -> Iterable[Metric]:
        with _guard:
            tasks, services, instances = (
                list(_tasks.values()),
                list(_services.values()),
                list(_instances.values()),
            )
        yield _family(
            "ecs_operator_tasks",
            "EcsTasks by status.lastStatus.",
            ["cluster", "last_status"],
            Tally((t.cluster, t.last_status) for t in tasks),
        )
        svc = ["cluster", "ecs_namespace", "ecs_service"]
        for field, doc in (
            ("desired", "Tasks the service wants."),
            ("running", "The service's tasks in RUNNING."),
            ("pending", "The service's tasks in PENDING."),
        ):
            values = {(s.cluster, s.namespace, s.name): getattr(s, field) for s in services}
            yield _family(f"ecs_operator_service_{field}_tasks", doc, svc, values)
        yield _family(
            "ecs_operator_service_deployments",
            "Deployments of a service by rolloutState.",
            [*svc, "rollout_state"],
            Tally((s.cluster, s.namespace, s.name, r) for s in services for r in s.rollout_states),
        )
        yield _family(
            "ecs_operator_container_instances",
            "Container instances by status.",
            ["cluster", "zone", "status"],
            Tally((i.cluster, i.zone, i.status) for i in instances),
        )
        labels = ["cluster", "container_instance", "zone"]
        live = [i for i in instances if i.status != "INACTIVE"]
        for field, name, doc in (
            ("registered_cpu", "registered_cpu_units", "Registered CPU units (1024 = one vCPU)."),
            ("registered_memory", "registered_memory_mib", "Registered memory in MiB."),
            ("remaining_cpu", "remaining_cpu_units", "CPU units not claimed by tasks."),
            ("remaining_memory", "remaining_memory_mib", "Memory in MiB not claimed by tasks."),
            ("running_tasks", "running_tasks", "Tasks with a claim on the instance."),
        ):
            values = {(i.cluster, i.name, i.zone): getattr(i, field) for i in live}
            yield _family(f"ecs_operator_instance_{name}", doc, labels, values)


def _family(name: str, doc: str, labels: list[str], values: Mapping[Any, int]) -> Metric:
    """A gauge family from {label values tuple: value}, in a stable order."""
    family = GaugeMetricFamily(name, doc, labels=labels)
    for label_values, value in sorted(values.items()):
        family.add_metric(list(label_values), value)
    return family


REGISTRY.register(_Gauges())
