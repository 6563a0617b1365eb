"""EcsTask handlers: RunTask/StartTask, the ECS task lifecycle from the pod, StopTask.

Level-triggered: every event of a task or of its pod runs `reconcile_task`, which builds compact
views of the task, its pod and its instance, asks the task planner (`reconcile.task.decide`, whose
docstring holds the table of steps and the argument for the one-write placement) for the next
step, and applies it. Every step is idempotent. The task's status is written with
compare-and-swap, because the task's and the pod's events can be handled at the same time.

The pod's events read the task from a watch-fed index (`task_bodies`), not from the API server;
a GET is made only when the index has not caught up with the pod (the task is missing there, or
its view predates the placement the pod comes from).

Before each pass of a task event, `task_protection.sync` answers a new `spec.protection`
(UpdateTaskProtection).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import os
import threading
import time
from datetime import timedelta
from typing import Any, cast

import kopf

from ecs_operator import metrics
from ecs_operator.crashpoints import crashpoint
from ecs_operator.handlers import batcher, leadership, snapshots, task_protection, tenancy
from ecs_operator.handlers import task_launch as tl
from ecs_operator.handlers.badinput import reports_bad_input, warn_once
from ecs_operator.kube import claims, objects, pods
from ecs_operator.kube.errors import Conflict, NotFound
from ecs_operator.kube.objects import CAPACITY_PROVIDERS, TASKS, Obj
from ecs_operator.lifecycle import LaunchStage, TaskStatus
from ecs_operator.lifecycle.deregistration import DELAY_ANNOTATION
from ecs_operator.lifecycle.observation import parse_time
from ecs_operator.names import GROUP, VERSION
from ecs_operator.reconcile.instances import MANAGED_LABEL
from ecs_operator.reconcile.ledger import claims_of
from ecs_operator.reconcile.podspec import pod_name
from ecs_operator.reconcile.provisioning import placeholder_name, placeholder_pod
from ecs_operator.reconcile.task import (
    CreatePod,
    FailPlaced,
    Finish,
    InstanceView,
    Observation,
    Observe,
    Place,
    PodView,
    Provision,
    RecordPod,
    Step,
    StopLost,
    StopUnplaced,
    TaskView,
    decide,
    observation,
    placement_fields,
    pod_created,
    unplaced,
)

RETENTION = timedelta(seconds=int(os.environ.get("ECS_OPERATOR_STOPPED_TASK_RETENTION", "3600")))
# How long a task waits in PROVISIONING for a provider with managed scaling (ECS: 30 minutes).
PROVISIONING_TIMEOUT = timedelta(seconds=int(os.environ.get("ECS_OPERATOR_PROVISIONING_TIMEOUT", "1800")))
Idx = kopf.Index[str, dict[str, Any]]

# Task uids whose pod this process has seen (created, read, or delivered by the watch): marker 1
# of "the pod was created" (`reconcile.task`). Entries go when their task stops or is deleted.
_pods_seen: set[str] = set()
# The task as this process last wrote it, by uid (a compact copy): a pod's event prefers it to
# the index's copy when it is newer, so it does not decide from a status the watch has not
# delivered back yet (each such decision costs a 409 and a GET). An entry goes once the index
# has caught up with it, or with its task.
_written: dict[str, Obj] = {}
# Task uids whose pod this process has asked to delete: a pass that reads the pod from the watch
# before its deletion shows would ask again, which changes nothing (a pod being deleted goes
# within its grace period). An entry goes when its task is deleted.
_deleted: set[str] = set()
# One pass of a task at a time: its own events and its pod's run on different threads, and two
# passes from the same copy race for one status write (the loser's 409 costs a GET and a retry).
# Re-entrant: a pass never waits on itself (the unit tests stage races from inside a write).
_task_locks: dict[str, threading.RLock] = {}
_locks_guard = threading.Lock()


def _delete_pod(namespace: str, name: str, uid: str, grace: int | None) -> None:
    """DELETE the task's pod, once per task (`_deleted`)."""
    if uid in _deleted:
        return
    if pods.delete(namespace, name, grace):  # a pod created late (after a 404 here) is deleted again
        _deleted.add(uid)


