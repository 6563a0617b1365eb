"""EcsTask handlers: RunTask/StartTask, the ECS task lifecycle from the pod, StopTask.

Level-triggered: every event of a task or of its pod runs `reconcile_task`, which looks at what is
there (status, pod) and takes the next step; every step is idempotent. The task's status is
written with compare-and-swap too, because the task's and the pod's events can be handled at the
same time. The pure parts are in `reconcile.launch`, `reconcile.podspec` and `lifecycle`.

- STOPPED: release the claim; delete the task after the retention period.
- not placed, desired RUNNING: place, commit the claim, record the placement, create the pod.
- not placed, desired STOPPED: STOPPED (UserInitiated).
- placed, no pod yet: create the pod.
- pod present: status from the pod; delete the pod (SIGTERM, then SIGKILL after stopTimeout) when
  StopTask or a stop cause (an essential container exited) says so.
- pod gone after it existed: STOPPED; release the claim.

Before each pass, `task_protection.sync` answers a new `spec.protection` (UpdateTaskProtection).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
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
from ecs_operator.kube.objects import TASKS, Obj
from ecs_operator.lifecycle import (
    DesiredStatus,
    LaunchStage,
    StopDecision,
    TaskObservation,
    TaskStatus,
    should_stop_task,
    task_status_from_pod,
    user_stop,
)
from ecs_operator.lifecycle.deregistration import DELAY_ANNOTATION, held_until
from ecs_operator.lifecycle.observation import parse_time
from ecs_operator.reconcile.instances import MANAGED_LABEL
from ecs_operator.reconcile.ledger import claims_of

GROUP, VERSION = "ecs-operator.dev", "v1alpha1"
RETENTION = timedelta(seconds=int(os.environ.get("ECS_OPERATOR_STOPPED_TASK_RETENTION", "3600")))
Idx = kopf.Index[str, dict[str, Any]]


@kopf.index(GROUP, VERSION, "ecscontainerinstances")
def instance_objects(body: kopf.Body, spec: kopf.Spec, **_: Any) -> dict[str, dict[str, Any]]:
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

    return objects.update_status(TASKS, meta["name"], compute, namespace=meta["namespace"], current=task)


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


def desired(task: Obj) -> DesiredStatus:
    spec_desired = task["spec"].get("desiredStatus", "RUNNING")
    status_desired = (task.get("status") or {}).get("desiredStatus")
    return DesiredStatus.STOPPED if "STOPPED" in (spec_desired, status_desired) else DesiredStatus.RUNNING


def stop_decision(task: Obj) -> StopDecision:
    status = task.get("status") or {}
    if status.get("stopCode"):
        from ecs_operator.lifecycle import StopCode

        return StopDecision(StopCode(status["stopCode"]), status.get("stoppedReason") or "")
    return user_stop(task["spec"].get("stopReason"))


def _launch_when_registered(task: Obj, instances: list[Obj]) -> tl.Launched | None:
    """Launch; a task definition still being registered is waited for briefly (then the timer retries)."""
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
            fail(task, error)
            return None
        except Conflict as exc:
            # Every plan lost its race: the task is not failed, just not placed yet.
            raise kopf.TemporaryError(f"claim conflicts: {exc}", delay=1) from exc
    return None


def place_and_start(task: Obj, instances: list[Obj]) -> None:
    """Claim, record the placement by CAS on the task, then create the pod (`reconcile.ledger`)."""
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
    moment = tl.stamp(tl.now())
    fields: dict[str, Any] = {
        "lastStatus": "PENDING",
        "desiredStatus": "RUNNING",
        "taskDefinition": launched.task.reference,
        "group": tl.group_of(task, launched.task),
        "containerInstance": name,
        "cpu": launched.task.cpu,
        "memory": launched.task.memory,
        "createdAt": (task.get("status") or {}).get("createdAt") or moment,
    }
    if zone:
        fields["availabilityZone"] = zone
    if launched.capacity_provider:
        fields["capacityProviderName"] = launched.capacity_provider
    try:
        updated = tl.record_placement(task, fields)
    except tl.PlacedElsewhere as lost:
        if lost.taken.stopped or lost.taken.instance != name:
            _release(name, meta["uid"])  # roll back: this claim names a placement that never was
        metrics.placement_race_lost(str(task["spec"].get("cluster", "")))
        return
    crashpoint("after-placement")
    if launched.capacity_provider:
        metrics.capacity_provider_placed(str(task["spec"].get("cluster", "")), launched.capacity_provider)
    for other in launched.others:  # claims of earlier attempts that lost (crash, race)
        _release(other, meta["uid"])
    pod = tl.create_pod(updated, launched.task, inst, launched.claim)
    crashpoint("after-pod")
    write_status(updated, {"podName": pod["metadata"]["name"]})
    kopf.event(
        cast(kopf.Body, task),
        type="Normal",
        reason="Placed",
        message=f"Task {meta['name']} placed on {name}.",
    )


def _release(instance: str, uid: str) -> None:
    with contextlib.suppress(NotFound):
        released = claims.release(instance, uid)
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
    if pod is not None and not pod["metadata"].get("deletionTimestamp"):
        pods.delete(task["metadata"]["namespace"], pod["metadata"]["name"], 0)
    release_claim(task)
    stopped_at = parse_time((task.get("status") or {}).get("stoppedAt"))
    if stopped_at is not None and tl.now() - stopped_at > RETENTION:
        with contextlib.suppress(NotFound):
            objects.delete(TASKS, task["metadata"]["name"], task["metadata"]["namespace"])


def observe(task: Obj, pod: Obj | None) -> None:
    """Status from the pod; stop the pod when StopTask or a stop cause says so."""
    status = task.get("status") or {}
    effective = tl.placed_task(task)
    specs = tl.container_specs(effective)
    launch = LaunchStage.POD_CREATED if status.get("podName") else LaunchStage.PLACED
    previous = TaskObservation.from_status(status, specs)
    wanted = desired(task)
    obs = task_status_from_pod(
        pod,
        containers=specs,
        desired_status=wanted,
        launch=launch,
        now=tl.now(),
        previous=previous,
        stop=stop_decision(task) if wanted is DesiredStatus.STOPPED else None,
    )
    cause = should_stop_task(obs) if wanted is DesiredStatus.RUNNING else None
    if cause is not None:
        # Record why first, then stop: a pod deleted while desired RUNNING reads as lost.
        write_status(
            task, {"desiredStatus": "STOPPED", "stopCode": cause.code.value, "stoppedReason": cause.reason}
        )
        return
    fields = obs.to_status()
    stopping = (
        pod is not None and wanted is DesiredStatus.STOPPED and not pod["metadata"].get("deletionTimestamp")
    )
    hold = (
        held_until(
            delay=int((task["metadata"].get("annotations") or {}).get(DELAY_ANNOTATION) or 0),
            last_status=status.get("lastStatus"),
            deregistered_at=parse_time(status.get("deregisteredAt")),
            now=tl.now(),
        )
        if stopping and obs.last_status is TaskStatus.DEACTIVATING
        else None
    )
    if hold is not None and not status.get("deregisteredAt"):
        fields["deregisteredAt"] = tl.stamp(hold[0])
    write_status(task, fields)
    if hold is not None:
        return  # DEACTIVATING: the load balancer drains it; a later pass (task_tick) stops the pod
    if stopping and pod is not None:
        grace = pod["spec"].get("terminationGracePeriodSeconds")
        pods.delete(task["metadata"]["namespace"], pod["metadata"]["name"], grace)
    if obs.last_status is TaskStatus.STOPPED:
        release_claim(task)


def reconcile_task(task: Obj, instances: list[Obj], pod: Obj | None = None, pod_known: bool = False) -> None:
    """One level-triggered pass over a task; the pod is read unless the caller has it (`pod_known`)."""
    status = task.get("status") or {}
    if status.get("lastStatus") == "STOPPED":
        finish(task, pod)
        return
    if not status.get("containerInstance"):
        if desired(task) is DesiredStatus.STOPPED:
            moment = tl.stamp(tl.now())
            decision = user_stop(task["spec"].get("stopReason"))
            write_status(
                task,
                {
                    "lastStatus": "STOPPED",
                    "desiredStatus": "STOPPED",
                    "stopCode": decision.code.value,
                    "stoppedReason": decision.reason,
                    "stoppedAt": moment,
                    "createdAt": status.get("createdAt") or moment,
                },
                unplaced=True,
            )
            return
        place_and_start(task, instances)
        return
    if not pod_known:
        pod = pods.get_or_none(task["metadata"]["namespace"], tl.expected_pod_name(task))
    inst_name = str(status["containerInstance"])
    inst = next((i for i in instances if i["metadata"]["name"] == inst_name), None)
    if pod is None and not status.get("podName") and desired(task) is DesiredStatus.RUNNING:
        inst = objects.get(objects.INSTANCES, inst_name) if inst is None else inst
        claim = _ensure_claim(task, inst)
        if claim is None:
            return
        created = tl.create_pod(task, tl.placed_task(task), inst, claim)
        crashpoint("after-pod")
        write_status(task, {"podName": created["metadata"]["name"]})
        return
    if pod is not None and inst is not None and _off_its_instance(task, pod, inst):
        return
    if pod is not None and not status.get("podName"):
        # Created by a pass that died before recording it (crash point after-pod): record it now,
        # or the pod's loss would later read as "never created" and a second pod be made.
        task = write_status(task, {"podName": pod["metadata"]["name"]}) or task
    observe(task, pod)


def _ensure_claim(task: Obj, inst: Obj) -> dict[str, Any] | None:
    """The task's claim on the instance it names, committed again if it is missing.

    It is there unless the ledger lost it (an instance object re-created, a claim released by
    hand): then it is committed again with the fit re-checked; a task that no longer fits is
    failed (TaskFailedToStart) rather than started uncounted.
    """
    uid = task["metadata"]["uid"]
    held = dict(next((c for n, c in claims_of([inst], uid)), {}))
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


def _off_its_instance(task: Obj, pod: Obj, inst: Obj) -> bool:
    """A pod on another node than its task's instance is a lost task (invariant I6): it is stopped.

    The protocol never creates one (the pod follows the recorded placement); this is the repair
    for one made by hand or by an older version, so the ledger describes the nodes again.
    """
    node, expected = (pod.get("spec") or {}).get("nodeName"), (inst.get("spec") or {}).get("nodeName")
    if not node or node == expected or pod["metadata"].get("deletionTimestamp"):
        return False
    if desired(task) is DesiredStatus.RUNNING:
        write_status(
            task,
            {
                "desiredStatus": "STOPPED",
                "stopCode": "TaskFailedToStart",
                "stoppedReason": f"Task lost: its pod runs on node {node}, not on its container instance "
                f"{inst['metadata']['name']} (node {expected}).",
            },
        )
    pods.delete(task["metadata"]["namespace"], pod["metadata"]["name"], 0)
    return True


def _instances(kwargs: dict[str, Any], cluster: str) -> list[Obj]:
    index: Idx = kwargs["instance_objects"]
    return [dict(i) for i in index.get(cluster, ())]


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
        return
    if not leadership.owns(str(task["spec"].get("cluster", ""))):
        return
    if tenancy.refuse_task(task):
        return
    task = task_protection.sync(task)
    reconcile_task(task, _instances(kwargs, str(task["spec"].get("cluster", ""))))


@kopf.on.event("", "v1", "pods", labels={MANAGED_LABEL: kopf.PRESENT})
@metrics.counts_errors("EcsTask")
@reports_bad_input("EcsTask")
def task_pod_changed(body: kopf.Body, type: str, namespace: str | None, **kwargs: Any) -> None:
    owner = next((o for o in body.metadata.get("ownerReferences") or [] if o.get("kind") == "EcsTask"), None)
    if owner is None:
        return
    try:
        task = objects.get(TASKS, owner["name"], str(namespace))
    except NotFound:
        return
    if task["metadata"]["uid"] != owner.get("uid"):
        return
    if not leadership.owns(str(task["spec"].get("cluster", ""))):
        return
    pod = None if type == "DELETED" else objects.plain(body)
    reconcile_task(task, _instances(kwargs, str(task["spec"].get("cluster", ""))), pod, pod_known=True)


def _stopped(status: kopf.Status, **_: Any) -> bool:
    return status.get("lastStatus") == "STOPPED"


def _not_stopped(status: kopf.Status, **_: Any) -> bool:
    return status.get("lastStatus") != "STOPPED"


@kopf.timer(GROUP, VERSION, "ecstasks", interval=20, idle=10, when=_not_stopped)
@metrics.counts_errors("EcsTask")
@reports_bad_input("EcsTask", report_bad_task)
def task_tick(body: kopf.Body, **kwargs: Any) -> None:
    """Time-based transitions the events miss: health after 40 s, a pod that never came."""
    task = objects.plain(body)
    if not leadership.owns(str(task["spec"].get("cluster", ""))):
        return
    if tenancy.refuse_task(task):
        return
    task = task_protection.sync(task)
    reconcile_task(task, _instances(kwargs, str(task["spec"].get("cluster", ""))))


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

    Why a sleeping daemon, not the timer: stopped tasks pile up (a per-minute schedule leaves 60 an
    hour), and a timer per task polled each of them every 20 s; a sleeping asyncio task costs nothing.
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
