"""The service's deployment history, as ECS's ListServiceDeployments shows it (status.deploymentHistory).

Why this exists: ``status.deployments`` lists PRIMARY and the older deployments that still have
tasks (what DescribeServices shows), so a finished deployment disappears from it; ECS keeps a
service's past deployments and the service revision each one rolled out. Every deployment gets a
:class:`DeploymentRecord` when it is first listed, holding what its service revision is (the task
definition, launch type, capacity provider strategy and load balancers of the spec then) and the
deployments it replaced; the record is updated each pass while the deployment runs and frozen
once it has finished (``finishedAt`` set).

Why in the status and not an annotation or a ConfigMap: the planner already returns the whole
status, and the handler writes it once per pass with the resourceVersion the plan was made from,
so the history costs no extra write and no second object to create, guard and garbage-collect;
it goes with the service when the service is deleted, as ECS's history does.

Bounds [I]: every unfinished record, and the newest ``KEEP_FINISHED`` finished ones that finished
less than ``RETENTION`` ago (ECS keeps 90 days, with no count limit); at most ``MAX_RECORDS`` in all.

Status of a record not yet finished (first matching row; ``finishedAt`` = now when final):

| the deployment                                                  | status               | final |
|-----------------------------------------------------------------|----------------------|-------|
| was rolled back, its target is listed and COMPLETED             | ROLLBACK_SUCCESSFUL  | yes   |
| was rolled back, its target is PRIMARY and IN_PROGRESS          | ROLLBACK_IN_PROGRESS | no    |
| was rolled back, its target is neither                          | STOPPED              | yes   |
| is not listed any more                                          | STOPPED (superseded) | yes   |
| rollout COMPLETED                                               | SUCCESSFUL           | yes   |
| rollout FAILED, not PRIMARY (the breaker restored PRIMARY)      | ROLLBACK_IN_PROGRESS | no    |
|                                                                 | (rollback recorded)  |       |
| rollout FAILED, PRIMARY (no rollback)                           | STOPPED (its reason) | yes   |
| PRIMARY, IN_PROGRESS                                            | IN_PROGRESS          | no    |
| not PRIMARY, IN_PROGRESS (a newer deployment replaced it)       | STOPPED (superseded) | yes   |
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from ecs_operator.api import (
    Deployment,
    DeploymentRecord,
    DeploymentRollback,
    DeploymentStatus,
    EcsServiceSpec,
    RolloutState,
    ServiceDeploymentStatus,
)

KEEP_FINISHED = 10
RETENTION = timedelta(days=90)
MAX_RECORDS = 64
SUPERSEDED = "A newer deployment of the service replaced this one."
ROLLBACK_REPLACED = "A newer deployment of the service replaced its rollback."

Status = ServiceDeploymentStatus


def record(
    history: Sequence[DeploymentRecord],
    listed: Sequence[Deployment],
    spec: EcsServiceSpec,
    now: datetime,
) -> list[DeploymentRecord]:
    """The history once this pass's ``listed`` deployments (PRIMARY first) are taken in."""
    known = {r.id for r in history}
    primary = listed[0] if listed and listed[0].status is DeploymentStatus.PRIMARY else None
    fresh = [_new(d, listed, spec, now) for d in listed if d.id not in known]
    by_id = {d.id: d for d in listed}
    updated = [r if r.finished_at is not None else _advance(r, by_id, primary, now) for r in history]
    fresh = [_advance(r, by_id, primary, now) for r in fresh]
    ordered = sorted([*fresh, *updated], key=lambda r: -r.created_at.timestamp())  # stable: fresh first
    return _bounded(ordered, now)


def _new(
    deployment: Deployment, listed: Sequence[Deployment], spec: EcsServiceSpec, now: datetime
) -> DeploymentRecord:
    return DeploymentRecord(
        id=deployment.id,
        status=Status.IN_PROGRESS,
        task_definition=deployment.task_definition,
        launch_type=spec.launch_type,
        capacity_provider_strategy=spec.capacity_provider_strategy,
        load_balancers=list(spec.load_balancers),
        sources=[d.id for d in listed if d.id != deployment.id][:20],
        created_at=deployment.created_at or now,
    )


def _advance(
    rec: DeploymentRecord, listed: dict[str, Deployment], primary: Deployment | None, now: datetime
) -> DeploymentRecord:
    """Apply the table above to one unfinished record."""
    if rec.rollback is not None:
        target = listed.get(rec.rollback.target)
        if target is not None and target.rollout_state is RolloutState.COMPLETED:
            return _final(rec, Status.ROLLBACK_SUCCESSFUL, rec.rollback.reason, now)
        if target is not None and primary is not None and target.id == primary.id:
            return _set(rec, Status.ROLLBACK_IN_PROGRESS, rec.rollback.reason)
        return _final(rec, Status.STOPPED, ROLLBACK_REPLACED, now)
    deployment = listed.get(rec.id)
    if deployment is None:
        return _final(rec, Status.STOPPED, SUPERSEDED, now)
    if deployment.rollout_state is RolloutState.COMPLETED:
        return _final(rec, Status.SUCCESSFUL, None, now)
    if deployment.rollout_state is RolloutState.FAILED:
        reason = deployment.rollout_state_reason
        if primary is not None and deployment.id != primary.id:
            rollback = DeploymentRollback(reason=reason or "", started_at=now, target=primary.id)
            return _set(rec.model_copy(update={"rollback": rollback}), Status.ROLLBACK_IN_PROGRESS, reason)
        return _final(rec, Status.STOPPED, reason, now)
    if primary is not None and deployment.id == primary.id:
        return _set(rec, Status.IN_PROGRESS, None)
    return _final(rec, Status.STOPPED, SUPERSEDED, now)


def _set(rec: DeploymentRecord, status: Status, reason: str | None) -> DeploymentRecord:
    return rec.model_copy(update={"status": status, "status_reason": reason})


def _final(rec: DeploymentRecord, status: Status, reason: str | None, now: datetime) -> DeploymentRecord:
    return rec.model_copy(update={"status": status, "status_reason": reason, "finished_at": now})


def _bounded(ordered: list[DeploymentRecord], now: datetime) -> list[DeploymentRecord]:
    kept, finished = [], 0
    for rec in ordered:
        if rec.finished_at is not None:
            if finished >= KEEP_FINISHED or rec.finished_at < now - RETENTION:
                continue
            finished += 1
        kept.append(rec)
    return kept[:MAX_RECORDS]