def _remember(written: Obj | None) -> Obj | None:
    if written is not None and written.get("metadata", {}).get("uid"):
        _written[str(written["metadata"]["uid"])] = slim(written)
    return written


def _forget(uid: str) -> None:
    _pods_seen.discard(uid)
    _written.pop(uid, None)
    with _locks_guard:
        _task_locks.pop(uid, None)


def _rv(obj: Obj) -> int:
    try:
        return int(obj["metadata"]["resourceVersion"])
    except (KeyError, TypeError, ValueError):
        return 0


@kopf.index(GROUP, VERSION, "ecscontainerinstances")
async def instance_objects(body: kopf.Body, spec: kopf.Spec, **_: Any) -> dict[str, dict[str, Any]]:
    """Whole container instances by cluster: the snapshot placement reads (Omega's shared state)."""
    return {str(spec.get("cluster", "")): objects.plain(body)}


@kopf.on.event(GROUP, VERSION, "ecscontainerinstances")
async def instance_metrics(body: kopf.Body, type: str, **_: Any) -> None:
    """Capacity and remaining resources per instance, for `metrics` (cheap: on the event loop)."""
    metrics.observe_instance(body, deleted=type == "DELETED")


def write_status(task: Obj, fields: dict[str, Any], *, unplaced: bool = False) -> Obj | None:
    """Merge `fields` into the task's status with CAS; skip when nothing would change.

    Never moves a placement: `containerInstance` is written only by `task_launch.record_placement`.
    With `unplaced`, nothing is written once the task names an instance (a peer placed it while
    this decision was made from an unplaced copy; the next pass decides again).
    """
    assert "containerInstance" not in fields, "placements are recorded by record_placement only"
    meta = task["metadata"]

    def compute(obj: Obj) -> Obj | None:
        current = obj.get("status") or {}
        if current.get("lastStatus") == "STOPPED" and fields.get("lastStatus") not in (None, "STOPPED"):
            return None  # a STOPPED task never comes back
        if unplaced and current.get("containerInstance"):
            return None
        diff = {k: v for k, v in fields.items() if current.get(k) != v}
        return diff or None

    return _remember(
        objects.update_status(TASKS, meta["name"], compute, namespace=meta["namespace"], current=task)
    )


def fail(task: Obj, error: tl.LaunchFailed) -> None:
    """TaskFailedToStart, unless a peer placed the task meanwhile."""
    moment = tl.stamp(tl.now())
    status = task.get("status") or {}
    write_status(
        task,
        {
            "lastStatus": "STOPPED",
            "desiredStatus": "STOPPED",
            "stopCode": "TaskFailedToStart",
            "stoppedReason": error.reason,
            "failures": error.failures,
            "createdAt": status.get("createdAt") or moment,
            "stoppingAt": moment,
            "stoppedAt": moment,
        },
        unplaced=True,
    )
    kopf.warn(cast(kopf.Body, task), reason="TaskFailedToStart", message=f"{error.reason}: {error.failures}")


def _launch_when_registered(task: Obj, instances: list[Obj]) -> tl.Launched | None:
    """Launch; a task definition still being registered is waited for briefly (then the cluster's
    sweep retries)."""
    cluster = str(task["spec"].get("cluster", ""))
    for _ in range(10):
        started = time.monotonic()
        try:
            launched = batcher.launch(task, instances)
            metrics.placement_succeeded(cluster, started)
            return launched
        except tl.NotYet:
            time.sleep(0.5)
        except tl.LaunchFailed as error:
            metrics.placement_failed(cluster, started, error.reason, error.failures)
            wait_or_fail(task, error)
            return None
        except Conflict as exc:
            # Every plan lost its race: the task is not failed, just not placed yet.
            raise kopf.TemporaryError(f"claim conflicts: {exc}", delay=1) from exc
    return None


