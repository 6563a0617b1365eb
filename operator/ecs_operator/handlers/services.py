"""EcsService handlers: the service scheduler (REPLICA and DAEMON), thin.

Each pass reads a snapshot (the service, its tasks, the cluster's container instances), asks the
pure planner (`reconcile.service.plan_service`) for a plan, and applies it in the planner's order:
create the tasks to start (deterministic names: a second replica applying the same plan meets
AlreadyExists), stop the tasks to stop (ServiceSchedulerInitiated, recorded in the task's status
before its pod is stopped), then write the service's status and the scheduler's memory with the
resourceVersion read. A 409 re-plans from a fresh read.

Passes of one service are serialized within a process and run on their own executor: an event
only requests a pass, and a burst of task events coalesces into one more pass
(`reconcile_service`). A pass reads the service and its tasks from the watch (`service_reads`)
and checks them against the API server before it starts or stops anything; across replicas,
safety comes from the deterministic names and the CAS writes. A deleted service keeps its
finalizer (`FINALIZER`, added by its first pass) while it is DRAINING: its tasks are stopped, and
the finalizer goes once the service is INACTIVE.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from typing import Any, cast

import kopf

from ecs_operator import metrics
from ecs_operator.api import EcsService, EcsTask, ServiceEvent, to_wire
from ecs_operator.handlers import daemons, leadership, service_reads, tenancy
from ecs_operator.handlers import task_launch as tl
from ecs_operator.handlers.badinput import BAD_INPUT, describe, first_time, reports_bad_input
from ecs_operator.handlers.fanout import Fanout
from ecs_operator.handlers.service_reads import API, Reads
from ecs_operator.handlers.tasks import provider_spec
from ecs_operator.handlers.tasks import write_status as write_task_status
from ecs_operator.kube import load_balancers as klb
from ecs_operator.kube import objects
from ecs_operator.kube.errors import AlreadyExists, Conflict, NotFound
from ecs_operator.kube.objects import INSTANCES, SERVICES, TASK_DEFINITIONS, TASKS, Obj
from ecs_operator.names import CLUSTER_LABEL, GROUP, SERVICE_FINALIZER, VERSION
from ecs_operator.placement import TaskKind, snapshot_from_objects
from ecs_operator.placement.capacity import Strategy, choose
from ecs_operator.reconcile import load_balancers as lb
from ecs_operator.reconcile.capacity import counts_of, effective_strategy, launch_type_of
from ecs_operator.reconcile.conditions import set_condition
from ecs_operator.reconcile.instances import RETIREMENT_ANNOTATION
from ecs_operator.reconcile.launch import effective_task, task_request
from ecs_operator.reconcile.provisioning import scales_out
from ecs_operator.reconcile.service import (
    SchedulerState,
    ServicePlan,
    ServiceTask,
    TaskStart,
    TaskStop,
    plan_service,
)
from ecs_operator.reconcile.service import events as service_events
from ecs_operator.reconcile.service.drain import drain
from ecs_operator.reconcile.taskbody import SERVICE_LABEL, service_task_manifest
from ecs_operator.reconcile.taskdefs import ResolveError, parse_ref, resolve
from ecs_operator.reconcile.validation import Problem, spec_problems, summary

PASSES = 3

FINALIZER = SERVICE_FINALIZER
"""Held by every live service: a deleted one stays DRAINING until its tasks have stopped."""
DRAINING_RECHECK = 5.0
"""Seconds between passes of a DRAINING service when no event comes."""
MIN_INTERVAL = 0.5
"""Seconds between the starts of two passes of one service (a burst of events coalesces)."""
InstancesOf = Callable[[str], list[Obj]]

_locks: dict[tuple[str, str], threading.Lock] = {}
_dirty: set[tuple[str, str]] = set()
_running: set[tuple[str, str]] = set()
_last_start: dict[tuple[str, str], float] = {}
_latest: dict[tuple[str, str], tuple[InstancesOf, Reads]] = {}
_guard = threading.Lock()
_executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="service-pass")
_writes = Fanout("service-write")  # a pass's task creates and stops
log = logging.getLogger(__name__)


def _resolve(service: Obj) -> tuple[Any, Any]:
    """The revision the service wants now, and its placement request (ResolveError when none)."""
    meta, spec = service["metadata"], service["spec"]
    ref = parse_ref(str(spec["taskDefinition"]))
    try:
        family = objects.get(TASK_DEFINITIONS, ref.family, meta["namespace"])
    except NotFound:
        raise ResolveError("MISSING", f"TaskDefinition not found: {ref}.") from None
    revision = resolve(ref, (family.get("status") or {}).get("revisions") or [])
    effective = effective_task(
        ref.family, revision, tl.revision_snapshot(meta["namespace"], ref.family, revision), None
    )
    request = task_request(
        effective,
        name=f"{meta['namespace']}/{meta['name']}",
        uid="",
        group=f"service:{meta['name']}",
        launch_type=launch_type_of(spec, _strategy(service)),
        spec=spec,
        kind=TaskKind.SERVICE,
    )
    return effective, request


def _strategy(service: Obj) -> Strategy | None:
    """The service's capacity provider strategy (its own, or its cluster's default)."""
    spec = service["spec"]
    if spec.get("schedulingStrategy") == "DAEMON":
        return None
    return effective_strategy(spec, tl.cluster_spec_of(str(spec["cluster"])))


def _providers(service: Obj, tasks: list[Obj], count: int) -> list[str | None]:
    """The provider of each of `count` new tasks: the split of the strategy (base first, then
    weight) kept over the providers the service's live tasks already hold."""
    strategy = _strategy(service) if count else None
    if strategy is None:
        return [None] * count
    held = counts_of(tasks)
    out: list[str | None] = []
    for _ in range(count):
        provider = choose(strategy, held)
        held[provider] = held.get(provider, 0) + 1
        out.append(provider)
    return out


