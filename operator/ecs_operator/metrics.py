"""The operator's Prometheus metrics, documented in one place.

Why one module: the dashboard (`deploy/dashboards/`) and the alert rules (`deploy/alerts/`) are
written against these names, and a test checks that every PromQL expression there names only
metrics exported here; the handlers call the small functions below and never touch
`prometheus_client` themselves. The accounting is exception-safe: a bug in it is logged once
and never fails a handler (`counts_errors` re-raises the handler's own exceptions, unchanged).

| ecs_operator_…                   | type      | labels                  | meaning                           |
|----------------------------------|-----------|-------------------------|-----------------------------------|
| placements_total                 | counter   | cluster, result, reason | placed (reason ""): a claim       |
|                                  |           |                         | committed, counted once per task  |
|                                  |           |                         | by the process whose CAS write    |
|                                  |           |                         | added it; failed: a task that     |
|                                  |           |                         | could not start                   |
|                                  |           |                         | (TaskFailedToStart), reason = the |
|                                  |           |                         | closest instance's ECS reason     |
|                                  |           |                         | (RESOURCE:MEMORY, …) or the       |
|                                  |           |                         | resolve error (MISSING, INVALID)  |
| placement_duration_seconds       | histogram | cluster, result         | one launch by the task handler:   |
|                                  |           |                         | resolve, placement lock, plan,    |
|                                  |           |                         | commit                            |
| claim_conflicts_total            | counter   | cluster, operation      | 409 writing a claim ledger        |
|                                  |           |                         | (commit, release): the instance   |
|                                  |           |                         | changed since it was read         |
| claim_retries_total              | counter   | cluster                 | after a 409 the task still fit    |
|                                  |           |                         | the re-read instance: committed   |
|                                  |           |                         | there again                       |
| claim_replans_total              | counter   | cluster, reason         | a commit given up                 |
|                                  |           |                         | (no_longer_fits; conflicts: every |
|                                  |           |                         | attempt lost): the scheduler      |
|                                  |           |                         | plans again                       |
| placement_races_lost_total       | counter   | cluster                 | a claim committed, but a peer had |
|                                  |           |                         | recorded the task's placement     |
|                                  |           |                         | first (or it stopped): the claim  |
|                                  |           |                         | was rolled back                   |
| orphan_claims_released_total     | counter   | cluster, reason         | claims the sweep released: task   |
|                                  |           |                         | gone, stopped, placed elsewhere   |
| capacity_provider_placements_total | counter | cluster,              | tasks whose placement was recorded|
|                                  |           | capacity_provider       | on a capacity provider (by its    |
|                                  |           |                         | strategy or the cluster's default)|
| tasks                            | gauge     | cluster, last_status    | EcsTasks by status.lastStatus     |
|                                  |           |                         | (NONE: not placed yet)            |
| service_desired_tasks            | gauge     | SVC                     | status.desiredCount (DAEMON: one  |
|                                  |           |                         | per instance), else               |
|                                  |           |                         | spec.desiredCount                 |
| service_running_tasks            | gauge     | SVC                     | status.runningCount               |
| service_pending_tasks            | gauge     | SVC                     | status.pendingCount               |
| service_deployments              | gauge     | SVC, rollout_state      | status.deployments by             |
|                                  |           |                         | rolloutState (NONE: unset)        |
| circuit_breaker_trips_total      | counter   | SVC                     | deployments turned FAILED by the  |
|                                  |           |                         | circuit breaker, counted by the   |
|                                  |           |                         | process whose CAS write recorded  |
|                                  |           |                         | it                                |
| scheduled_task_lag_seconds       | histogram | cluster                 | a ScheduledTask's task created −  |
|                                  |           |                         | its invocation time (occurrence + |
|                                  |           |                         | flexible-window offset); first    |
|                                  |           |                         | attempts                          |
| scheduled_task_missed_runs_total | counter   | ecs_namespace,          | invocations never run: skipped    |
|                                  |           | scheduled_task, reason  | (older than                       |
|                                  |           |                         | maximumEventAgeInSeconds, beyond  |
|                                  |           |                         | the catch-up limit),              |
|                                  |           |                         | retries_exhausted                 |
| reconcile_errors_total           | counter   | kind, error             | exceptions escaping a handler, by |
|                                  |           |                         | exception class (TemporaryError:  |
|                                  |           |                         | a deliberate retry)               |
| container_instances              | gauge     | cluster, zone, status   | instances by status (ACTIVE,      |
|                                  |           |                         | DRAINING, INACTIVE)               |
| instance_registered_cpu_units    | gauge     | CI                      | CPU units (1024 = one vCPU)       |
| instance_registered_memory_mib   | gauge     | CI                      | memory, MiB                       |
| instance_remaining_cpu_units     | gauge     | CI                      | registered − claimed CPU units    |
| instance_remaining_memory_mib    | gauge     | CI                      | registered − claimed memory, MiB  |
| instance_running_tasks           | gauge     | CI                      | claims on the instance            |
| clusters_held                    | gauge     |                         | clusters whose Lease this replica |
|                                  |           |                         | holds (it reconciles them); the   |
|                                  |           |                         | sum over replicas is the number   |
|                                  |           |                         | of clusters once they settle      |

SVC = cluster, ecs_namespace, ecs_service; CI = cluster, container_instance, zone (INACTIVE
instances are left out of the instance_* gauges: they offer no capacity).

Plus `process_*`, `python_gc_*` and `python_info` (memory, CPU, open files of the operator).

Label names avoid those Prometheus and a ServiceMonitor attach to every target (`instance`,
`namespace`, `service`, `pod`, `job`), which would turn ours into `exported_*`: hence
`container_instance`, `ecs_namespace`, `ecs_service`.

How the gauges are kept: the handlers pass every watch event of tasks, services and container
instances to `observe_*`, which keep the last value per object in memory (a DELETED event drops
it); a collector turns that map into gauges at scrape time. Every replica sees the same watch,
so every replica exports the same gauges; counters count what this process did. A deletion
missed while a watch was down (a relist after 410 Gone) leaves its object counted until the
operator restarts.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric

from ecs_operator.placement.reasons import FailureReason

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")
Obj = Mapping[str, Any]
Compute = Callable[[dict[str, Any]], dict[str, Any] | None]

REGISTRY = CollectorRegistry(auto_describe=True)
for _default in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    REGISTRY.register(_default)

PLACEMENTS = Counter(
    "ecs_operator_placements_total",
    "Tasks placed (a claim committed) or failed to start, by ECS failure reason.",
    ["cluster", "result", "reason"],
    registry=REGISTRY,
)
PLACEMENT_SECONDS = Histogram(
    "ecs_operator_placement_duration_seconds",
    "Time of one launch by the task handler: resolve, placement lock, plan, commit.",
    ["cluster", "result"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
CLAIM_CONFLICTS = Counter(
    "ecs_operator_claim_conflicts_total",
    "409 Conflict writing a container instance's claim ledger.",
    ["cluster", "operation"],
    registry=REGISTRY,
)
CLAIM_RETRIES = Counter(
    "ecs_operator_claim_retries_total",
    "Commits tried again on the re-read instance after a 409 (the task still fit).",
    ["cluster"],
    registry=REGISTRY,
)
CLAIM_REPLANS = Counter(
    "ecs_operator_claim_replans_total",
    "Commits given up; the scheduler plans again.",
    ["cluster", "reason"],
    registry=REGISTRY,
)
CAPACITY_PROVIDER_PLACEMENTS = Counter(
    "ecs_operator_capacity_provider_placements_total",
    "Tasks whose placement was recorded on a capacity provider.",
    ["cluster", "capacity_provider"],
    registry=REGISTRY,
)
PLACEMENT_RACES_LOST = Counter(
    "ecs_operator_placement_races_lost_total",
    "Claims rolled back: a peer recorded the task's placement first.",
    ["cluster"],
    registry=REGISTRY,
)
ORPHAN_CLAIMS = Counter(
    "ecs_operator_orphan_claims_released_total",
    "Claims released by the sweep, by why the task no longer wants them.",
    ["cluster", "reason"],
    registry=REGISTRY,
)
BREAKER_TRIPS = Counter(
    "ecs_operator_circuit_breaker_trips_total",
    "Deployments turned FAILED by the deployment circuit breaker.",
    ["cluster", "ecs_namespace", "ecs_service"],
    registry=REGISTRY,
)
SCHEDULED_LAG = Histogram(
    "ecs_operator_scheduled_task_lag_seconds",
    "A scheduled invocation's task created minus its invocation time (first attempts).",
    ["cluster"],
    buckets=(0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0),
    registry=REGISTRY,
)
SCHEDULED_MISSED = Counter(
    "ecs_operator_scheduled_task_missed_runs_total",
    "Scheduled invocations never run: skipped, or given up after the retries.",
    ["ecs_namespace", "scheduled_task", "reason"],
    registry=REGISTRY,
)
RECONCILE_ERRORS = Counter(
    "ecs_operator_reconcile_errors_total",
    "Exceptions that escaped a handler, by kind and exception class.",
    ["kind", "error"],
    registry=REGISTRY,
)

CLUSTERS_HELD = Gauge(
    "ecs_operator_clusters_held",
    "Clusters whose coordination Lease this replica holds: the clusters it reconciles.",
    registry=REGISTRY,
)

_KNOWN_REASONS = frozenset(r.value for r in FailureReason)
_MAX_LABEL = 64  # a reason from a failure list is free text in the worst case: keep it bounded

# -- exception safety ----------------------------------------------------------------------------

_reported: set[str] = set()


def _safe(fn: Callable[P, None]) -> Callable[P, None]:
    """Accounting must never fail a handler: log the first failure of each function, go on."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            fn(*args, **kwargs)
        except Exception:
            if fn.__name__ not in _reported:
                _reported.add(fn.__name__)
                log.warning("metrics: %s failed (reported once)", fn.__name__, exc_info=True)

    return wrapper


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