# ---- managed scaling (issue 14 item 4; `reconcile.provisioning`) ----

# Task uids whose placeholder pod this process created (so a waiting task's every pass does not
# POST it again); a restart creates each once more (409: the pod exists).
_placeholders: set[str] = set()


def provider_spec(provider: str | None) -> dict[str, Any] | None:
    if not provider:
        return None
    try:
        return dict(objects.get(CAPACITY_PROVIDERS, provider).get("spec") or {})
    except NotFound:
        return None


def wait_or_fail(task: Obj, error: tl.LaunchFailed) -> None:
    """A task that fits nowhere: it waits in PROVISIONING when its provider has managed scaling
    (`reconcile.task.unplaced`), else it fails with TaskFailedToStart."""
    provider = error.provider if isinstance(error, tl.Unplaced) else None
    spec = provider_spec(provider)
    step = unplaced(
        task.get("status") or {},
        provider,
        spec,
        placement_failed=isinstance(error, tl.Unplaced),
        now=tl.now(),
    )
    if step is None:
        fail(task, error)
        return
    _provision(task, step, spec or {})


def _provision(task: Obj, step: Provision, provider_spec: dict[str, Any]) -> None:
    """PROVISIONING (written once) and the placeholder pod that asks the autoscaler for a node."""
    meta = task["metadata"]
    if step.fields is not None:
        written = write_status(task, step.fields, unplaced=True)
        if written is None and (objects.get(TASKS, meta["name"], meta["namespace"]).get("status") or {}).get(
            "containerInstance"
        ):
            return  # a peer placed it meanwhile
    if meta["uid"] in _placeholders:
        return
    effective = tl.resolve_task(task)
    pods.create(
        meta["namespace"],
        placeholder_pod(
            task_name=meta["name"],
            task_uid=meta["uid"],
            namespace=meta["namespace"],
            cluster=str(task["spec"]["cluster"]),
            provider=step.provider,
            node_selector=provider_spec.get("nodeSelector") or {},
            cpu=effective.cpu,
            memory=effective.memory,
        ),
    )
    _placeholders.add(meta["uid"])


def drop_placeholder(task: Obj) -> None:
    """The task no longer waits (placed, or stopped): its placeholder pod goes."""
    meta = task["metadata"]
    _placeholders.discard(meta["uid"])
    pods.delete(meta["namespace"], placeholder_name(meta["uid"]), 0)


def _was_provisioning(task: Obj) -> bool:
    return (task.get("status") or {}).get("lastStatus") == "PROVISIONING"


def place_and_start(task: Obj, instances: list[Obj]) -> None:
    """Claim, record the placement by CAS on the task, then create the pod (`reconcile.ledger`).

    The placement record carries PENDING, podName and the first observation: one status write
    (`reconcile.task`). No Event: ECS has no per-task placement event.
    """
    meta = task["metadata"]
    launched = _launch_when_registered(task, instances)
    if launched is None:
        return
    crashpoint("after-claim")
    inst = launched.instance
    name = inst["metadata"]["name"]
    zone = next(
        (
            a.get("value")
            for a in (inst.get("status") or {}).get("attributes") or []
            if a["name"] == "ecs.availability-zone"
        ),
        None,
    )
    status = task.get("status") or {}
    fields: dict[str, Any] = {
        **placement_fields(tl.container_specs(launched.task), tl.now(), status.get("createdAt")),
        "taskDefinition": launched.task.reference,
        "group": tl.group_of(task, launched.task),
        "containerInstance": name,
        "podName": pod_name(launched.task.family, meta["uid"]),
        "cpu": launched.task.cpu,
        "memory": launched.task.memory,
    }
    if zone:
        fields["availabilityZone"] = zone
    if launched.capacity_provider:
        fields["capacityProviderName"] = launched.capacity_provider
    if (inst.get("status") or {}).get("launchType") == "FARGATE" and not status.get("platformRevision"):
        # with the placement, never after it: a launched FARGATE task without a revision counts
        # as on a retired one (`reconcile.retirement`)
        revision = tl.fargate_settings(str(task["spec"]["cluster"])).platform_revision
        if revision:
            fields["platformRevision"] = revision
    try:
        updated = tl.record_placement(task, fields)
        _remember(updated)
    except tl.PlacedElsewhere as lost:
        if lost.taken.stopped or lost.taken.instance != name:
            _release(name, meta["uid"])  # roll back: this claim names a placement that never was
        metrics.placement_race_lost(str(task["spec"].get("cluster", "")))
        return
    crashpoint("after-placement")
    if _was_provisioning(task):
        drop_placeholder(task)
    if launched.capacity_provider:
        metrics.capacity_provider_placed(str(task["spec"].get("cluster", "")), launched.capacity_provider)
    for other in launched.others:  # claims of earlier attempts that lost (crash, race)
        _release(other, meta["uid"])
    if (updated.get("status") or {}).get("desiredStatus") == "STOPPED":
        return  # stopped while being placed (a scale-in): its next pass ends it, no pod is made
    tl.create_pod(updated, launched.task, inst, launched.claim)
    _pods_seen.add(meta["uid"])
    crashpoint("after-pod")


