"""Failed tasks, counted once each, and the deployment circuit breaker (ecs-semantics §3.4, decision 4).

Why: a deployment whose tasks keep failing must stop launching (and, if asked, roll back) instead
of replacing failures forever. The breaker watches the PRIMARY deployment while it is
IN_PROGRESS; once COMPLETED, monitoring is complete and failures are only replaced.

Failures (each task at most once: its uid goes to ``SchedulerState.counted_failures``):

| stage | the task                                                                   | counted at       |
|-------|----------------------------------------------------------------------------|------------------|
| 1     | went to STOPPED without ever RUNNING (``ServiceTask.start_failed``)        | its stoppedAt    |
| 2     | is RUNNING and UNHEALTHY past the grace period (``ServiceTask.unhealthy``) | now (first seen) |
| 2     | stopped after RUNNING because an essential container exited [I]            | its stoppedAt    |

Breaker rules:

| when                                         | then                                                    |
|----------------------------------------------|---------------------------------------------------------|
| always                                       | threshold = clamp(ceil(0.5 × desiredCount), 3, 200)     |
| a task of PRIMARY fails                      | PRIMARY's ``failedTasks`` += 1 (in time order)          |
| a task of PRIMARY becomes healthy after that | ``failedTasks`` = 0 (resetOnHealthyTask, default true)  |
| ``failedTasks`` ≥ threshold, ``enable``      | PRIMARY's rolloutState FAILED: it launches nothing more |
| … and ``rollback``, an earlier COMPLETED one | that one is PRIMARY again (IN_PROGRESS); the failed one |
| (listed, else ``state.last_completed``)      |                                                         |
|                                              | ACTIVE, ``rolling back to deploymentId <id>.``          |
| … otherwise                                  | reason ``ECS deployment circuit breaker: task failed    |
|                                              | to start.``                                             |

``failedTasks`` is counted whether or not the breaker is enabled (it is shown either way).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ecs_operator.api import Deployment, DeploymentCircuitBreaker, DeploymentStatus, RolloutState

from . import events
from .deployments import Rollout, in_progress, key
from .records import ServiceTask
from .state import SchedulerState

MIN_THRESHOLD = 3
MAX_THRESHOLD = 200
TASK_FAILED_TO_START = "ECS deployment circuit breaker: task failed to start."


def rolling_back(deployment: str) -> str:
    return f"ECS deployment circuit breaker: rolling back to deploymentId {deployment}."


def threshold(desired: int) -> int:
    """clamp(ceil(0.5 × desired), 3, 200): desired 25 → 13, 400 → 200, 1 → 3."""
    return min(max(-(-desired // 2), MIN_THRESHOLD), MAX_THRESHOLD)


@dataclass(frozen=True)
class Failure:
    task: ServiceTask
    at: datetime


def new_failures(
    tasks: Sequence[ServiceTask], counted: Sequence[str], now: datetime, grace: timedelta
) -> tuple[Failure, ...]:
    """Failures not counted before, in time order (then by name, for replays)."""
    seen = set(counted)
    found = []
    for task in tasks:
        if task.uid in seen:
            continue
        if task.start_failed or task.run_failed:
            found.append(Failure(task, task.stopped_at or now))
        elif task.unhealthy(now, grace):
            found.append(Failure(task, now))
    return tuple(sorted(found, key=lambda f: (f.at, f.task.name)))


@dataclass(frozen=True)
class Verdict:
    rollout: Rollout
    messages: tuple[str, ...]


def observe(
    rollout: Rollout,
    tasks: Sequence[ServiceTask],
    failures: Sequence[Failure],
    *,
    desired: int,
    breaker: DeploymentCircuitBreaker | None,
    service: str,
    now: datetime,
) -> Verdict:
    """Count PRIMARY's failures and resets; trip the breaker at the threshold."""
    primary, state = rollout.primary, rollout.state
    if primary is None or primary.rollout_state is not RolloutState.IN_PROGRESS:
        return Verdict(rollout, ())
    last = state.last_task_failure_at
    moments: list[tuple[datetime, int]] = [(f.at, 1) for f in failures if f.task.started_by == primary.id]
    for task in tasks:
        since = task.healthy_since()
        fresh = since is not None and (last is None or since > last)
        if fresh and since is not None and task.started_by == primary.id and task.healthy(now):
            moments.append((since, 0))
    count = primary.failed_tasks
    for at, is_failure in sorted(moments):  # a reset and a failure at the same moment: the failure wins
        if is_failure:
            count, last = count + 1, at
        elif last is None or at > last:
            count = 0
    state = replace(state, last_task_failure_at=last)
    primary = _changed(primary, now, failed_tasks=count)
    others = list(rollout.deployments[1:])
    if breaker is None or not breaker.enable or count < threshold(desired):
        return Verdict(Rollout((primary, *others), state), ())
    target = next(
        (d for d in others if d.rollout_state is RolloutState.COMPLETED and key(d) != key(primary)), None
    ) or _remembered(state, primary, now)
    if not breaker.rollback or target is None:
        failed = _changed(
            primary, now, rollout_state=RolloutState.FAILED, rollout_state_reason=TASK_FAILED_TO_START
        )
        return Verdict(
            Rollout((failed, *others), state), (events.deployment_failed(service, primary.id, None),)
        )
    failed = _changed(
        primary,
        now,
        status=DeploymentStatus.ACTIVE,
        rollout_state=RolloutState.FAILED,
        rollout_state_reason=rolling_back(target.id),
    )
    restored = _changed(
        target,
        now,
        status=DeploymentStatus.PRIMARY,
        desired_count=desired,
        failed_tasks=0,
        rollout_state=RolloutState.IN_PROGRESS,
        rollout_state_reason=in_progress(target.id),
    )
    rest = [d for d in others if d is not target]
    state = replace(state, rolled_back_from=key(primary), last_task_failure_at=None)
    message = events.deployment_failed(service, primary.id, target.id)
    return Verdict(Rollout((restored, failed, *rest), state), (message,))


def _remembered(state: SchedulerState, primary: Deployment, now: datetime) -> Deployment | None:
    """The last COMPLETED deployment, no longer listed (its tasks are gone), as a record again."""
    if state.last_completed is None:
        return None
    deployment_id, task_definition, force = state.last_completed
    if (task_definition, force) == key(primary):
        return None
    return Deployment(
        id=deployment_id,
        status=DeploymentStatus.ACTIVE,
        task_definition=task_definition,
        force_new_deployment=force,
        desired_count=0,
        rollout_state=RolloutState.COMPLETED,
        rollout_state_reason=f"ECS deployment {deployment_id} completed.",
        created_at=now,
        updated_at=now,
    )


def _changed(deployment: Deployment, now: datetime, **update: object) -> Deployment:
    after = deployment.model_copy(update=update)
    return after if after == deployment else after.model_copy(update={"updated_at": now})
