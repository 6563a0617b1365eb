"""The task planner: the next step of one EcsTask, from compact views of the task, its pod and its
container instance (pure; `handlers.tasks` builds the views, calls `decide`, applies the step).

Why a planner: a task's lifecycle used to be a decision tree interleaved with API calls inside the
handler, which could only be tested against a fake API server. Here every branch is one row of a
table that a unit test covers, and the handler only reads, calls and applies (style.md habit 2).

`decide(task, pod, instance, now, pod_seen=...)`, first match wins:

| id             | task                                  | pod / instance                       | step          |
|----------------|---------------------------------------|--------------------------------------|---------------|
| stopped        | lastStatus STOPPED                    | any                                  | Finish        |
| stop-unplaced  | no instance, desired STOPPED          | -                                    | StopUnplaced  |
| provision-timeout | no instance, desired RUNNING, PROVISIONING past the timeout | -          | StopUnplaced (EMPTY CAPACITY PROVIDER) |
| place          | no instance, desired RUNNING          | -                                    | Place         |
| off-instance   | placed                                | pod on another node than the instance's, not deleting | StopLost |
| record-pod     | placed, no podName (older protocol)   | pod present                          | RecordPod     |
| observe        | placed                                | pod present                          | Observe       |
| create-pod     | placed, desired RUNNING, pod never created (below) | no pod; instance known    | CreatePod     |
| instance-gone  | placed, desired RUNNING, pod never created | no pod; instance gone           | FailPlaced    |
| pod-gone       | placed                                | no pod, and it was created, or desired STOPPED | Observe (STOPPED) |

**One write for placement, PENDING and podName.** The pod's name is deterministic
(``<family>-<task uid>``), so the placement record (`handlers.task_launch.record_placement`, a
compare-and-swap on the task) writes ``containerInstance``, ``lastStatus: PENDING``, ``podName``
and the first observation (containers PENDING, health UNKNOWN) at once; the pod is created right
after it. ``podName`` used to be written after the pod's create, as the marker "the pod was
created" (a pod missing after it means the task is lost; before it, that the pod is still to be
made). That marker now costs no write; the pod counts as created (`pod_created`) when

1. this process saw the pod (its watch delivered it, a read returned it, or its DELETED event
   is being handled): ``pod_seen``; or
2. the task's lastStatus is past PENDING: only a pod's report (the kubelet's container states)
   moves a task to ACTIVATING or beyond, so the status itself proves the pod existed; or
3. the placement is older than ``POD_CREATE_GRACE``: the pod is created right after the placement
   record, so a placed task without a pod after that long lost it (or never got it because the
   operator was down longer than the grace; either way it never ran: TaskFailedToStart).

Otherwise a missing pod is (re)created. That is safe against each crash point (`crashpoints`):

- ``after-claim`` (claim committed, task unplaced): the next pass adopts the claim
  (`ledger.claims_of`) and records it; the pod follows. Unchanged.
- ``after-placement`` (task placed and PENDING, no pod): the next pass, within the grace, sees no
  pod that ever existed by 1–3 and creates it. The create is idempotent (the deterministic name;
  409 AlreadyExists returns the pod that exists), so two replicas doing this make one pod (I2).
- ``after-pod`` (pod created, nothing written after it): the next pass finds the pod and observes
  it; nothing was left to record.

What the rule gives up: a pod deleted within the grace, before its kubelet reported anything and
without this process seeing it (it restarted meanwhile), is created again instead of the task
being stopped as lost. The task still has one pod at a time, on its instance's node (I2, I6), and
its claim is the same one; so no invariant depends on the old marker, only the outcome of that
double fault (the task runs instead of stopping).

**Managed scaling** (`reconcile.provisioning`): when Place finds no room, `unplaced` says what
follows: a task whose provider has managed scaling waits (Provision: lastStatus PROVISIONING,
written once, and a placeholder pod that asks the autoscaler for a node); any other task stops
(TaskFailedToStart). A waiting task is placed again on the next pass (a new instance, the task's
timer) and stopped by row provision-timeout once it has waited past the timeout.

Observe itself (`observation`) maps the pod to ECS's status with `lifecycle.task_status_from_pod`
and says what to apply: the fields to write (only those that change), a stop cause to record
first, whether to delete the pod (StopTask, after the load balancer's deregistration delay), and
whether to release the claim (STOPPED).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

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
from ecs_operator.lifecycle.deregistration import held_until
from ecs_operator.lifecycle.observation import ContainerSpec, format_time, parse_time
from ecs_operator.lifecycle.states import StopCode, rank
from ecs_operator.reconcile import provisioning

POD_CREATE_GRACE = timedelta(seconds=120)
"""How long after its placement a placed task's missing pod may still be (re)created."""