def _release(instance: str, uid: str) -> None:
    with contextlib.suppress(NotFound):
        released = claims.release(instance, uid, current=snapshots.latest(instance))
        if released is not None:
            snapshots.remember(released)


def release_claim(task: Obj) -> None:
    instance = (task.get("status") or {}).get("containerInstance")
    if instance:
        _release(str(instance), task["metadata"]["uid"])


def finish(task: Obj, pod: Obj | None = None) -> None:
    """A STOPPED task: its claim is released; after the retention period the task is deleted.

    `pod`: a pod of the task seen by the caller (a peer that read the task before it stopped can
    create it late); it goes too, so no pod runs uncounted. Its own events bring it here.
    """
    step = decide(TaskView.of(task), PodView.of(pod) if pod else None, None, tl.now(), retention=RETENTION)
    assert isinstance(step, Finish), step
    _finish(task, step)


def _finish(task: Obj, step: Finish) -> None:
    meta = task["metadata"]
    if step.delete_pod is not None:
        _delete_pod(meta["namespace"], step.delete_pod, meta["uid"], 0)
    release_claim(task)
    _forget(meta["uid"])
    if step.expired:
        with contextlib.suppress(NotFound):
            objects.delete(TASKS, meta["name"], meta["namespace"])


def _observe(task: Obj, view: TaskView, pod: PodView | None, launch: LaunchStage) -> None:
    """Status from the pod; stop the pod when StopTask or a stop cause says so.

    The observation is computed from the task as the write reads it: a copy from the index may be
    a little behind this process's own last write, and a 409 then recomputes it from the fresh
    task instead of writing fields (timestamps, the first stop cause) derived from the stale one.
    """
    specs = tl.container_specs(tl.resolve_task(task))
    now = tl.now()
    results = [observation(view, task.get("status") or {}, pod, launch, specs, now)]

    def compute(obj: Obj) -> Obj | None:
        if obj is task:
            return results[0].fields
        current = obj.get("status") or {}
        if current.get("lastStatus") == "STOPPED":
            results.append(Observation(None))
            return None  # a STOPPED task never comes back; its own event finishes it
        results.append(observation(TaskView.of(obj, DELAY_ANNOTATION), current, pod, launch, specs, now))
        return results[-1].fields

    if results[0].fields is not None:
        meta = task["metadata"]
        _remember(
            objects.update_status(TASKS, meta["name"], compute, namespace=meta["namespace"], current=task)
        )
    result = results[-1]
    if result.delete_pod and pod is not None:
        _delete_pod(view.namespace, pod.name, view.uid, result.delete_grace)
    if result.release:
        release_claim(task)