def _scales_out(service: Obj) -> bool:
    """Every provider of the service's strategy has managed scaling: its tasks are started without
    the dry run (they wait in PROVISIONING for a node; `reconcile.provisioning.scales_out`)."""
    strategy = _strategy(service)
    if strategy is None:
        return False
    return scales_out(strategy.providers, {p: provider_spec(p) for p in strategy.providers})


def _has_health_check(effective: Any) -> bool:
    """An essential container defines a health check (a load balancer is not one: target health
    is read separately, `_healthy_targets`)."""
    return any(c.get("healthCheck") and c.get("essential", True) for c in effective.containers)


def _healthy_targets(service: Obj) -> frozenset[str] | None:
    """Pod names whose load balancer target is healthy; None when the service has no load balancer."""
    if not service["spec"].get("loadBalancers"):
        return None
    meta = service["metadata"]
    return lb.healthy_targets(*klb.target_health_inputs(meta["namespace"], meta["name"]))


def plan(service: Obj, tasks: list[Obj], instances: list[Obj], now: datetime) -> tuple[ServicePlan, Any]:
    meta, spec = service["metadata"], service["spec"]
    effective, request = _resolve(service)
    draining = {
        i["metadata"]["name"] for i in instances if (i.get("status") or {}).get("status") == "DRAINING"
    }
    checked = _has_health_check(effective)
    targets = _healthy_targets(service)
    service_tasks = [
        ServiceTask.from_task(
            EcsTask.from_body(t),
            has_health_check=checked,
            load_balanced=targets is not None,
            target_healthy=targets is not None and (t.get("status") or {}).get("podName") in targets,
            # A task due for retirement (its node retires, or its Fargate platform revision is
            # recycled) is replaced like a task on a DRAINING instance: start first, within bounds.
            instance_draining=(t.get("status") or {}).get("containerInstance") in draining
            or RETIREMENT_ANNOTATION in (t["metadata"].get("annotations") or {}),
        )
        for t in tasks
    ]
    snapshot = snapshot_from_objects(instances, cluster=spec["cluster"])
    key = f"{meta['namespace']}/{meta['name']}"
    if (
        spec.get("schedulingStrategy") == "DAEMON"
        and request is not None
        and not meta.get("deletionTimestamp")
    ):
        daemons.record(str(spec["cluster"]), key, request)
    else:
        daemons.forget(key)
    state = SchedulerState.from_object((service.get("status") or {}).get("scheduler"))
    rng = random.Random(f"{meta['uid']}/{state.tasks_started}")
    result = plan_service(
        EcsService.from_body(service),
        service_tasks,
        task_definition=effective.reference,
        snapshot=snapshot,
        now=now,
        rng=rng,
        state=state,
        # managed scaling: no dry run, the tasks that fit nowhere wait in PROVISIONING for a node
        request=None if _scales_out(service) else request,
        daemon_groups=daemons.groups(str(spec["cluster"])),
    )
    return result, effective