# -- placements and claims -----------------------------------------------------------------------


def failure_reason(stopped_reason: str, failures: Sequence[Mapping[str, Any]]) -> str:
    """The label of a failed launch: the headline ECS reason, else the first failure's reason."""
    head = stopped_reason.removeprefix("TaskFailedToStart:").strip()
    if head in _KNOWN_REASONS:
        return head
    for failure in failures:
        reason = _text(failure.get("reason")).strip()
        if reason:
            return reason[:_MAX_LABEL]
    return "UNKNOWN"


@_safe
def placement_succeeded(cluster: str, started: float) -> None:
    """The task handler's launch ended with the task placed (`started`: `time.monotonic()`)."""
    PLACEMENT_SECONDS.labels(cluster, "placed").observe(time.monotonic() - started)


@_safe
def placement_failed(
    cluster: str, started: float, stopped_reason: str, failures: Sequence[Mapping[str, Any]]
) -> None:
    """The launch ended in TaskFailedToStart."""
    PLACEMENT_SECONDS.labels(cluster, "failed").observe(time.monotonic() - started)
    PLACEMENTS.labels(cluster, "failed", failure_reason(stopped_reason, failures)).inc()


class ClaimWrite:
    """The accounting of one commit or release of a claim (`kube.claims`).

    `compute` wraps the CAS loop's compute: it learns the cluster from the instance as read and
    counts a retry when, after a 409, it writes again; `on_conflict` counts the 409s.
    """

    def __init__(self, operation: str, chained: Callable[[], None] | None = None) -> None:
        self.operation, self.chained = operation, chained
        self.cluster, self.calls, self.wrote = "", 0, False

    def compute(self, fn: Compute) -> Compute:
        def wrapped(obj: dict[str, Any]) -> dict[str, Any] | None:
            self._read(obj)
            result = fn(obj)
            self.wrote = result is not None
            if self.wrote and self.calls > 1 and self.operation == "commit":
                _count(CLAIM_RETRIES, self.cluster)
            return result

        return wrapped

    def _read(self, obj: Obj) -> None:
        self.calls += 1
        self.cluster = _text((obj.get("spec") or {}).get("cluster"))

    def on_conflict(self) -> None:
        _count(CLAIM_CONFLICTS, self.cluster, self.operation)
        if self.chained is not None:
            self.chained()

    def replan(self, reason: str) -> None:
        """The commit is given up (`no_longer_fits`, `conflicts`): the caller plans again."""
        _count(CLAIM_REPLANS, self.cluster, reason)

    def committed(self) -> None:
        """The CAS loop returned; a placement when this commit added the claim (not found it)."""
        if self.operation == "commit" and self.wrote:
            _count(PLACEMENTS, self.cluster, "placed", "")