def reconcile_task(task: Obj, instances: list[Obj], pod: Obj | None = None, pod_known: bool = False) -> None:
    """One level-triggered pass over a task; the pod is read unless the caller has it (`pod_known`).

    `pod_known` with `pod` None: the caller knows there is none (its DELETED event), so the pod
    did exist. Passes of one task run one at a time, each from the newest copy this process has
    (its event's, or what it wrote last).
    """
    uid = str(task["metadata"]["uid"])
    with _locks_guard:
        lock = _task_locks.setdefault(uid, threading.RLock())
    with lock:
        mine = _written.get(uid)
        if mine is not None and _rv(mine) > _rv(task):
            task = {**task, **mine, "metadata": {**task["metadata"], **mine["metadata"]}}
        _reconcile_task(task, instances, pod, pod_known)


def _reconcile_task(task: Obj, instances: list[Obj], pod: Obj | None, pod_known: bool) -> None:
    view = TaskView.of(task, DELAY_ANNOTATION)
    uid = view.uid
    placed = view.container_instance is not None and view.last_status is not TaskStatus.STOPPED
    if placed and not pod_known:
        pod = pods.get_or_none(view.namespace, tl.expected_pod_name(task))
    seen = pod is not None or (pod_known and placed) or uid in _pods_seen
    if pod is not None and placed:
        _pods_seen.add(uid)
    instance = None
    if placed:
        name = str(view.container_instance)
        instance = next((i for i in instances if i["metadata"]["name"] == name), None)
        if instance is None and pod is None and not pod_created(view, tl.now(), pod_seen=seen):
            instance = _read_instance(name)  # the pod is to be created: its instance is needed
    for _ in range(2):  # a RecordPod is followed by the observation in the same pass
        step = decide(
            view,
            PodView.of(pod) if pod is not None else None,
            InstanceView.of(instance, uid) if instance is not None else None,
            tl.now(),
            pod_seen=seen,
            retention=RETENTION,
            provisioning_timeout=PROVISIONING_TIMEOUT,
        )
        if not isinstance(step, RecordPod):
            break
        # Created by a pass of the older two-write protocol that died before recording it: record
        # it now, or its loss would later read as "never created" and a second pod be made.
        task = write_status(task, {"podName": step.pod_name}) or task
        view = TaskView.of(task, DELAY_ANNOTATION)
    _apply(task, view, step, pod, instance, instances)


def _apply(
    task: Obj, view: TaskView, step: Step, pod: Obj | None, instance: Obj | None, instances: list[Obj]
) -> None:
    """Apply one step of the planner (`reconcile.task`)."""
    if isinstance(step, Finish):
        _finish(task, step)
    elif isinstance(step, StopUnplaced):
        if _was_provisioning(task):
            drop_placeholder(task)
        moment = tl.stamp(tl.now())
        write_status(
            task,
            {
                "lastStatus": "STOPPED",
                "desiredStatus": "STOPPED",
                "stopCode": step.decision.code.value,
                "stoppedReason": step.decision.reason,
                "stoppedAt": moment,
                "createdAt": (task.get("status") or {}).get("createdAt") or moment,
            },
            unplaced=True,
        )
    elif isinstance(step, Place):
        place_and_start(task, instances)
    elif isinstance(step, CreatePod):
        assert instance is not None
        _create_pod(task, view, instance, step)
    elif isinstance(step, StopLost):
        if step.stop_task:
            write_status(
                task,
                {"desiredStatus": "STOPPED", "stopCode": "TaskFailedToStart", "stoppedReason": step.reason},
            )
        _delete_pod(view.namespace, step.pod_name, view.uid, 0)
    elif isinstance(step, FailPlaced):
        failures = [{"arn": arn, "reason": "MISSING", "detail": detail} for arn, detail in step.failures]
        fail_placed(task, tl.LaunchFailed(step.reason, failures))
    elif isinstance(step, Observe):
        _observe(task, view, PodView.of(pod) if pod is not None else None, step.launch)
    else:  # RecordPod twice in a row cannot happen: the second decide sees podName
        raise AssertionError(step)