def _start(service: Obj, start: TaskStart, provider: str | None = None) -> None:
    body = service_task_manifest(service, start, provider)
    with contextlib.suppress(AlreadyExists):  # another pass or replica created it: same name, same task
        objects.create(TASKS, body, service["metadata"]["namespace"])


def _stop(tasks: dict[str, Obj], stop: TaskStop) -> None:
    """The copy the plan was made from is the compare-and-swap base (a stale one costs a 409)."""
    task = tasks.get(stop.name)
    if task is None or task["metadata"]["uid"] != stop.uid:
        return
    with contextlib.suppress(NotFound):
        write_task_status(
            task, {"desiredStatus": "STOPPED", "stopCode": stop.stop_code.value, "stoppedReason": stop.reason}
        )


def _sync_targets(service: Obj, tasks: list[Obj], stopping: set[str]) -> None:
    """Load balancer registration: deregister tasks about to stop, register RUNNING ones that are
    HEALTHY or UNKNOWN (`reconcile.load_balancers.is_target`)."""
    meta = service["metadata"]
    manifest = lb.service_manifest(service)
    if manifest is None:
        return
    klb.ensure_service(manifest)
    tasks = [t for t in tasks if t["metadata"]["name"] not in stopping]
    for pod, register in lb.target_changes(tasks, klb.target_labels(meta["namespace"], meta["name"])).items():
        klb.set_target(meta["namespace"], pod, register)


def _deregister(service: Obj, tasks: dict[str, Obj], stops: tuple[TaskStop, ...]) -> None:
    """A task leaves the load balancer (DEACTIVATING) before it is stopped."""
    if not service["spec"].get("loadBalancers"):
        return
    namespace = service["metadata"]["namespace"]
    for stop in stops:
        pod = ((tasks.get(stop.name) or {}).get("status") or {}).get("podName")
        if pod:
            with contextlib.suppress(NotFound):
                klb.set_target(namespace, str(pod), False)


def apply(service: Obj, tasks: list[Obj], result: ServicePlan) -> Obj | None:
    """Create, stop, register targets, then write the status (none when nothing in it changed)."""
    meta = service["metadata"]
    by_name = {t["metadata"]["name"]: t for t in tasks}
    providers = _providers(service, tasks, len(result.starts))
    _writes.all(
        [partial(_start, service, start, p) for start, p in zip(result.starts, providers, strict=True)]
    )
    _deregister(service, by_name, result.stops)
    _writes.all([partial(_stop, by_name, stop) for stop in result.stops])
    _sync_targets(service, tasks, {stop.name for stop in result.stops})
    current = service.get("status") or {}
    status = to_wire(result.status)
    status["scheduler"] = result.state.to_object()
    status["conditions"] = set_condition(
        current.get("conditions") or [],
        type="Ready",
        status=True,
        reason="Scheduled",
        message=f"{len(result.starts)} started, {len(result.stops)} stopped in the last pass.",
        now=datetime.now(UTC),
        generation=meta.get("generation"),
    )
    if not result.events and all(current.get(k) == v for k, v in status.items()):
        return None  # a pass that changes nothing writes nothing
    written = objects.patch_status(SERVICES, meta["name"], status, meta["resourceVersion"], meta["namespace"])
    service_reads.wrote(service, written)
    metrics.service_status_written(service, status)
    for event in result.events:
        # kopf.event, not kopf.info: info is filtered by settings.posting.level (WARNING here).
        kopf.event(cast(kopf.Body, service), type="Normal", reason="ServiceEvent", message=event.message)
    return written