@_safe
@_safe
def capacity_provider_placed(cluster: str, provider: str) -> None:
    """A task's placement on `provider` was recorded (once per task, by the process that wrote it)."""
    CAPACITY_PROVIDER_PLACEMENTS.labels(cluster, provider).inc()


@_safe
def placement_race_lost(cluster: str) -> None:
    """This process committed a claim but lost the task's compare-and-swap; it rolled back."""
    _count(PLACEMENT_RACES_LOST, cluster)


@_safe
def orphan_claim_released(cluster: str, reason: str) -> None:
    """The sweep released a claim (`reason`: `reconcile.ledger.Verdict`)."""
    _count(ORPHAN_CLAIMS, cluster, reason)


def _count(counter: Counter, *labels: str) -> None:
    counter.labels(*labels).inc()


# -- ECS objects as gauges -----------------------------------------------------------------------


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
    return _text(meta.get("uid")) or f"{meta.get('namespace')}/{meta.get('name')}"


@_safe
def observe_task(body: Obj, deleted: bool = False) -> None:
    """A watch event of an EcsTask."""
    key = _key(body)
    with _guard:
        if deleted:
            _tasks.pop(key, None)
            return
        status = body.get("status") or {}
        cluster = _text((body.get("spec") or {}).get("cluster"))
        _tasks[key] = _Task(cluster, _text(status.get("lastStatus")) or "NONE")


