"""Invariants of the REPLICA scheduler over random sequences of task outcomes (Hypothesis).

Whatever happens to the tasks (they start, fail to start, crash, turn unhealthy, their instance
drains) and however the deployment configuration is set, every plan:

1. starts nothing that would take the tasks in flight (running + pending) above
   floor(desired × maximumPercent / 100);
2. stops no healthy task if that leaves fewer than ceil(desired × minimumHealthyPercent / 100)
   healthy ones (tasks that are already unhealthy, pending or stopped may always go);
3. stops only tasks it still wants, each once, and starts only tasks of the PRIMARY deployment.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ecs_operator.lifecycle import DesiredStatus, HealthStatus, StopCode, TaskStatus
from ecs_operator.reconcile.service import ServicePlan, ServiceTask, bounds_for

from .builders import A1, A2, B1, C1, MakeService, MakeTask
from .sim import Sim

NODES = (A1, A2, B1, C1)
OUTCOMES = ("wait", "progress", "fail", "crash", "sicken", "recover", "drain")


def check(sim: Sim, before: list[ServiceTask], plan: ServicePlan) -> None:
    bounds = bounds_for(sim.service.spec, sim.service.spec.desired_count or 0)
    in_flight = sum(1 for t in before if t.in_flight)
    assert not plan.starts or in_flight + len(plan.starts) <= bounds.max_in_flight
    healthy = {t.uid for t in before if t.healthy(sim.now)}
    stopped_healthy = sum(1 for s in plan.stops if s.uid in healthy)
    assert not stopped_healthy or len(healthy) - stopped_healthy >= bounds.min_healthy
    wanted = {t.uid for t in before if t.wanted}
    assert len({s.uid for s in plan.stops}) == len(plan.stops)
    assert {s.uid for s in plan.stops} <= wanted
    primary = plan.status.deployments[0]
    assert all(s.deployment_id == primary.id for s in plan.starts)


def outcome(task: ServiceTask, what: str, sim: Sim) -> ServiceTask:
    now = sim.now
    if task.last_status is TaskStatus.STOPPED:
        return task
    if task.desired_status is DesiredStatus.STOPPED:  # a task told to stop gets there
        moved = TaskStatus.DEACTIVATING if what == "wait" else TaskStatus.STOPPED
        return replace(
            task, last_status=moved, stopped_at=now, stop_code=StopCode.SERVICE_SCHEDULER_INITIATED
        )
    if what == "progress" and not task.running:
        return replace(task, last_status=TaskStatus.RUNNING, started_at=now)
    if what == "fail" and not task.running:
        return replace(
            task,
            last_status=TaskStatus.STOPPED,
            desired_status=DesiredStatus.STOPPED,
            stop_code=StopCode.TASK_FAILED_TO_START,
            stopped_at=now,
        )
    if what == "crash" and task.running:
        return replace(
            task,
            last_status=TaskStatus.STOPPED,
            desired_status=DesiredStatus.STOPPED,
            stop_code=StopCode.ESSENTIAL_CONTAINER_EXITED,
            stopped_at=now,
        )
    if what in ("sicken", "recover") and task.running:
        health = HealthStatus.UNHEALTHY if what == "sicken" else HealthStatus.HEALTHY
        return replace(task, has_health_check=True, health_status=health, health_changed_at=now)
    if what == "drain":
        return replace(task, instance_draining=True)
    return task


@settings(max_examples=200, deadline=None)
@given(
    desired=st.integers(0, 6),
    minimum=st.sampled_from([0, 25, 50, 75, 100]),
    maximum=st.sampled_from([100, 125, 150, 200]),
    initial=st.integers(0, 6),
    redeploy=st.booleans(),
    breaker=st.sampled_from([None, False, True]),
    grace=st.sampled_from([0, 30]),
    seed=st.integers(0, 1000),
    data=st.data(),
)
def test_bounds_hold_whatever_the_tasks_do(
    desired: int,
    minimum: int,
    maximum: int,
    initial: int,
    redeploy: bool,
    breaker: bool | None,
    grace: int,
    seed: int,
    data: st.DataObject,
) -> None:
    svc = (
        MakeService().desired(desired).min(minimum).max(maximum).grace(grace).deployment("ecs-svc/1", "web:1")
    )
    if breaker is not None:
        svc = svc.breaker(rollback=breaker)
    tasks = [
        MakeTask(f"t{n}").of("ecs-svc/1", "web:1").healthy().on(NODES[n % 4]).build() for n in range(initial)
    ]
    sim = Sim(svc.build(), tasks, task_definition="web:2" if redeploy else "web:1", seed=seed)
    for _ in range(data.draw(st.integers(1, 12), label="steps")):
        before = list(sim.tasks)
        check(sim, before, sim.plan())
        sim.tasks = [outcome(t, data.draw(st.sampled_from(OUTCOMES)), sim) for t in sim.tasks]
        sim.advance(data.draw(st.sampled_from([0, 5, 20, 45, 600]), label="seconds"))


@settings(max_examples=80, deadline=None)
@given(
    desired=st.integers(1, 6),
    minimum=st.sampled_from([0, 50, 100]),
    maximum=st.sampled_from([150, 200]),
    initial=st.integers(1, 6),
    seed=st.integers(0, 1000),
)
def test_a_deployment_that_goes_well_completes(
    desired: int, minimum: int, maximum: int, initial: int, seed: int
) -> None:
    """With tasks that start and become healthy, every deployment the configuration lets move
    (room to start or to stop: max in flight > min healthy) reaches COMPLETED with desiredCount
    tasks of the new revision, and the service says it reached a steady state."""
    svc = MakeService().desired(desired).min(minimum).max(maximum).deployment("ecs-svc/1", "web:1")
    bounds = bounds_for(svc.build().spec, desired)
    assume(bounds.max_in_flight > bounds.min_healthy)
    tasks = [
        MakeTask(f"t{n}").of("ecs-svc/1", "web:1").healthy().on(NODES[n % 4]).build() for n in range(initial)
    ]
    sim = Sim(svc.build(), tasks, task_definition="web:2", seed=seed)
    for _ in range(40):
        plan = sim.plan()
        if plan.status.deployments[0].rollout_state == "COMPLETED":
            break
        sim.settle()
        sim.advance(45)
    primary = plan.status.deployments[0]
    assert (primary.task_definition, primary.rollout_state, primary.running_count) == (
        "web:2",
        "COMPLETED",
        desired,
    )
    assert "service web has reached a steady state." in [e.message for e in plan.events]
