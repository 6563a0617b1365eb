"""A task's ECS status from its pod: `task_status_from_pod` (pure; ecs-semantics §5).

Why this module exists: an EcsTask is exactly one pod, and everything people read about the task
(``lastStatus``, container states, exit codes, health, timestamps, why it stopped) is derived from
that pod and what the operator already recorded. The derivation is a pure function of its inputs,
so the same snapshot always gives the same status, whichever operator replica computes it.

Rules for ``lastStatus``, first match wins (row ids are the ids of the table test). The result
then goes through `states.advance`: a status that would move backwards keeps the previous one.

| id                  | pod                                                              | lastStatus     |
|---------------------|------------------------------------------------------------------|----------------|
| unplaced            | none; no claim committed yet, desired RUNNING                    | PROVISIONING   |
| placed              | none; claim committed, pod not created yet, desired RUNNING      | PENDING        |
| stopped-before-pod  | none; never created, desired STOPPED                             | STOPPED        |
| pod-gone            | none, but it was created                                         | STOPPED        |
| terminal            | phase Succeeded or Failed                                        | STOPPED        |
| deleting-running    | deletionTimestamp set, some container still running              | STOPPING       |
| deleting-ended      | deletionTimestamp set, no container running                      | DEPROVISIONING |
| stop-requested      | desired STOPPED, or a stop cause found (`causes`); not deleted   | DEACTIVATING   |
| unscheduled         | not bound to a node                                              | PENDING        |
| essentials-running  | every essential container running                                | RUNNING        |
| not-reported        | bound, the kubelet has reported no container yet                 | PENDING        |
| activating          | bound, containers waiting (ContainerCreating, pulling, init)     | ACTIVATING     |

Containers: only the task definition's containers are reported (containers injected into the pod
by others are ignored), in the definition's order. waiting → PENDING, running → RUNNING,
terminated → STOPPED with its exit code; a container never moves back (PENDING < RUNNING <
STOPPED), and every container of a STOPPED task is STOPPED. The ``reason`` is ECS's
(`causes.container_reason`): ``CannotPullContainerError: …``, ``OutOfMemoryError: …``.

Timestamps: ``startedAt`` is the moment every essential container was running at once (the latest
of their startedAt, provided none of them had ended before it), so a RUNNING that was never
observed is still dated right; ``stoppingAt`` is ``now`` when the task first reaches STOPPING or
later; ``stoppedAt`` is the last container's finishedAt for a terminal pod, else ``now``.

Stop code and reason: the first cause recorded stands. An earlier one in ``previous`` is kept;
otherwise, once desiredStatus is STOPPED, the caller's ``stop`` (StopTask, the service scheduler,
a placement failure; `causes.user_stop()` when none is given); otherwise a cause read from the pod
(`causes.cause_from_pod`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ecs_operator.lifecycle import causes, health
from ecs_operator.lifecycle.observation import (
    ContainerObservation,
    ContainerSpec,
    LaunchStage,
    StopDecision,
    TaskObservation,
)
from ecs_operator.lifecycle.pod_facts import ContainerFacts, PodFacts, State, pod_facts
from ecs_operator.lifecycle.states import ContainerStatus, DesiredStatus, TaskStatus, advance, rank

_CONTAINER_STATUS = {
    State.WAITING: ContainerStatus.PENDING,
    State.RUNNING: ContainerStatus.RUNNING,
    State.TERMINATED: ContainerStatus.STOPPED,
}
_CONTAINER_ORDER = (ContainerStatus.PENDING, ContainerStatus.RUNNING, ContainerStatus.STOPPED)


def task_status_from_pod(
    pod: Mapping[str, Any] | None,
    *,
    containers: Sequence[ContainerSpec],
    desired_status: DesiredStatus,
    launch: LaunchStage,
    now: datetime,
    previous: TaskObservation | None = None,
    stop: StopDecision | None = None,
) -> TaskObservation:
    """The task's ECS status from its pod, by the rules in the module docstring.

    ``pod``: the task's pod as the API returns it, or None when there is none (not created yet, or
    gone: ``launch`` tells which). ``containers``: the task definition's containers, in order.
    ``previous``: the last observation (`TaskObservation.from_status` of the stored status), which
    keeps the status monotonic and the first stop cause. ``stop``: why the task is being stopped,
    used once ``desired_status`` is STOPPED. ``now``: an aware datetime (injected clock).
    """
    facts = pod_facts(pod) if pod is not None else None
    essential = [spec.name for spec in containers if spec.essential]
    started_at = previous.started_at if previous else None
    if started_at is None and facts is not None:
        started_at = _all_essential_running_since(facts, essential, now)
    ran = started_at is not None

    cause = _stop_cause(facts, launch, essential, ran, desired_status, previous, stop)
    raw = _raw_status(facts, launch, essential, desired_status, stopping=cause is not None)
    last_status = advance(previous.last_status if previous else None, raw)

    observed = tuple(_container(spec, facts, last_status, previous, now) for spec in containers)
    stopping_at = previous.stopping_at if previous else None
    if stopping_at is None and rank(last_status) >= rank(TaskStatus.STOPPING):
        stopping_at = now
    stopped_at = previous.stopped_at if previous else None
    if stopped_at is None and last_status is TaskStatus.STOPPED:
        stopped_at = _stopped_at(facts, now)
    return TaskObservation(
        last_status=last_status,
        desired_status=desired_status,
        health_status=health.task_health(observed),
        containers=observed,
        started_at=started_at,
        stopping_at=stopping_at,
        stopped_at=stopped_at,
        stop_code=cause.code if cause else None,
        stopped_reason=cause.reason if cause else None,
    )


def _stop_cause(
    facts: PodFacts | None,
    launch: LaunchStage,
    essential: Sequence[str],
    ran: bool,
    desired_status: DesiredStatus,
    previous: TaskObservation | None,
    stop: StopDecision | None,
) -> StopDecision | None:
    if previous is not None and previous.stop_code is not None:
        return StopDecision(previous.stop_code, previous.stopped_reason or "")
    if desired_status is DesiredStatus.STOPPED:
        return stop or causes.user_stop()
    if facts is not None:
        return causes.cause_from_pod(facts, essential=essential, ran=ran, desired_status=desired_status)
    if launch is LaunchStage.POD_CREATED:
        return causes.pod_deleted(ran=ran)
    return None


def _raw_status(
    facts: PodFacts | None,
    launch: LaunchStage,
    essential: Sequence[str],
    desired_status: DesiredStatus,
    *,
    stopping: bool,
) -> TaskStatus:
    """The status this snapshot alone shows (before `advance`)."""
    if facts is None:
        if launch is LaunchStage.POD_CREATED or desired_status is DesiredStatus.STOPPED:
            return TaskStatus.STOPPED
        return TaskStatus.PENDING if launch is LaunchStage.PLACED else TaskStatus.PROVISIONING
    if facts.terminal:
        return TaskStatus.STOPPED
    if facts.deleting:
        running = any(c.state is State.RUNNING for c in (*facts.containers.values(), *facts.init_containers))
        return TaskStatus.STOPPING if running else TaskStatus.DEPROVISIONING
    if stopping:
        return TaskStatus.DEACTIVATING
    if not facts.scheduled:
        return TaskStatus.PENDING
    if essential and all(_is_running(facts, name) for name in essential):
        return TaskStatus.RUNNING
    return TaskStatus.ACTIVATING if facts.reported else TaskStatus.PENDING


def _is_running(facts: PodFacts, name: str) -> bool:
    container = facts.containers.get(name)
    return container is not None and container.state is State.RUNNING


def _all_essential_running_since(facts: PodFacts, essential: Sequence[str], now: datetime) -> datetime | None:
    """When every essential container was first running at the same time, if that ever happened."""
    starts: list[datetime] = []
    ends: list[datetime] = []
    for name in essential:
        container = facts.containers.get(name)
        if container is None or container.state is State.WAITING or causes.is_start_failure(container):
            return None
        if container.state is State.RUNNING:
            starts.append(container.started_at or now)
        elif container.started_at is None or container.finished_at is None:
            return None
        else:
            starts.append(container.started_at)
            ends.append(container.finished_at)
    if not starts:
        return None
    since = max(starts)
    return None if ends and min(ends) < since else since


def _container(
    spec: ContainerSpec,
    facts: PodFacts | None,
    task_status: TaskStatus,
    previous: TaskObservation | None,
    now: datetime,
) -> ContainerObservation:
    before = previous.container(spec.name) if previous else None
    current: ContainerFacts | None = facts.containers.get(spec.name) if facts else None
    status = _CONTAINER_STATUS[current.state] if current else ContainerStatus.PENDING
    if before is not None and _CONTAINER_ORDER.index(before.last_status) > _CONTAINER_ORDER.index(status):
        status = before.last_status
    if task_status is TaskStatus.STOPPED:
        status = ContainerStatus.STOPPED
    if current is not None:
        exit_code, reason = current.exit_code, causes.container_reason(current)
    else:  # no pod (or not reported yet): what was last seen stands
        exit_code, reason = (before.exit_code, before.reason) if before else (None, None)
    return ContainerObservation(
        name=spec.name,
        last_status=status,
        exit_code=exit_code,
        reason=reason,
        health_status=health.container_health(
            current, spec.health_check, previous=before.health_status if before else None, now=now
        ),
        essential=spec.essential,
        has_health_check=spec.health_check is not None,
    )


def _stopped_at(facts: PodFacts | None, now: datetime) -> datetime:
    if facts is not None and facts.terminal:
        ends = [c.finished_at for c in facts.containers.values() if c.finished_at is not None]
        if ends:
            return max(ends)
    return now