def _create_pod(task: Obj, view: TaskView, inst: Obj, step: CreatePod) -> None:
    """The placed task's pod (its claim committed again first if the ledger lost it)."""
    effective = tl.resolve_task(task)
    claim = _ensure_claim(task, inst) if step.commit_claim else _claim_on(inst, view.uid)
    if claim is None:
        return
    created = tl.create_pod(task, effective, inst, claim)
    _pods_seen.add(view.uid)
    crashpoint("after-pod")
    if view.pod_name is None:  # placed by the older protocol: name it now
        write_status(task, {"podName": created["metadata"]["name"]})


def _claim_on(inst: Obj, uid: str) -> dict[str, Any] | None:
    return dict(next((c for n, c in claims_of([inst], uid)), {})) or None


def _ensure_claim(task: Obj, inst: Obj) -> dict[str, Any] | None:
    """The task's claim on the instance it names, committed again if it is missing.

    It is there unless the ledger lost it (an instance object re-created, a claim released by
    hand): then it is committed again with the fit re-checked; a task that no longer fits is
    failed (TaskFailedToStart) rather than started uncounted.
    """
    held = _claim_on(inst, task["metadata"]["uid"])
    if held:
        return held
    try:
        launched = tl.recommit(task, inst)
    except tl.LaunchFailed as error:
        fail_placed(task, error)
        return None
    snapshots.remember(launched.instance)
    return launched.claim


def fail_placed(task: Obj, error: tl.LaunchFailed) -> None:
    """A placed task that cannot start after all: stopped with the reason; its pod never comes."""
    write_status(
        task,
        {
            "desiredStatus": "STOPPED",
            "stopCode": "TaskFailedToStart",
            "stoppedReason": error.reason,
            "failures": error.failures,
        },
    )
    kopf.warn(cast(kopf.Body, task), reason="TaskFailedToStart", message=f"{error.reason}: {error.failures}")


def _read_instance(name: str) -> Obj | None:
    """An instance the snapshot does not hold yet (None when it is gone)."""
    try:
        return objects.get(objects.INSTANCES, name)
    except NotFound:
        return None


def cluster_instances(kwargs: dict[str, Any], cluster: str) -> list[Obj]:
    """The cluster's instances as the watch holds them, not copied: placement and the planner only
    read them (a commit's answer goes to `snapshots`, never into these)."""
    index: Idx = kwargs["instance_objects"]
    return list(index.get(cluster, ()))


def report_bad_task(task: Obj, message: str) -> None:
    """A task whose spec cannot be read: not placed yet, it ends STOPPED with INVALID (as RunTask
    refuses it); placed, it keeps running and a Warning Event says why it is not reconciled."""
    status = task.get("status") or {}
    if (
        task.get("kind") == "EcsTask"
        and status.get("lastStatus") != "STOPPED"
        and not status.get("containerInstance")
    ):
        fail(task, tl.LaunchFailed("TaskFailedToStart: INVALID", [{"reason": "INVALID", "detail": message}]))
    else:
        warn_once(task, "InvalidSpec", message)


@kopf.on.event(GROUP, VERSION, "ecstasks")
@metrics.counts_errors("EcsTask")
@reports_bad_input("EcsTask", report_bad_task)
def task_changed(body: kopf.Body, type: str, **kwargs: Any) -> None:
    metrics.observe_task(body, deleted=type == "DELETED")
    task = objects.plain(body)
    if type == "DELETED":
        release_claim(task)
        _forget(task["metadata"]["uid"])
        _deleted.discard(task["metadata"]["uid"])
        return
    if not leadership.owns(str(task["spec"].get("cluster", ""))):
        return
    if tenancy.refuse_task(task):
        return
    task = task_protection.sync(task)
    pod = indexed_pod(kwargs, task)
    reconcile_task(
        task, cluster_instances(kwargs, str(task["spec"].get("cluster", ""))), pod, pod_known=pod is not None
    )