# ---- views ----


@dataclass(frozen=True)
class TaskView:
    """What the planner reads of an EcsTask (from its body: `of`)."""

    uid: str
    name: str
    namespace: str
    cluster: str
    desired: DesiredStatus
    last_status: TaskStatus | None = None
    container_instance: str | None = None
    pod_name: str | None = None
    """``status.podName`` as recorded (None: not recorded)."""
    stop_code: StopCode | None = None
    stopped_reason: str | None = None
    requested_stop_reason: str | None = None
    """``spec.stopReason`` (StopTask's reason)."""
    created_at: datetime | None = None
    stopped_at: datetime | None = None
    deregistered_at: datetime | None = None
    deregistration_delay: int = 0

    @classmethod
    def of(cls, task: Mapping[str, Any], delay_annotation: str = "") -> TaskView:
        meta, spec = task["metadata"], task.get("spec") or {}
        status = task.get("status") or {}
        wanted = "STOPPED" in (spec.get("desiredStatus"), status.get("desiredStatus"))
        last, code = status.get("lastStatus"), status.get("stopCode")
        annotations = meta.get("annotations") or {}
        return cls(
            uid=str(meta["uid"]),
            name=str(meta["name"]),
            namespace=str(meta.get("namespace") or ""),
            cluster=str(spec.get("cluster", "")),
            desired=DesiredStatus.STOPPED if wanted else DesiredStatus.RUNNING,
            last_status=TaskStatus(last) if last else None,
            container_instance=str(status["containerInstance"]) if status.get("containerInstance") else None,
            pod_name=str(status["podName"]) if status.get("podName") else None,
            stop_code=StopCode(code) if code else None,
            stopped_reason=status.get("stoppedReason"),
            requested_stop_reason=spec.get("stopReason"),
            created_at=parse_time(status.get("createdAt")),
            stopped_at=parse_time(status.get("stoppedAt")),
            deregistered_at=parse_time(status.get("deregisteredAt")),
            deregistration_delay=int(annotations.get(delay_annotation) or 0) if delay_annotation else 0,
        )

    @property
    def stop_decision(self) -> StopDecision:
        """Why the task stops: the code already recorded, else StopTask's (UserInitiated)."""
        if self.stop_code is not None:
            return StopDecision(self.stop_code, self.stopped_reason or "")
        return user_stop(self.requested_stop_reason)


@dataclass(frozen=True)
class PodView:
    """What the planner reads of the task's pod; ``body`` is kept for `observation` only."""

    name: str
    node: str | None
    deleting: bool
    grace_seconds: int | None = None
    body: Mapping[str, Any] | None = None

    @classmethod
    def of(cls, pod: Mapping[str, Any]) -> PodView:
        spec = pod.get("spec") or {}
        grace = spec.get("terminationGracePeriodSeconds")
        return cls(
            name=str(pod["metadata"]["name"]),
            node=spec.get("nodeName") or None,
            deleting=bool(pod["metadata"].get("deletionTimestamp")),
            grace_seconds=int(grace) if grace is not None else None,
            body=pod,
        )


@dataclass(frozen=True)
class InstanceView:
    """The container instance the task names: its name, its node, whether it holds the task's claim."""

    name: str
    node: str | None
    has_claim: bool

    @classmethod
    def of(cls, inst: Mapping[str, Any], uid: str) -> InstanceView:
        claims = (inst.get("status") or {}).get("claims") or ()
        return cls(
            name=str(inst["metadata"]["name"]),
            node=(inst.get("spec") or {}).get("nodeName") or None,
            has_claim=any(c.get("taskUid") == uid for c in claims),
        )


# ---- steps ----


@dataclass(frozen=True)
class Finish:
    """STOPPED: delete a live pod of the task (a peer's late create), release the claim, and
    delete the task once its retention has passed (``expired``)."""

    delete_pod: str | None
    expired: bool


