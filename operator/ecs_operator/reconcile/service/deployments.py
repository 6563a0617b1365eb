"""Deployments: when a new one starts, what each one's status and counters are, when one is done
(ecs-semantics §3.3).

Why this module exists: a deployment is the unit ECS reports a rollout in, and its id is what
service tasks carry as ``startedBy``; the rules below decide which tasks are "old".

| when                                                      | then                                          |
|-----------------------------------------------------------|-----------------------------------------------|
| no deployment yet                                         | a PRIMARY deployment, IN_PROGRESS             |
| a new family:revision or a new forceNewDeployment value   | new PRIMARY, IN_PROGRESS; old PRIMARY →       |
|                                                           | ACTIVE                                        |
| placementStrategy, placementConstraints, desiredCount     | nothing (§1.4: no new deployment)             |
| change, or forceNewDeployment is removed                  |                                               |
| the spec still asks for what the breaker rolled back from | nothing: a new revision or forceNewDeployment |
|                                                           | value retries it                              |
| an older deployment has a task that is not STOPPED        | ACTIVE                                        |
| an older deployment has no such task                      | INACTIVE, and no longer listed                |
| PRIMARY has desiredCount healthy tasks and no other task  | COMPLETED, event ``deployment completed``     |
| in flight, the older ones are INACTIVE, nothing to do     |                                               |

The deployment list holds PRIMARY and the ACTIVE deployments (those that still have tasks), as
ECS's DescribeServices does: a replaced deployment disappears once its tasks are gone, so a
completed rollout lists exactly one deployment (what the SDKs' services-stable waiter waits for).
The newest COMPLETED deployment, the circuit breaker's rollback target, is remembered in
``SchedulerState.last_completed`` instead. PRIMARY comes first, then newest first.
``desiredCount`` is the service's for PRIMARY and 0 for the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from ecs_operator.api import Deployment, DeploymentStatus, RolloutState
from ecs_operator.lifecycle import TaskStatus

from .naming import deployment_id
from .records import ServiceTask
from .state import DeploymentKey, SchedulerState

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def in_progress(deployment: str) -> str:
    return f"ECS deployment {deployment} in progress."


def completed(deployment: str) -> str:
    return f"ECS deployment {deployment} completed."


def key(deployment: Deployment) -> DeploymentKey:
    return (deployment.task_definition, deployment.force_new_deployment)


def satisfies(have: DeploymentKey, wanted: DeploymentKey) -> bool:
    """Whether a deployment of ``have`` is what the spec asks for. A spec without
    forceNewDeployment asks for no particular value: removing the field starts nothing."""
    return have[0] == wanted[0] and (wanted[1] is None or have[1] == wanted[1])


def _ordered(deployments: Sequence[Deployment]) -> list[Deployment]:
    """PRIMARY first, then newest first (stable for equal times)."""
    return sorted(
        deployments,
        key=lambda d: (d.status is not DeploymentStatus.PRIMARY, -(d.created_at or _EPOCH).timestamp()),
    )


@dataclass(frozen=True)
class Rollout:
    deployments: tuple[Deployment, ...]
    state: SchedulerState

    @property
    def primary(self) -> Deployment | None:
        first = self.deployments[0] if self.deployments else None
        return first if first is not None and first.status is DeploymentStatus.PRIMARY else None


def advance(
    previous: Sequence[Deployment],
    *,
    wanted: DeploymentKey,
    service_uid: str,
    desired: int,
    state: SchedulerState,
    now: datetime,
    create: bool = True,
) -> Rollout:
    """The deployments once the spec's task definition and forceNewDeployment are taken in."""
    ordered = _ordered(previous)
    # Two PRIMARYs can only come from a hand-edited status: the newest one wins.
    primary = ordered[0] if ordered and ordered[0].status is DeploymentStatus.PRIMARY else None
    others = [d for d in ordered if d is not primary]
    others = [_demoted(d) if d.status is DeploymentStatus.PRIMARY else d for d in others]
    if primary is not None and satisfies(key(primary), wanted):
        state = replace(state, rolled_back_from=None)  # the spec caught up with the rollback
    rolled_back = state.rolled_back_from is not None and satisfies(state.rolled_back_from, wanted)
    if not create or (primary is not None and (satisfies(key(primary), wanted) or rolled_back)):
        return Rollout(tuple(([primary] if primary else []) + others), state)
    counter = state.deployments_created + 1
    task_definition, force = wanted
    new_id = deployment_id(service_uid, task_definition, force, counter)
    new = Deployment(
        id=new_id,
        status=DeploymentStatus.PRIMARY,
        task_definition=task_definition,
        force_new_deployment=force,
        desired_count=desired,
        rollout_state=RolloutState.IN_PROGRESS,
        rollout_state_reason=in_progress(new_id),
        created_at=now,
        updated_at=now,
    )
    demoted = [_demoted(primary)] if primary is not None else []
    state = replace(state, deployments_created=counter, rolled_back_from=None, last_task_failure_at=None)
    return Rollout((new, *demoted, *others), state)


def _demoted(deployment: Deployment) -> Deployment:
    return deployment.model_copy(update={"status": DeploymentStatus.ACTIVE})


def refresh(
    deployments: Sequence[Deployment],
    tasks: Sequence[ServiceTask],
    *,
    desired: int,
    healthy_primary: int,
    quiet: bool,
    now: datetime,
) -> tuple[tuple[Deployment, ...], Deployment | None]:
    """Counters, ACTIVE/INACTIVE and completion after the plan; returns the deployments and the
    deployment that has just COMPLETED, if any. ``quiet``: the plan starts and stops nothing."""
    by_id: dict[str, list[ServiceTask]] = {}
    for task in tasks:
        by_id.setdefault(task.started_by or "", []).append(task)
    refreshed: list[Deployment] = []
    done: Deployment | None = None
    for d in _ordered(deployments):
        own = by_id.get(d.id, [])
        running = sum(1 for t in own if t.running)
        pending = sum(1 for t in own if t.in_flight and not t.running)
        update: dict[str, object] = {"running_count": running, "pending_count": pending}
        if d.status is DeploymentStatus.PRIMARY:
            update["desired_count"] = desired
        else:
            update["desired_count"] = 0
            alive = any(t.last_status is not TaskStatus.STOPPED for t in own)
            update["status"] = DeploymentStatus.ACTIVE if alive else DeploymentStatus.INACTIVE
        refreshed.append(_touched(d, d.model_copy(update=update), now))
    primary = refreshed[0] if refreshed and refreshed[0].status is DeploymentStatus.PRIMARY else None
    if (
        primary is not None
        and primary.rollout_state is RolloutState.IN_PROGRESS
        and quiet
        and healthy_primary == desired == primary.running_count + primary.pending_count
        and all(d.status is DeploymentStatus.INACTIVE for d in refreshed[1:])
    ):
        done = primary.model_copy(
            update={
                "rollout_state": RolloutState.COMPLETED,
                "rollout_state_reason": completed(primary.id),
                "updated_at": now,
            }
        )
        refreshed[0] = done
    return _pruned(refreshed), done


def _touched(before: Deployment, after: Deployment, now: datetime) -> Deployment:
    return after if after == before else after.model_copy(update={"updated_at": now})


def _pruned(deployments: list[Deployment]) -> tuple[Deployment, ...]:
    """Only PRIMARY and ACTIVE deployments are listed (INACTIVE ones are gone from ECS's answer)."""
    return tuple(d for d in deployments if d.status is not DeploymentStatus.INACTIVE)
