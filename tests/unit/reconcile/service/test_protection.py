"""Task scale-in protection in the REPLICA scheduler (ecs-semantics §3.1, §3.6).

A protected task is never chosen by a scale-in or a deployment's stops; while protection keeps a
task set from scaling in, the service event says so in ECS's words; expiry is decided by the
``now`` the plan is made for, and the plan re-checks at the expiry.
"""

from __future__ import annotations

import pytest

from ecs_operator.api import DeploymentStatus, RolloutState
from ecs_operator.lifecycle import HealthStatus

from .builders import (
    A1,
    A2,
    B1,
    C1,
    NEW,
    OLD,
    SCALING_NEW,
    SCALING_OLD,
    UNHEALTHY,
    MakeService,
    MakeTask,
    after,
    at,
    routine,
    run,
    summary,
)


def blocked(task_set: str) -> str:
    return (
        f"service web was unable to reach steady state because task set {task_set} was unable to scale in. "
        "Reason: The number of protected tasks are more than the desired count of tasks."
    )


NODES = [A1, A2, B1, C1]


def four(protection: dict[str, float | None]) -> list[MakeTask]:
    """t0..t3 healthy on a1, a2, b1, c1; ``protection``: name → until (seconds; None: pending)."""
    tasks = []
    for n in range(4):
        task = MakeTask(f"t{n}").healthy().on(NODES[n])
        if f"t{n}" in protection:
            task = task.protected(protection[f"t{n}"])
        tasks.append(task)
    return tasks


SCALE_IN = [
    # (protected tasks, desired) → (stopped, "unable to scale in" said)
    pytest.param({}, 2, 2, False, id="none-protected-scales-in"),
    pytest.param({"t0": 600}, 2, 2, False, id="one-protected-fewer-than-desired"),
    pytest.param({"t0": 600, "t1": 600}, 2, 2, False, id="protected-equal-to-desired"),
    pytest.param({"t0": 600, "t1": 600, "t2": 600}, 2, 1, True, id="protected-more-than-desired"),
    pytest.param({"t0": 600, "t1": 600, "t2": 600, "t3": 600}, 0, 0, True, id="all-protected-desired-0"),
    pytest.param({"t0": None, "t1": None, "t2": None}, 2, 1, True, id="pending-protection-counts"),
    pytest.param({"t0": -1, "t1": -1, "t2": -1}, 2, 2, False, id="expired-protection-does-not"),
    pytest.param({"t0": 0, "t1": 0, "t2": 0}, 2, 2, False, id="expires-at-now-does-not"),
]


@pytest.mark.parametrize(("protection", "desired", "stopped", "said"), SCALE_IN)
def test_scale_in_never_stops_a_protected_task(
    protection: dict[str, float | None], desired: int, stopped: int, said: bool
) -> None:
    tasks = [t.build() for t in four(protection)]
    svc = MakeService().desired(desired).min(0).deployment(OLD, "web:1").build()
    plan = run(svc, tasks, "web:1")
    live = {t.name for t in tasks if t.protected(at(0))}
    got = summary(plan)
    assert len(got["stop"]) == stopped
    assert all(name not in live for name, _ in got["stop"])
    assert all(reason == SCALING_OLD for _, reason in got["stop"])
    assert plan.starts == ()
    assert got["events"] == routine(plan) + [blocked(OLD)] * said


def test_the_scale_in_proceeds_once_the_protection_expires() -> None:
    """Blocked until at(60): the plan re-checks then, and at that moment the task is stopped."""
    tasks = [t.build() for t in four({"t0": 60, "t1": 60, "t2": 60, "t3": 60})]
    svc = MakeService().desired(2).min(0).deployment(OLD, "web:1").build()
    first = run(svc, tasks, "web:1")
    assert first.stops == ()
    assert first.recheck_at == at(60)
    assert [e.message for e in first.events] == [blocked(OLD)]
    still = run(after(svc, first), tasks, "web:1", state=first.state, now=at(59))
    assert still.stops == () and still.events == ()  # said once while the cause lasts
    later = run(after(svc, first), tasks, "web:1", state=first.state, now=at(60))
    assert len(later.stops) == 2
    assert blocked(OLD) not in [e.message for e in later.events]