@dataclass(frozen=True)
class StopUnplaced:
    """Never placed and stopped: STOPPED at once with this decision (UserInitiated)."""

    decision: StopDecision


@dataclass(frozen=True)
class Provision:
    """No instance of the task's provider fits, and the provider has managed scaling: the task
    waits in PROVISIONING (``fields``, None when already written) with a placeholder pod that asks
    the autoscaler for a node of the provider."""

    provider: str
    fields: dict[str, Any] | None


@dataclass(frozen=True)
class Place:
    """Place, commit the claim, record the placement (with PENDING and podName), create the pod."""


@dataclass(frozen=True)
class CreatePod:
    """Create the placed task's pod; ``commit_claim``: the ledger lost its claim, commit it again
    (with the fit re-checked) first."""

    instance: str
    commit_claim: bool


@dataclass(frozen=True)
class RecordPod:
    """A pod exists but the task does not name it (placed by the older two-write protocol)."""

    pod_name: str


@dataclass(frozen=True)
class Observe:
    """Status from the pod (None: gone, or never created while the task is stopped)."""

    launch: LaunchStage


@dataclass(frozen=True)
class StopLost:
    """The pod runs on another node than the task's instance (I6): stop the task and the pod."""

    pod_name: str
    reason: str
    stop_task: bool


@dataclass(frozen=True)
class FailPlaced:
    """A placed task that cannot start after all (its instance is gone): stopped with the reason."""

    reason: str
    failures: tuple[tuple[str, str], ...]


Step = Finish | StopUnplaced | Provision | Place | CreatePod | RecordPod | Observe | StopLost | FailPlaced


def decide(
    task: TaskView,
    pod: PodView | None,
    instance: InstanceView | None,
    now: datetime,
    *,
    pod_seen: bool = False,
    retention: timedelta = timedelta(hours=1),
    provisioning_timeout: timedelta = provisioning.DEFAULT_TIMEOUT,
) -> Step:
    """The next step of `task`, by the table in the module docstring.

    `pod`: the task's pod, None when there is none. `instance`: the instance the task names (None
    when unplaced, or when that instance is gone). `pod_seen`: this process saw the pod earlier.
    """
    if task.last_status is TaskStatus.STOPPED:
        expired = task.stopped_at is not None and now - task.stopped_at > retention
        live = pod.name if pod is not None and not pod.deleting else None
        return Finish(delete_pod=live, expired=expired)
    if task.container_instance is None:
        if task.desired is DesiredStatus.STOPPED:
            return StopUnplaced(task.stop_decision)
        if task.last_status is TaskStatus.PROVISIONING and provisioning.expired(
            task.created_at, now, provisioning_timeout
        ):
            return StopUnplaced(provisioning.TIMED_OUT)
        return Place()
    if pod is not None:
        if instance is not None and pod.node and pod.node != instance.node and not pod.deleting:
            reason = (
                f"Task lost: its pod runs on node {pod.node}, not on its container instance "
                f"{instance.name} (node {instance.node})."
            )
            return StopLost(pod.name, reason, stop_task=task.desired is DesiredStatus.RUNNING)
        if task.pod_name is None:
            return RecordPod(pod.name)
        return Observe(LaunchStage.POD_CREATED)
    created = pod_created(task, now, pod_seen=pod_seen)
    if task.desired is DesiredStatus.RUNNING and not created:
        if instance is None:
            detail = f"The container instance {task.container_instance} is gone."
            return FailPlaced("TaskFailedToStart: MISSING", ((task.container_instance, detail),))
        return CreatePod(instance.name, commit_claim=not instance.has_claim)
    return Observe(LaunchStage.POD_CREATED if created else LaunchStage.PLACED)


def unplaced(
    status: Mapping[str, Any],
    provider: str | None,
    provider_spec: Mapping[str, Any] | None,
    *,
    placement_failed: bool,
    now: datetime,
) -> Provision | None:
    """What follows a Place that found no instance: Provision when the task waits for capacity
    (`provisioning.waits`), None when it fails (TaskFailedToStart, as before).

    `status`: the task's status; the PROVISIONING fields are written once (None when they are)."""
    if provider is None or not provisioning.waits(provider, provider_spec, placement_failed):
        return None
    created = str(status.get("createdAt") or format_time(now.replace(microsecond=0)))
    return Provision(provider, changed(status, provisioning.provisioning_fields(created, provider)))