def slim(body: Any) -> Obj:
    """A task as the planner reads it, for the index: without managedFields or others' annotations."""
    meta = body["metadata"]
    kept = ("name", "namespace", "uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "labels")
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k.startswith(GROUP)}
    return objects.plain(
        {
            "apiVersion": body.get("apiVersion"),
            "kind": body.get("kind"),
            "metadata": {**{k: meta[k] for k in kept if k in meta}, "annotations": annotations},
            "spec": body.get("spec") or {},
            "status": body.get("status") or {},
        }
    )


@kopf.index(GROUP, VERSION, "ecstasks")
async def task_bodies(body: kopf.Body, **_: Any) -> dict[str, Obj]:
    """Tasks by uid, as the watch last delivered them: what a pod's event reads (no GET per event)."""
    return {str(body.metadata.uid): slim(body)}


def newest(index: Idx, uid: str) -> Obj | None:
    """The task as the index holds it, or as this process last wrote it when that is newer."""
    task = next(iter(index.get(uid, ())), None)
    mine = _written.get(uid)
    if mine is not None and (task is None or _rv(mine) > _rv(task)):
        return mine
    return task


def _indexed_task(kwargs: dict[str, Any], uid: str) -> Obj | None:
    """The task from the index, or None when the index has not caught up with the pod: the task is
    not there yet, or its copy predates the placement record the pod was created after."""
    index: Idx = kwargs["task_bodies"]
    task = next(iter(index.get(uid, ())), None)
    mine = _written.get(uid)
    if mine is not None and task is not None and _rv(task) >= _rv(mine):
        _written.pop(uid, None)  # the watch caught up: the index's copy is as new
    elif mine is not None:
        task = mine
    if task is None:
        return None
    status = task.get("status") or {}
    if status.get("lastStatus") != "STOPPED" and not (
        status.get("containerInstance") and status.get("podName")
    ):
        return None  # a pod exists (or existed) only after its placement was recorded
    return task


@kopf.index("", "v1", "pods", labels={MANAGED_LABEL: kopf.PRESENT})
async def task_pods(body: kopf.Body, labels: kopf.Labels, **_: Any) -> dict[str, Obj] | None:
    """Task pods by their task's uid, compact (what the planner and the observation read): the
    cluster's sweep and the task's own events read the pod here instead of a GET per pass."""
    uid = labels.get(MANAGED_LABEL)
    if not uid:
        return None
    meta, spec = body["metadata"], body.get("spec") or {}
    kept = ("name", "namespace", "uid", "resourceVersion", "deletionTimestamp", "labels", "annotations")
    return {
        str(uid): objects.plain(
            {
                "metadata": {k: meta[k] for k in kept if meta.get(k) is not None},
                "spec": {k: spec[k] for k in ("nodeName", "terminationGracePeriodSeconds") if k in spec},
                "status": body.get("status") or {},
            }
        )
    }


def indexed_pod(kwargs: dict[str, Any], task: Obj) -> Obj | None:
    """The task's pod as the watch last delivered it; None when the watch has not shown it (then
    `reconcile_task` reads it from the API server: a pod just created, or one that is gone)."""
    index: Idx | None = kwargs.get("task_pods")
    if index is None:
        return None
    name = tl.expected_pod_name(task)
    return next((p for p in index.get(task["metadata"]["uid"], ()) if p["metadata"]["name"] == name), None)


@kopf.on.event("", "v1", "pods", labels={MANAGED_LABEL: kopf.PRESENT})
@metrics.counts_errors("EcsTask")
@reports_bad_input("EcsTask")
def task_pod_changed(body: kopf.Body, type: str, namespace: str | None, **kwargs: Any) -> None:
    owner = next((o for o in body.metadata.get("ownerReferences") or [] if o.get("kind") == "EcsTask"), None)
    if owner is None:
        return
    uid = str(owner.get("uid"))
    task = _indexed_task(kwargs, uid)
    if task is None:
        try:
            task = objects.get(TASKS, owner["name"], str(namespace))
        except NotFound:
            return
    if task["metadata"]["uid"] != uid:
        return
    if not leadership.owns(str(task["spec"].get("cluster", ""))):
        return
    pod = None if type == "DELETED" else objects.plain(body)
    reconcile_task(task, cluster_instances(kwargs, str(task["spec"].get("cluster", ""))), pod, pod_known=True)


