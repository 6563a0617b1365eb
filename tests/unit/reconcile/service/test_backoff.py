"""The start-failure throttle (ecs-semantics §3.5, decision 5)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ecs_operator.lifecycle import StopCode
from ecs_operator.reconcile.service import SchedulerState, backoff_delay

from .builders import A1, OLD, MakeService, MakeTask, at, run
from .sim import Sim

IMPAIRED = "service web is unable to consistently start tasks successfully."


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [
        pytest.param(0, 0, id="none"),
        pytest.param(1, 10, id="first-10s"),
        pytest.param(2, 20, id="second-20s"),
        pytest.param(3, 40, id="third-40s"),
        pytest.param(8, 1280, id="eighth-1280s"),
        pytest.param(9, 1620, id="ninth-capped-at-27min"),
        pytest.param(1000, 1620, id="far-beyond-capped"),
    ],
)
def test_delay(attempts: int, seconds: int) -> None:
    assert backoff_delay(attempts) == timedelta(seconds=seconds)


def test_the_delay_doubles_with_each_failed_attempt_and_the_event_comes_at_the_third() -> None:
    sim = Sim(MakeService().desired(1).deployment(OLD, "web:1").build())
    waits, impaired = [], []
    for _ in range(5):
        plan = sim.plan()
        assert len(plan.starts) == 1
        sim.fail_pending()
        plan = sim.plan()  # sees the failure: no start before the delay
        assert plan.starts == () and plan.recheck_at is not None
        waits.append((plan.recheck_at - sim.now).total_seconds())
        impaired.append(IMPAIRED in [e.message for e in plan.events])
        sim.now = plan.recheck_at
    assert waits == [10, 20, 40, 80, 160]
    assert impaired == [False, False, True, False, False]  # said once per episode
    assert sim.state.start_failures == 5


def test_a_throttled_service_starts_nothing_before_the_time_and_rechecks_then() -> None:
    state = SchedulerState(
        start_failures=2,
        last_start_failure_at=at(-5),
        launch_not_before=at(15),
        backoff_task_definition="web:1",
    )
    svc = MakeService().desired(1).deployment(OLD, "web:1").build()
    early = run(svc, [], "web:1", state=state)
    assert (early.starts, early.recheck_at) == ((), at(15))
    assert len(run(svc, [], "web:1", state=state, now=at(15)).starts) == 1


def test_a_new_task_definition_resets_the_throttle() -> None:
    state = SchedulerState(
        start_failures=6,
        last_start_failure_at=at(-5),
        launch_not_before=at(600),
        backoff_task_definition="web:1",
    )
    svc = MakeService().desired(1).deployment(OLD, "web:1").build()
    plan = run(svc, [], "web:2", state=state)
    assert len(plan.starts) == 1
    assert (plan.state.start_failures, plan.state.launch_not_before, plan.state.backoff_task_definition) == (
        0,
        None,
        "web:2",
    )


def test_a_task_that_reaches_running_ends_the_streak() -> None:
    state = SchedulerState(
        start_failures=4,
        last_start_failure_at=at(-100),
        launch_not_before=at(-20),
        backoff_task_definition="web:1",
    )
    svc = MakeService().desired(2).deployment(OLD, "web:1").build()
    plan = run(svc, [MakeTask("ok").running(since=-10).on(A1).build()], "web:1", state=state)
    assert (plan.state.start_failures, plan.state.launch_not_before) == (0, None)


def test_tasks_failing_after_running_are_never_throttled() -> None:
    svc = MakeService().desired(1).deployment(OLD, "web:1").build()
    crashed = MakeTask("crashed").stopped(StopCode.ESSENTIAL_CONTAINER_EXITED, ran=True).on(A1).build()
    plan = run(svc, [crashed], "web:1")
    assert len(plan.starts) == 1 and plan.state.start_failures == 0


def test_tasks_failing_together_are_one_attempt() -> None:
    svc = MakeService().desired(3).deployment(OLD, "web:1").build()
    failed = [MakeTask(f"f{n}").failed_to_start().on(A1).build() for n in range(3)]
    plan = run(svc, failed, "web:1")
    assert plan.starts == ()
    assert (plan.state.start_failures, plan.state.launch_not_before) == (1, at(10))