def test_protected_tasks_count_toward_the_balance_of_what_stays() -> None:
    """No strategy: zone-a holds a1, a2 and a protected a1 task; the stop comes from zone-a,
    never the protected task."""
    tasks = [
        MakeTask("keep").healthy().on(A1).protected(600).build(),
        MakeTask("a1").healthy().on(A1).build(),
        MakeTask("a2").healthy().on(A2).build(),
        MakeTask("b1").healthy().on(B1).build(),
    ]
    svc = MakeService().desired(3).min(0).deployment(OLD, "web:1").build()
    for seed in range(10):
        stops = [s.name for s in run(svc, tasks, "web:1", seed=seed).stops]
        assert stops == ["a1"], (seed, stops)


def rolling() -> MakeService:
    return (
        MakeService()
        .desired(2)
        .min(100)
        .max(200)
        .deployment(NEW, "web:2", rollout=RolloutState.IN_PROGRESS, created=-120)
        .deployment(OLD, "web:1", status=DeploymentStatus.ACTIVE)
    )


def test_a_deployment_does_not_stop_a_protected_task_of_the_old_deployment() -> None:
    """NEW is healthy at full count: the old tasks go, except the protected one, which keeps OLD
    ACTIVE (the rollout not completed) and is reported as the task set that cannot scale in."""
    tasks = [
        MakeTask("new-1").of(NEW, "web:2").healthy().on(A1).build(),
        MakeTask("new-2").of(NEW, "web:2").healthy().on(B1).build(),
        MakeTask("old-1").healthy().on(A2).protected(600).build(),
        MakeTask("old-2").healthy().on(C1).build(),
    ]
    plan = run(rolling().build(), tasks, "web:2")
    got = summary(plan)
    assert got["stop"] == [("old-2", SCALING_NEW)]
    assert got["start"] == {}
    assert (OLD, "ACTIVE") in [(d[0], d[1]) for d in got["deployments"]]
    assert [d[2] for d in got["deployments"] if d[0] == NEW] == ["IN_PROGRESS"]
    assert got["events"] == [*routine(plan), blocked(OLD)]
    assert plan.recheck_at == at(600)


def test_a_protected_old_task_is_not_reported_while_the_minimum_keeps_it_anyway() -> None:
    """NEW has no healthy task yet: min 100% keeps every old task; protection is not the cause."""
    tasks = [
        MakeTask("new-1").of(NEW, "web:2").pending().on(A1).build(),
        MakeTask("new-2").of(NEW, "web:2").pending().on(B1).build(),
        MakeTask("old-1").healthy().on(A2).protected(600).build(),
        MakeTask("old-2").healthy().on(C1).build(),
    ]
    plan = run(rolling().build(), tasks, "web:2")
    assert plan.stops == ()
    assert blocked(OLD) not in [e.message for e in plan.events]


def test_an_old_task_not_yet_healthy_is_kept_when_protected() -> None:
    tasks = [
        MakeTask("new-1").of(NEW, "web:2").healthy().on(A1).build(),
        MakeTask("new-2").of(NEW, "web:2").healthy().on(B1).build(),
        MakeTask("old-p").pending().on(A2).protected(600).build(),
        MakeTask("old-q").pending().on(C1).build(),
    ]
    got = summary(run(rolling().build(), tasks, "web:2"))
    assert got["stop"] == [("old-q", SCALING_NEW)]


def test_protection_does_not_keep_an_unhealthy_task_or_a_deleted_service() -> None:
    """Decided [I]: protection covers scale-in and deployments, as ECS documents it."""
    sick = MakeTask("sick").unhealthy().on(A1).protected(600).build()
    ok = MakeTask("ok").healthy().on(B1).build()
    svc = MakeService().desired(2).deployment(OLD, "web:1")
    plan = run(svc.build(), [sick, ok], "web:1")
    assert summary(plan)["start"] == {OLD: 1}  # replaced first (ECS's unhealthy-task rule), protected or not
    replacement = MakeTask("new").healthy().on(C1).build()
    plan = run(svc.build(), [sick, ok, replacement], "web:1")
    assert (sick.name, UNHEALTHY) in summary(plan)["stop"]
    assert sick.health_status is HealthStatus.UNHEALTHY
    deleted = run(svc.deleting().build(), [sick, ok], "web:1")
    assert sorted(s.name for s in deleted.stops) == ["ok", "sick"]
