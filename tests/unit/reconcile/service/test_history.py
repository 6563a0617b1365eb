"""The deployment history (reconcile.service.history): one row of its status table per case, then
its bounds, then the planner keeping it across a rollout."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from ecs_operator.api import (
    Deployment,
    DeploymentRecord,
    DeploymentRollback,
    DeploymentStatus,
    EcsServiceSpec,
    RolloutState,
    ServiceDeploymentStatus,
)
from ecs_operator.api.common import CapacityProviderStrategyItem
from ecs_operator.reconcile.service import history

from .builders import A1, B1, NEW, OLD, MakeService, MakeTask, at, run

PRIMARY, ACTIVE = DeploymentStatus.PRIMARY, DeploymentStatus.ACTIVE
GOING, DONE, FAILED = RolloutState.IN_PROGRESS, RolloutState.COMPLETED, RolloutState.FAILED
S = ServiceDeploymentStatus
NOW = at(0)
SPEC = EcsServiceSpec(
    cluster="prod",
    task_definition="web",
    desired_count=2,
    capacity_provider_strategy=[CapacityProviderStrategyItem(capacity_provider="spot", weight=1)],
)
BACK = "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1."


def dep(id_: str, status: DeploymentStatus, rollout: RolloutState, reason: str | None = None) -> Deployment:
    created = -3600 if id_ == OLD else -60
    return Deployment(
        id=id_,
        status=status,
        task_definition="web:1" if id_ == OLD else "web:2",
        rollout_state=rollout,
        rollout_state_reason=reason,
        created_at=at(created),
    )


def rec(
    id_: str, status: S = S.IN_PROGRESS, *, finished: float | None = None, **more: Any
) -> DeploymentRecord:
    return DeploymentRecord(
        id=id_,
        status=status,
        task_definition="web:1" if id_ == OLD else "web:2",
        created_at=at(-3600 if id_ == OLD else -60),
        finished_at=None if finished is None else at(finished),
        **more,
    )


ROLLBACK = DeploymentRollback(reason=BACK, started_at=at(-30), target=OLD)


def brief(records: list[DeploymentRecord]) -> list[tuple[str, str, str | None, bool]]:
    return [(r.id, r.status.value, r.status_reason, r.finished_at is not None) for r in records]


@pytest.mark.parametrize(
    ("before", "listed", "after"),
    [
        pytest.param(
            [],
            [dep(NEW, PRIMARY, GOING), dep(OLD, ACTIVE, DONE)],
            [(NEW, "IN_PROGRESS", None, False), (OLD, "SUCCESSFUL", None, True)],
            id="first-seen",
        ),
        pytest.param(
            [rec(NEW)],
            [dep(NEW, PRIMARY, DONE)],
            [(NEW, "SUCCESSFUL", None, True)],
            id="completed",
        ),
        pytest.param(
            [rec(NEW), rec(OLD)],
            [dep(NEW, PRIMARY, GOING), dep(OLD, ACTIVE, GOING)],
            [(NEW, "IN_PROGRESS", None, False), (OLD, "STOPPED", history.SUPERSEDED, True)],
            id="replaced-while-rolling",
        ),
        pytest.param(
            [rec(NEW), rec(OLD)],
            [dep(NEW, PRIMARY, GOING)],
            [(NEW, "IN_PROGRESS", None, False), (OLD, "STOPPED", history.SUPERSEDED, True)],
            id="gone-unfinished",
        ),
        pytest.param(
            [rec(NEW), rec(OLD, S.SUCCESSFUL, finished=-1800)],
            [dep(OLD, PRIMARY, GOING), dep(NEW, ACTIVE, FAILED, BACK)],
            [(NEW, "ROLLBACK_IN_PROGRESS", BACK, False), (OLD, "SUCCESSFUL", None, True)],
            id="rolling-back-finished-stays-frozen",
        ),
        pytest.param(
            [rec(NEW, S.ROLLBACK_IN_PROGRESS, rollback=ROLLBACK)],
            [dep(OLD, PRIMARY, DONE)],
            [(NEW, "ROLLBACK_SUCCESSFUL", BACK, True), (OLD, "SUCCESSFUL", None, True)],
            id="rolled-back",
        ),
        pytest.param(
            [rec(NEW, S.ROLLBACK_IN_PROGRESS, rollback=ROLLBACK)],
            [dep("ecs-svc/3", PRIMARY, GOING)],
            [
                ("ecs-svc/3", "IN_PROGRESS", None, False),
                (NEW, "STOPPED", history.ROLLBACK_REPLACED, True),
            ],
            id="rollback-replaced",
        ),
        pytest.param(
            [rec(NEW)],
            [dep(NEW, PRIMARY, FAILED, "ECS deployment circuit breaker: task failed to start.")],
            [(NEW, "STOPPED", "ECS deployment circuit breaker: task failed to start.", True)],
            id="failed-no-rollback",
        ),
    ],
)
def test_status_table(
    before: list[DeploymentRecord], listed: list[Deployment], after: list[tuple[str, str, str | None, bool]]
) -> None:
    assert brief(history.record(before, listed, SPEC, NOW)) == after


def test_a_new_record_holds_its_service_revision_and_sources() -> None:
    [new, _old] = history.record([], [dep(NEW, PRIMARY, GOING), dep(OLD, ACTIVE, DONE)], SPEC, NOW)
    assert new == DeploymentRecord(
        id=NEW,
        status=S.IN_PROGRESS,
        task_definition="web:2",
        capacity_provider_strategy=SPEC.capacity_provider_strategy,
        sources=[OLD],
        created_at=at(-60),
    )


def test_rollback_is_recorded_with_its_target() -> None:
    [new, _old] = history.record(
        [rec(NEW)], [dep(OLD, PRIMARY, GOING), dep(NEW, ACTIVE, FAILED, BACK)], SPEC, NOW
    )
    assert new.rollback == DeploymentRollback(reason=BACK, started_at=NOW, target=OLD)


def test_bounds_keep_the_unfinished_and_the_newest_finished_within_retention() -> None:
    finished = [
        DeploymentRecord(
            id=f"ecs-svc/{10 + n}",
            status=S.SUCCESSFUL,
            task_definition="web:1",
            created_at=NOW - timedelta(days=n + 1),
            finished_at=NOW - timedelta(days=n + 1),
        )
        for n in range(12)
    ]
    ancient = finished[0].model_copy(update={"id": "ecs-svc/9", "finished_at": NOW - timedelta(days=91)})
    kept = history.record([rec(NEW), ancient, *finished], [dep(NEW, PRIMARY, GOING)], SPEC, NOW)
    assert [r.id for r in kept] == [NEW, *(f"ecs-svc/{10 + n}" for n in range(history.KEEP_FINISHED))]


def test_the_planner_keeps_a_finished_deployment_after_it_leaves_the_list() -> None:
    svc = MakeService().desired(2).deployment(NEW, "web:2", created=-60)
    svc = svc.deployment(OLD, "web:1", status=ACTIVE, rollout=GOING)
    service = svc.build()
    service.status.deployment_history = [rec(NEW), rec(OLD)]
    tasks = [MakeTask(n).of(NEW, "web:2").healthy().on(i).build() for n, i in (("a", A1), ("b", B1))]
    plan = run(service, tasks, "web:2")
    assert [d.id for d in plan.status.deployments] == [NEW]
    assert brief(plan.status.deployment_history) == [
        (NEW, "SUCCESSFUL", None, True),
        (OLD, "STOPPED", history.SUPERSEDED, True),
    ]