def report_invalid(service: Obj, problems: list[Problem]) -> None:
    """A spec the planner cannot read: Ready=False with the field path and the column, a service
    event and a Warning Event, once per distinct message; nothing is started."""
    meta = service["metadata"]
    message = summary(problems)
    status = service.get("status") or {}
    previous: dict[str, Any] = next(
        (c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {}
    )
    if previous.get("status") == "False" and previous.get("message") == message:
        return
    now = datetime.now(UTC)
    events: list[ServiceEvent] = []
    for item in status.get("events") or []:
        with contextlib.suppress(ValueError):
            events.append(ServiceEvent.model_validate(item))
    said = service_events.invalid_spec(meta["name"], str(problems[0]))
    patch = {
        "conditions": set_condition(
            status.get("conditions") or [],
            type="Ready",
            status=False,
            reason=problems[0].reason,
            message=message,
            now=now,
            generation=meta.get("generation"),
        ),
        "events": [
            to_wire(e) for e in service_events.prepend(events, said, service_uid=meta["uid"], now=now)
        ],
    }
    try:
        objects.patch_status(SERVICES, meta["name"], patch, meta["resourceVersion"], meta["namespace"])
    except Conflict:
        return  # another pass wrote first; the next pass re-reads and reports if still needed
    kopf.warn(cast(kopf.Body, service), reason=problems[0].reason, message=message)


def report_unresolvable(service: Obj, error: ResolveError) -> None:
    """Ready=False with the reason, and a Warning event when that reason is new (not every pass)."""
    meta = service["metadata"]
    previous: dict[str, Any] = next(
        (c for c in (service.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), {}
    )
    if previous.get("status") == "False" and previous.get("message") == error.detail:
        return
    status = {
        "conditions": set_condition(
            (service.get("status") or {}).get("conditions") or [],
            type="Ready",
            status=False,
            reason=error.reason,
            message=error.detail,
            now=datetime.now(UTC),
            generation=meta.get("generation"),
        )
    }
    try:
        objects.patch_status(SERVICES, meta["name"], status, meta["resourceVersion"], meta["namespace"])
    except Conflict:
        return  # another pass wrote first; the next pass re-reads and reports if still needed
    kopf.warn(cast(kopf.Body, service), reason="TaskDefinitionUnavailable", message=error.detail)


def reconcile_service(
    namespace: str, name: str, instances_of: InstancesOf, reads: Reads = API
) -> ServicePlan | None:
    """Request a pass of the service; it runs on the pass executor, never on the caller's thread.

    Passes of one service are serialized: a pass requested while one runs (or waits) marks the
    service dirty, and one more pass runs after it, however many requests came meanwhile; the
    next pass starts no sooner than `MIN_INTERVAL` after the previous one began, so a burst of
    task events (a thousand tasks filling) coalesces into a few passes. Returns None (the plan
    is applied later).
    """
    key = (namespace, name)
    with _guard:
        _dirty.add(key)
        _latest[key] = (instances_of, reads)
        if key in _running:
            return None
        _running.add(key)
    _submit(_drain, key)
    return None


def _drain(key: tuple[str, str]) -> None:
    """Run passes of one service while it is dirty (`reconcile_service`)."""
    namespace, name = key
    while True:
        with _guard:
            if key not in _dirty:
                _running.discard(key)
                return
            wait = _last_start.get(key, -MIN_INTERVAL) + MIN_INTERVAL - time.monotonic()
            if wait > 0:  # too soon after the last pass: come back (still running, still dirty)
                _later(wait, _submit, _drain, key)
                return
            _dirty.discard(key)
            _last_start[key] = time.monotonic()
            instances_of, reads = _latest[key]
        try:
            _one_pass(namespace, name, instances_of, reads)
        except BAD_INPUT as exc:  # what `reports_bad_input` does for a handler
            metrics.reconcile_error("EcsService", exc)
            message = describe(exc)
            service = reads.service(namespace, name)
            if service is not None and first_time(str(service["metadata"].get("uid")), message):
                log.exception("EcsService %s/%s: bad input: %s", namespace, name, message)
                _report_bad(service, message)
            if service is not None and service["metadata"].get("deletionTimestamp"):
                _hold(service, False)  # last resort: the finalizer goes (its tasks are owned: GC stops them)
        except Exception as exc:  # an API error: the timer (or the deletion re-check) tries again
            metrics.reconcile_error("EcsService", exc)
            log.warning("EcsService %s/%s: pass failed: %r", namespace, name, exc)
        _recheck_deletion(namespace, name, instances_of, reads)


def _submit(fn: Callable[..., Any], *args: Any) -> None:
    """Run `fn(*args)` on the pass executor in a copy of the caller's context.

    Why the context: Kopf posts Events (`kopf.warn`, `kopf.event`) through context variables that
    it sets for its handlers; a bare executor thread has none, so a pass's Events would raise.
    """
    _executor.submit(contextvars.copy_context().run, fn, *args)


def _later(seconds: float, fn: Callable[..., Any], *args: Any) -> None:
    """Call `fn(*args)` in `seconds` (a daemon timer: it never holds the operator's exit), in a copy
    of the caller's context (`_submit`)."""
    timer = threading.Timer(seconds, contextvars.copy_context().run, (fn, *args))
    timer.daemon = True
    timer.start()


def _recheck_deletion(namespace: str, name: str, instances_of: InstancesOf, reads: Reads) -> None:
    """A DRAINING service is passed again in `DRAINING_RECHECK` seconds until its finalizer goes
    (Kopf stops the service's timer once it is deleted; its tasks' events usually come first)."""
    service = reads.service(namespace, name)
    if service is None or not service["metadata"].get("deletionTimestamp"):
        return
    if FINALIZER in (service["metadata"].get("finalizers") or []):
        _later(DRAINING_RECHECK, reconcile_service, namespace, name, instances_of, reads)


def _hold(service: Obj, held: bool) -> None:
    """Add (`held`) or remove the service's finalizer, by compare-and-swap on its metadata: it
    keeps a deleted service DRAINING until its tasks have stopped. A 409 is left to the next pass.

    Why our own finalizer rather than `kopf.on.delete`: a deletion handler makes Kopf store the
    whole spec in an annotation at creation and on every spec change (a write that nothing here
    reads), and its progress in annotations on every retry while the service drains. This costs
    one write when the service is first seen and one when it is INACTIVE.
    """
    meta = service["metadata"]
    finalizers = list(meta.get("finalizers") or [])
    if (FINALIZER in finalizers) == held:
        return
    finalizers = [*finalizers, FINALIZER] if held else [f for f in finalizers if f != FINALIZER]
    patch = {"metadata": {"resourceVersion": meta["resourceVersion"], "finalizers": finalizers}}
    with contextlib.suppress(Conflict, NotFound):
        service_reads.wrote(service, objects.patch(SERVICES, meta["name"], patch, meta["namespace"]))


def _one_pass(namespace: str, name: str, instances_of: InstancesOf, reads: Reads = API) -> ServicePlan | None:
    """Plan and apply; from the watch while the plan only observes, from the API server once it
    starts or stops a task (`service_reads`), and after a 409."""
    with _guard:  # one pass of a service at a time (the queue's and the deletion handler's)
        lock = _locks.setdefault((namespace, name), threading.Lock())
    with lock:
        pinned: tuple[Obj | None, list[Obj]] | None = None  # read from the API server, to plan on
        for _ in range(PASSES):
            if pinned is not None:
                (service, tasks), pinned = pinned, None
            else:
                service = reads.service(namespace, name)
                tasks = reads.tasks_of(namespace, name) if service is not None else []
            if service is None:
                daemons.forget(f"{namespace}/{name}")
                return None
            problems = spec_problems("EcsService", service.get("spec"))
            if problems:
                report_invalid(service, problems)
                return _unplanned(service)
            instances = instances_of(service["spec"]["cluster"])
            try:
                result, _effective = plan(service, tasks, instances, datetime.now(UTC))
            except ResolveError as error:
                report_unresolvable(service, error)
                return _unplanned(service)
            except ValueError as error:  # what no check above foresaw (units, a model): report, never loop
                report_invalid(service, [Problem("spec", str(error))])
                return _unplanned(service)
            if reads.cached and (result.starts or result.stops):
                # Act only on what the API server says now: the plan stands if the watch showed
                # exactly that; else plan again from it.
                reads = API
                fresh = API.service(namespace, name)
                fresh_tasks = API.tasks_of(namespace, name) if fresh is not None else []
                if fresh is None or not service_reads.same(service, tasks, fresh, fresh_tasks):
                    pinned = (fresh, fresh_tasks)
                    continue
            try:
                written = apply(service, tasks, result)
            except Conflict:
                reads = API
                continue
            if not service["metadata"].get("deletionTimestamp"):
                _hold(written or service, True)
            elif result.finished:  # INACTIVE (no finalizer may be added once deleted)
                _hold(written or service, False)
            return result
        return _unplanned(service) if service is not None else None


def _unplanned(service: Obj) -> ServicePlan | None:
    """A deleted service that cannot be planned (an invalid spec, its task definition gone,
    conflicts) is drained without planning, and its finalizer goes once its tasks have stopped."""
    meta = service["metadata"]
    if meta.get("deletionTimestamp") and drain_unplanned(meta["namespace"], meta["name"]):
        _hold(service, False)
    return None


def _instances_from(kwargs: dict[str, Any]) -> Any:
    index: kopf.Index[str, dict[str, Any]] = kwargs["instance_objects"]

    def read(cluster: str) -> list[Obj]:
        cached = [dict(i) for i in index.get(cluster, ())]
        return cached or objects.list_objects(INSTANCES, label_selector=f"{CLUSTER_LABEL}={cluster}")

    return read


def _reads_from(kwargs: dict[str, Any]) -> Reads:
    return Reads(kwargs["service_objects"], kwargs["service_tasks"])


def _report_bad(service: Obj, message: str) -> None:
    report_invalid(service, [Problem("spec", message)])


@kopf.on.event(GROUP, VERSION, "ecsservices")
@metrics.counts_errors("EcsService")
@reports_bad_input("EcsService", _report_bad)
def service_changed(name: str, namespace: str | None, type: str, body: kopf.Body, **kwargs: Any) -> None:
    metrics.observe_service(body, deleted=type == "DELETED")
    if type == "DELETED":
        service_reads.forget((str(namespace), name))
        return
    if not leadership.owns(str(body.spec.get("cluster", ""))):
        return
    # A deleted service drains whatever its namespace may do now (as before its deletion).
    if not body.metadata.get("deletionTimestamp") and tenancy.refuse_service(objects.plain(body)):
        return
    reconcile_service(str(namespace), name, _instances_from(kwargs), _reads_from(kwargs))


@kopf.on.event(GROUP, VERSION, "ecstasks", labels={SERVICE_LABEL: kopf.PRESENT})
@metrics.counts_errors("EcsService")
@reports_bad_input("EcsService")
def service_task_changed(labels: kopf.Labels, namespace: str | None, spec: kopf.Spec, **kwargs: Any) -> None:
    if not leadership.owns(str(spec.get("cluster", ""))):
        return
    if tenancy.refusal(tenancy.CREATE_SERVICE, str(spec.get("cluster", "")), str(namespace)):
        return
    reconcile_service(str(namespace), labels[SERVICE_LABEL], _instances_from(kwargs), _reads_from(kwargs))


@kopf.timer(GROUP, VERSION, "ecsservices", interval=10)
@metrics.counts_errors("EcsService")
@reports_bad_input("EcsService", _report_bad)
def service_tick(name: str, namespace: str | None, body: kopf.Body, **kwargs: Any) -> None:
    """Time-based rules: health after 40 s, backoff expiry, new or draining instances, steady state."""
    if not leadership.owns(str(body.spec.get("cluster", ""))):
        return
    if tenancy.refuse_service(objects.plain(body)):
        return
    reconcile_service(str(namespace), name, _instances_from(kwargs), _reads_from(kwargs))


def drain_unplanned(namespace: str, name: str) -> bool:
    """Stop every live task of a deleted service (`reconcile.service.drain`); True once all STOPPED."""
    try:
        service = objects.get(SERVICES, name, namespace)
    except NotFound:
        return True
    decision = drain(service.get("status") or {}, API.tasks_of(namespace, name))
    for stop in decision.stops:
        with contextlib.suppress(NotFound, Conflict):
            task = objects.get(TASKS, stop.name, namespace)
            if task["metadata"]["uid"] == stop.uid:
                write_task_status(
                    task,
                    {
                        "desiredStatus": "STOPPED",
                        "stopCode": "ServiceSchedulerInitiated",
                        "stoppedReason": stop.reason,
                    },
                )
    return decision.finished