def _stopped(status: kopf.Status, **_: Any) -> bool:
    return status.get("lastStatus") == "STOPPED"


@kopf.daemon(
    GROUP,
    VERSION,
    "ecstasks",
    when=_stopped,
    initial_delay=10,
    cancellation_backoff=10,
    cancellation_timeout=10,
)
async def stopped_task_retention(body: kopf.Body, stopped: kopf.DaemonStopped, **_: Any) -> None:
    """A STOPPED task: its claim released once more (the event that stopped it did it first; this
    covers an API error then), then deleted when its retention period ends.

    Why a sleeping daemon, not the cluster's sweep (`task_sweep`): its retention is one moment
    known in advance, and a sleeping asyncio task costs nothing until then.
    It waits on `stopped` rather than being cancelled: a cancelled daemon is a Warning Event.
    """
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, finish, objects.plain(body))
    stopped_at = parse_time(body.status.get("stoppedAt"))
    if stopped_at is None:
        return
    wait = (stopped_at + RETENTION - tl.now()).total_seconds() + 1
    if wait > 0 and await stopped.wait(wait):
        return  # the operator stops, or the task is gone
    await loop.run_in_executor(None, finish, objects.plain(body))


def _without_finalizer(*fns: object) -> None:
    """Kopf blocks the deletion of every object a timer or daemon matches with its finalizer (one
    PATCH per task when it is created, one when it is deleted, and a task that stays deleting
    while no operator runs). `stopped_task_retention` does not earn it: it deletes the task
    itself, so a task deleted by someone else leaves it nothing to do, and Kopf still stops it
    when the object goes. So it is registered without it (Kopf removes the finalizer from tasks
    that carry one from before).
    """
    spawning = kopf.get_default_registry()._spawning
    handlers = spawning._handlers
    for i, handler in enumerate(handlers):
        if getattr(handler, "fn", None) in fns:
            handlers[i] = dataclasses.replace(handler, requires_finalizer=False)


_without_finalizer(stopped_task_retention)


# Instances this process has seen registered: a name new here (after the initial listing) is
# capacity that just arrived, and the cluster's PROVISIONING tasks try to be placed at once rather
# than at the next sweep (`task_sweep`) (managed scaling: the node the autoscaler added for them).
_registered: set[str] = set()


@kopf.on.event(GROUP, VERSION, "ecscontainerinstances")
async def instance_arrived(body: kopf.Body, type: str | None, **kwargs: Any) -> None:
    """On the event loop: every claim write is an instance event, and only an instance new here
    costs a thread (`place_provisioning`)."""
    name = str(body.metadata.name)
    if type == "DELETED":
        _registered.discard(name)
        return
    if name in _registered or not (body.get("status") or {}).get("registeredResources"):
        return
    _registered.add(name)
    cluster = str(body.spec.get("cluster", ""))
    if type is None or not leadership.owns(cluster):
        return  # the initial listing: nothing arrived
    run = contextvars.copy_context().run  # Kopf's context, for the Events of the passes
    await asyncio.get_running_loop().run_in_executor(None, run, place_provisioning, cluster, kwargs)


@metrics.counts_errors("EcsTask")
def place_provisioning(cluster: str, kwargs: dict[str, Any]) -> None:
    """The cluster's PROVISIONING tasks try to be placed: capacity just arrived."""
    index: Idx = kwargs["task_bodies"]
    for uid in list(index):
        task = newest(index, uid)
        if task is None or str(task["spec"].get("cluster", "")) != cluster or not _was_provisioning(task):
            continue
        with contextlib.suppress(kopf.TemporaryError):  # a lost race: the sweep tries again
            reconcile_task(dict(task), cluster_instances(kwargs, cluster))
