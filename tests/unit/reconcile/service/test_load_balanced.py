"""Load-balanced tasks: healthy once RUNNING (40 s without a container health check) and their target
is healthy (pod Ready, endpoint ready); a deployment keeps minimumHealthyPercent and completes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from ecs_operator.lifecycle import HealthStatus
from ecs_operator.reconcile.load_balancers import healthy_targets, is_target
from ecs_operator.reconcile.service import ServiceTask
from ecs_operator.reconcile.service.naming import deployment_id

from .builders import A1, B1, OLD, T0, UID, MakeService, MakeTask, summary
from .sim import Sim


def balanced(task: MakeTask, *, target: bool) -> ServiceTask:
    return replace(task.build(), load_balanced=True, target_healthy=target)


HEALTHY = [
    pytest.param(balanced(MakeTask("t").running(-600), target=True), True, id="running-target-healthy"),
    pytest.param(balanced(MakeTask("t").running(-600), target=False), False, id="running-target-not-ready"),
    pytest.param(balanced(MakeTask("t").running(-10), target=True), False, id="target-healthy-within-40s"),
    pytest.param(balanced(MakeTask("t").pending(), target=True), False, id="pending-target-healthy"),
    pytest.param(balanced(MakeTask("t").running(-600).stopping(), target=True), False, id="told-to-stop"),
    pytest.param(
        balanced(MakeTask("t").running(-600).checked(HealthStatus.HEALTHY), target=True),
        True,
        id="container-healthy-target-healthy",
    ),
    pytest.param(
        balanced(MakeTask("t").running(-5).checked(HealthStatus.HEALTHY), target=True),
        True,
        id="container-healthy-no-settle-needed",
    ),
    pytest.param(
        balanced(MakeTask("t").running(-600).checked(HealthStatus.HEALTHY), target=False),
        False,
        id="container-healthy-target-not-ready",
    ),
    pytest.param(
        balanced(MakeTask("t").running(-600).checked(HealthStatus.UNKNOWN), target=True),
        False,
        id="container-unknown-target-healthy",
    ),
    pytest.param(MakeTask("t").running(-600).build(), True, id="no-load-balancer"),
]


@pytest.mark.parametrize(("task", "healthy"), HEALTHY)
def test_a_load_balanced_task_counts_healthy(task: ServiceTask, healthy: bool) -> None:
    assert task.healthy(T0) is healthy


def pod(name: str, ready: str | None) -> dict[str, Any]:
    conditions = [] if ready is None else [{"type": "Ready", "status": ready}]
    return {"metadata": {"name": name}, "status": {"conditions": conditions}}


def endpoint(name: str, ready: bool | None, kind: str = "Pod") -> dict[str, Any]:
    conditions = {} if ready is None else {"ready": ready}
    return {"addresses": ["10.0.0.1"], "conditions": conditions, "targetRef": {"kind": kind, "name": name}}


TARGETS = [
    pytest.param([pod("p", "True")], [endpoint("p", True)], {"p"}, id="pod-ready-endpoint-ready"),
    pytest.param([pod("p", "True")], [endpoint("p", None)], {"p"}, id="ready-absent-means-ready"),
    pytest.param([pod("p", "True")], [endpoint("p", False)], set(), id="endpoint-not-ready"),
    pytest.param([pod("p", "False")], [endpoint("p", True)], set(), id="pod-not-ready-stale-slice"),
    pytest.param([pod("p", None)], [endpoint("p", True)], set(), id="pod-without-conditions"),
    pytest.param([pod("p", "True")], [], set(), id="not-an-endpoint-yet"),
    pytest.param([pod("p", "True")], [endpoint("p", True, kind="Node")], set(), id="not-a-pod-ref"),
    pytest.param(
        [pod("p", "True"), pod("q", "True")],
        [endpoint("q", True), endpoint("p", False)],
        {"q"},
        id="two-pods-one-ready",
    ),
]


@pytest.mark.parametrize(("pods", "endpoints", "healthy"), TARGETS)
def test_target_health(
    pods: list[dict[str, Any]], endpoints: list[dict[str, Any]], healthy: set[str]
) -> None:
    assert healthy_targets(pods, [{"endpoints": endpoints}]) == healthy


TARGET_CANDIDATES = [
    pytest.param("RUNNING", None, None, True, id="running-health-unknown-is-registered"),
    pytest.param("RUNNING", "UNKNOWN", None, True, id="running-unknown"),
    pytest.param("RUNNING", "HEALTHY", None, True, id="running-healthy"),
    pytest.param("RUNNING", "UNHEALTHY", None, False, id="running-unhealthy"),
    pytest.param("PENDING", None, None, False, id="pending"),
    pytest.param("RUNNING", None, "STOPPED", False, id="told-to-stop"),
]


@pytest.mark.parametrize(("last", "health", "desired", "registered"), TARGET_CANDIDATES)
def test_a_running_task_is_registered_before_it_counts_healthy(
    last: str, health: str | None, desired: str | None, registered: bool
) -> None:
    """No chicken and egg: the target (an endpoint candidate) comes first, then its health."""
    task = {"spec": {"desiredStatus": desired}, "status": {"lastStatus": last, "healthStatus": health}}
    assert is_target(task) is registered


def test_a_deployment_keeps_the_minimum_until_targets_are_healthy_and_completes() -> None:
    """desired 2, min 100 %, max 200 %, no container health check: old tasks stop only once the new
    tasks' targets are healthy; then COMPLETED and steady state."""
    svc = MakeService().desired(2).deployment(OLD, "web:1").build()
    old = [
        balanced(MakeTask("old-a").healthy().on(A1), target=True),
        balanced(MakeTask("old-b").healthy().on(B1), target=True),
    ]
    sim = Sim(svc, old, task_definition="web:2")
    new = deployment_id(UID, "web:2", None, 1)

    def lb_world() -> None:  # every task of this service is load-balanced; new ones not yet healthy
        sim.tasks = [t if t.load_balanced else replace(t, load_balanced=True) for t in sim.tasks]

    def healthy_count() -> int:
        return sum(t.healthy(sim.now) for t in sim.tasks)

    plan = sim.plan()
    lb_world()
    assert summary(plan)["start"] == {new: 2} and plan.stops == ()

    sim.settle()
    sim.advance(600)  # RUNNING long past 40 s, but the targets are not ready: nothing may stop
    plan = sim.plan()
    assert (plan.starts, plan.stops) == ((), ())
    assert healthy_count() == 2

    for task in sim.tasks:
        if task.started_by == new:
            sim.set(task.name, target_healthy=True)
    plan = sim.plan()
    assert [s.name for s in plan.stops] == ["old-a", "old-b"]
    assert healthy_count() == 2  # the two new ones; the old ones are told to stop

    sim.settle()
    plan = sim.plan()
    assert summary(plan)["deployments"] == [(new, "PRIMARY", "COMPLETED", 0)]
    assert "service web has reached a steady state." in summary(plan)["events"]


def test_a_first_deployment_completes_once_targets_are_healthy() -> None:
    """The confirmed bug: a load balancer and no container health check never completed."""
    sim = Sim(MakeService().desired(2).build())
    sim.plan()
    sim.settle()
    sim.tasks = [replace(t, load_balanced=True, target_healthy=True) for t in sim.tasks]
    sim.advance(40)
    plan = sim.plan()
    assert summary(plan)["deployments"][0][2] == "COMPLETED"
    assert "service web has reached a steady state." in summary(plan)["events"]
