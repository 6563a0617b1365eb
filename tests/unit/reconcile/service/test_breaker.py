"""The deployment circuit breaker: threshold, counting, reset, trip with and without rollback
(ecs-semantics §3.4, decision 4)."""

from __future__ import annotations

import pytest

from ecs_operator.api import DeploymentStatus, RolloutState
from ecs_operator.lifecycle import HealthStatus, StopCode
from ecs_operator.reconcile.service import SchedulerState, circuit_breaker_threshold

from .builders import A1, B1, C1, NEW, OLD, MakeService, MakeTask, after, at, run, summary


@pytest.mark.parametrize(
    ("desired", "threshold"),
    [
        pytest.param(0, 3, id="0-clamped-to-3"),
        pytest.param(1, 3, id="1-clamped-to-3"),
        pytest.param(6, 3, id="6-is-3"),
        pytest.param(7, 4, id="7-rounds-up-to-4"),
        pytest.param(25, 13, id="25-is-13-the-guide-example"),
        pytest.param(400, 200, id="400-is-200"),
        pytest.param(800, 200, id="800-clamped-to-200"),
    ],
)
def test_threshold(desired: int, threshold: int) -> None:
    assert circuit_breaker_threshold(desired) == threshold


def deploying(*, failed: int, rollback: bool | None, desired: int = 2) -> MakeService:
    """NEW (web:2) in progress with ``failed`` failures so far, over OLD (web:1), COMPLETED."""
    svc = MakeService().desired(desired).max(200)
    if rollback is not None:
        svc = svc.breaker(rollback=rollback)
    svc = svc.deployment(NEW, "web:2", rollout=RolloutState.IN_PROGRESS, failed=failed, created=-60)
    return svc.deployment(OLD, "web:1", status=DeploymentStatus.ACTIVE)


OLD_RUNNING = [MakeTask("old-a").healthy().on(A1), MakeTask("old-b").healthy().on(B1)]


def failed_new(name: str = "new-x") -> MakeTask:
    return MakeTask(name).of(NEW, "web:2").failed_to_start().on(C1)


def test_trip_without_rollback_fails_the_deployment_and_launches_nothing() -> None:
    tasks = [t.build() for t in [*OLD_RUNNING, failed_new()]]
    plan = run(deploying(failed=2, rollback=False).build(), tasks, "web:2")
    assert summary(plan) == {
        "start": {},
        "stop": [],
        "counts": (2, 2, 0),
        "deployments": [(NEW, "PRIMARY", "FAILED", 3), (OLD, "ACTIVE", "COMPLETED", 0)],
        "events": [f"service web (deployment {NEW}) deployment failed: tasks failed to start."],
        "status": "ACTIVE",
    }
    assert (
        plan.status.deployments[0].rollout_state_reason
        == "ECS deployment circuit breaker: task failed to start."
    )
    assert plan.state.counted_failures == ("new-x",)


def test_trip_with_rollback_makes_the_last_completed_deployment_primary_again() -> None:
    tasks = [
        t.build() for t in [*OLD_RUNNING, failed_new(), MakeTask("new-p").of(NEW, "web:2").pending().on(C1)]
    ]
    svc = deploying(failed=2, rollback=True).build()
    plan = run(svc, tasks, "web:2")
    assert summary(plan) == {
        "start": {},
        "stop": [("new-p", f"Scaling activity initiated by (deployment {OLD})")],
        "counts": (2, 2, 1),
        "deployments": [(OLD, "PRIMARY", "IN_PROGRESS", 0), (NEW, "ACTIVE", "FAILED", 3)],
        "events": [
            f"service web (deployment {NEW}) deployment failed: "
            f"ECS deployment circuit breaker: rolling back to deploymentId {OLD}.",
            "service web has stopped 1 running tasks: task new-p.",
        ],
        "status": "ACTIVE",
    }
    reasons = {d.id: d.rollout_state_reason for d in plan.status.deployments}
    assert reasons == {
        OLD: f"ECS deployment {OLD} in progress.",
        NEW: f"ECS deployment circuit breaker: rolling back to deploymentId {OLD}.",
    }
    assert plan.state.rolled_back_from == ("web:2", None)

    # The spec still names web:2: no new deployment until a new revision or forceNewDeployment.
    done = [t.build() for t in OLD_RUNNING] + [
        failed_new().build(),
        MakeTask("new-p").of(NEW, "web:2").failed_to_start().build(),
    ]
    again = run(after(svc, plan), done, "web:2", state=plan.state, now=at(5))
    # The failed deployment has no task left: no longer listed, as in ECS.
    assert summary(again)["deployments"] == [(OLD, "PRIMARY", "COMPLETED", 0)]
    retried = run(after(svc, again), done, "web:3", state=again.state)
    assert [d.status for d in retried.status.deployments] == ["PRIMARY", "ACTIVE"]
    assert retried.status.deployments[0].task_definition == "web:3"