def pod_created(task: TaskView, now: datetime, *, pod_seen: bool) -> bool:
    """Whether the placed task's pod was created (rules 1–3 of the module docstring)."""
    if pod_seen:
        return True
    if task.last_status is not None and rank(task.last_status) > rank(TaskStatus.PENDING):
        return True
    return task.created_at is not None and now - task.created_at > POD_CREATE_GRACE


# ---- observe ----


@dataclass(frozen=True)
class Observation:
    """What an Observe step applies, in order: write ``fields`` (None: nothing changes); delete the
    pod with ``delete_grace`` (when ``delete_pod``); release the claim (``release``)."""

    fields: dict[str, Any] | None
    delete_pod: bool = False
    delete_grace: int | None = None
    release: bool = False


def observation(
    task: TaskView,
    status: Mapping[str, Any],
    pod: PodView | None,
    launch: LaunchStage,
    containers: Sequence[ContainerSpec],
    now: datetime,
) -> Observation:
    """The task's status from its pod, and what follows from it (`lifecycle.pod_status`).

    A stop cause found while the task is wanted RUNNING is recorded first and nothing else done:
    a pod deleted while desired RUNNING would read as lost. A task stopped while RUNNING behind a
    load balancer is DEACTIVATING until its deregistration delay has passed, and only then is its
    pod deleted (a later pass, the cluster's sweep, does it). Without a delay to wait for, the
    pod is deleted in this pass and the status written is the one of the pod being deleted
    (STOPPING, or DEPROVISIONING when nothing runs): ECS skips the states that do not apply
    (ecs-semantics §5.1), and one write fewer per stopped task.
    """
    wanted = task.desired

    def observe(body: Mapping[str, Any] | None) -> TaskObservation:
        return task_status_from_pod(
            body,
            containers=containers,
            desired_status=wanted,
            launch=launch,
            now=now,
            previous=TaskObservation.from_status(status, containers),
            stop=task.stop_decision if wanted is DesiredStatus.STOPPED else None,
        )

    obs = observe(pod.body if pod is not None else None)
    cause = should_stop_task(obs) if wanted is DesiredStatus.RUNNING else None
    if cause is not None:
        stop = {"desiredStatus": "STOPPED", "stopCode": cause.code.value, "stoppedReason": cause.reason}
        return Observation(changed(status, stop))
    fields = obs.to_status()
    stopping = pod is not None and wanted is DesiredStatus.STOPPED and not pod.deleting
    hold = (
        held_until(
            delay=task.deregistration_delay,
            last_status=status.get("lastStatus"),
            deregistered_at=task.deregistered_at,
            now=now,
        )
        if stopping and obs.last_status is TaskStatus.DEACTIVATING
        else None
    )
    if hold is not None and not status.get("deregisteredAt"):
        fields["deregisteredAt"] = format_time(hold[0].replace(microsecond=0))
    if hold is not None:
        return Observation(changed(status, fields))
    if stopping and pod is not None and pod.body is not None and obs.last_status is TaskStatus.DEACTIVATING:
        meta = {
            **(pod.body.get("metadata") or {}),
            "deletionTimestamp": format_time(now.replace(microsecond=0)),
        }
        fields = observe({**pod.body, "metadata": meta}).to_status()
    return Observation(
        changed(status, fields),
        delete_pod=stopping,
        delete_grace=pod.grace_seconds if pod is not None else None,
        release=obs.last_status is TaskStatus.STOPPED,
    )


def placement_fields(
    containers: Sequence[ContainerSpec], now: datetime, created_at: str | None
) -> dict[str, Any]:
    """The status a placement record writes besides the placement itself: PENDING and the first
    observation (containers PENDING, health UNKNOWN), so the first look at an unreported pod
    finds nothing to write."""
    obs = task_status_from_pod(
        None, containers=containers, desired_status=DesiredStatus.RUNNING, launch=LaunchStage.PLACED, now=now
    )
    fields = obs.to_status()
    fields["createdAt"] = created_at or format_time(now.replace(microsecond=0))
    return fields


def changed(status: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any] | None:
    """The fields whose value differs from the status (None: a write would change nothing)."""
    diff = {k: v for k, v in fields.items() if status.get(k) != v}
    return diff or None