@_safe
def observe_service(body: Obj, deleted: bool = False) -> None:
    """A watch event of an EcsService."""
    key = _key(body)
    meta, spec, status = body.get("metadata") or {}, body.get("spec") or {}, body.get("status") or {}
    cluster, namespace, name = (
        _text(spec.get("cluster")),
        _text(meta.get("namespace")),
        _text(meta.get("name")),
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
            desired=_int(desired if desired is not None else spec.get("desiredCount")),
            running=_int(status.get("runningCount")),
            pending=_int(status.get("pendingCount")),
            rollout_states=tuple(
                _text(d.get("rolloutState")) or "NONE" for d in status.get("deployments") or []
            ),
        )
    BREAKER_TRIPS.labels(cluster, namespace, name)  # the series exists at 0, so increase() sees a trip


@_safe
def service_status_written(service: Obj, written: Obj) -> None:
    """A service's status was committed (CAS): count deployments the circuit breaker just failed."""
    meta, spec = service.get("metadata") or {}, service.get("spec") or {}
    before = {
        d.get("id"): d.get("rolloutState") for d in (service.get("status") or {}).get("deployments") or []
    }
    for deployment in written.get("deployments") or []:
        reason = _text(deployment.get("rolloutStateReason"))
        tripped = deployment.get("rolloutState") == "FAILED" and "circuit breaker" in reason
        if tripped and before.get(deployment.get("id")) != "FAILED":
            labels = (_text(spec.get("cluster")), _text(meta.get("namespace")), _text(meta.get("name")))
            BREAKER_TRIPS.labels(*labels).inc()


def _zone(status: Obj) -> str:
    for attribute in status.get("attributes") or []:
        if attribute.get("name") == "ecs.availability-zone":
            return _text(attribute.get("value"))
    return ""


@_safe
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
        cluster = _text(spec.get("cluster"))
        _instances[key] = _Instance(
            cluster=cluster,
            name=_text((body.get("metadata") or {}).get("name")),
            zone=_zone(status),
            status=_text(status.get("status")) or "NONE",
            registered_cpu=_int(registered.get("cpu")),
            registered_memory=_int(registered.get("memory")),
            remaining_cpu=_int(remaining.get("cpu")),
            remaining_memory=_int(remaining.get("memory")),
            running_tasks=_int(status.get("runningTasksCount")),
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

# -- scheduled tasks -----------------------------------------------------------------------------


@_safe
def scheduled_task_created(cluster: str, invoked_at: datetime, attempt: int) -> None:
    """A ScheduledTask's task was created; its lag counts for the invocation (attempt 1) only."""
    if attempt == 1:
        SCHEDULED_LAG.labels(cluster).observe(max((datetime.now(UTC) - invoked_at).total_seconds(), 0.0))


@_safe
def scheduled_runs_missed(namespace: str, name: str, count: int, reason: str) -> None:
    """Invocations that will never run (`skipped`, `retries_exhausted`)."""
    SCHEDULED_MISSED.labels(namespace, name, reason).inc(count)


# -- leadership ----------------------------------------------------------------------------------


@_safe
def clusters_held(count: int) -> None:
    """How many cluster Leases this replica holds now (handlers/leadership.py, every tick)."""
    CLUSTERS_HELD.set(count)


# -- errors --------------------------------------------------------------------------------------


def counts_errors(kind: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a (synchronous) handler: an exception escaping it is counted, then re-raised.

    `functools.wraps` keeps Kopf's handler id (it follows `__wrapped__`), so persisted progress of
    a wrapped handler is still found after an upgrade.
    """

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                reconcile_error(kind, exc)
                raise

        return wrapper

    return decorate


@_safe
def reconcile_error(kind: str, error: BaseException) -> None:
    RECONCILE_ERRORS.labels(kind, type(error).__name__).inc()


# -- the endpoint --------------------------------------------------------------------------------


def serve(port: int, address: str = "0.0.0.0") -> bool:
    """Serve /metrics on `port` (0: not at all). A port already taken is logged, not fatal:
    scheduling matters more than its metrics (and two local operators must be able to run)."""
    if port == 0:
        return False
    try:
        start_http_server(port, address, registry=REGISTRY)
    except OSError as exc:
        log.error("metrics: cannot listen on %s:%d (%s); running without metrics", address, port, exc)
        return False
    log.info("metrics: serving http://%s:%d/metrics", address, port)
    return True