def test_rollback_reaches_a_completed_deployment_that_is_no_longer_listed() -> None:
    """OLD completed, then its tasks were all replaced: only the state remembers it."""
    svc = MakeService().desired(2).max(200).breaker(rollback=True)
    svc = svc.deployment(NEW, "web:2", rollout=RolloutState.IN_PROGRESS, failed=2, created=-60)
    state = SchedulerState(last_completed=(OLD, "web:1", None))
    plan = run(svc.build(), [failed_new().build()], "web:2", state=state)
    got = summary(plan)
    assert got["deployments"] == [(OLD, "PRIMARY", "IN_PROGRESS", 0)]
    assert got["start"] == {OLD: 2}
    assert {s.task_definition for s in plan.starts} == {"web:1"}
    assert got["events"][0] == (
        f"service web (deployment {NEW}) deployment failed: "
        f"ECS deployment circuit breaker: rolling back to deploymentId {OLD}."
    )


def test_rollback_without_a_completed_deployment_just_fails() -> None:
    svc = MakeService().desired(2).breaker(rollback=True)
    svc = svc.deployment(NEW, "web:2", rollout=RolloutState.IN_PROGRESS, failed=2)
    plan = run(svc.build(), [failed_new().build()], "web:2")
    assert summary(plan)["deployments"] == [(NEW, "PRIMARY", "FAILED", 3)]


def test_each_failure_is_counted_once() -> None:
    svc = deploying(failed=0, rollback=False).build()
    tasks = [t.build() for t in [*OLD_RUNNING, failed_new()]]
    first = run(svc, tasks, "web:2")
    second = run(after(svc, first), tasks, "web:2", state=first.state, now=at(1))
    assert [d.failed_tasks for d in first.status.deployments] == [1, 0]
    assert [d.failed_tasks for d in second.status.deployments] == [1, 0]


STAGES = [
    pytest.param(failed_new(), 1, id="stage-1-never-running"),
    pytest.param(MakeTask("n").of(NEW, "web:2").unhealthy().on(C1), 1, id="stage-2-unhealthy"),
    pytest.param(
        MakeTask("n").of(NEW, "web:2").stopped(StopCode.ESSENTIAL_CONTAINER_EXITED, ran=True).on(C1),
        1,
        id="stage-2-exited-after-running",
    ),
    pytest.param(
        MakeTask("n").of(NEW, "web:2").unhealthy(since=-30).on(C1), 0, id="unhealthy-in-grace-is-no-failure"
    ),
    pytest.param(
        MakeTask("n").of(NEW, "web:2").stopped(StopCode.USER_INITIATED).on(C1),
        0,
        id="stopped-by-user-is-no-failure",
    ),
    pytest.param(
        MakeTask("n").of(OLD, "web:1").failed_to_start().on(C1), 0, id="old-deployment-failure-is-not-counted"
    ),
]


@pytest.mark.parametrize(("task", "failed"), STAGES)
def test_what_counts_as_a_failure(task: MakeTask, failed: int) -> None:
    svc = deploying(failed=0, rollback=False).grace(60).build()
    plan = run(svc, [t.build() for t in OLD_RUNNING] + [task.build()], "web:2")
    assert plan.status.deployments[0].failed_tasks == failed


def test_a_task_that_becomes_healthy_after_the_last_failure_resets_the_count() -> None:
    svc = deploying(failed=2, rollback=False).build()
    state = SchedulerState(last_task_failure_at=at(-100))
    healthy_after = (
        MakeTask("ok").of(NEW, "web:2").running(since=-50).checked(HealthStatus.HEALTHY, since=-50).on(C1)
    )
    healthy_before = (
        MakeTask("ok").of(NEW, "web:2").running(since=-500).checked(HealthStatus.HEALTHY, since=-500).on(C1)
    )
    tasks = [t.build() for t in OLD_RUNNING]
    assert (
        run(svc, [*tasks, healthy_after.build()], "web:2", state=state).status.deployments[0].failed_tasks
        == 0
    )
    assert (
        run(svc, [*tasks, healthy_before.build()], "web:2", state=state).status.deployments[0].failed_tasks
        == 2
    )


def test_a_disabled_breaker_counts_but_never_trips() -> None:
    svc = deploying(failed=5, rollback=None).build()
    plan = run(svc, [t.build() for t in [*OLD_RUNNING, failed_new()]], "web:2")
    assert summary(plan)["deployments"][0] == (NEW, "PRIMARY", "IN_PROGRESS", 6)


def test_failures_after_completion_are_replaced_not_counted() -> None:
    svc = MakeService().desired(2).breaker(rollback=True).deployment(OLD, "web:1").build()
    tasks = [MakeTask("a").healthy().on(A1).build(), MakeTask("b").unhealthy().on(B1).build()]
    got = summary(run(svc, tasks, "web:1"))
    assert got["deployments"] == [(OLD, "PRIMARY", "COMPLETED", 0)]
    # Replaced first (§3.1): "b" stops once its replacement is healthy, not in this pass.
    assert got["start"] == {OLD: 1} and got["stop"] == []
