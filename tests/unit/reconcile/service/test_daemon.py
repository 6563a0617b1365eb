"""DAEMON: one task per ACTIVE, connected, qualifying instance (ecs-semantics §3.2)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from ecs_operator.api import DeploymentStatus, RolloutState
from ecs_operator.lifecycle import StopCode
from ecs_operator.placement import Claim, InstanceBuilder, make_instance, make_task, place
from ecs_operator.reconcile.service import (
    ServiceTask,
    Standing,
    daemon_reservations,
    plan_daemon_service,
    plan_service,
    survey,
    with_reservations,
)

from .builders import (
    A1,
    A2,
    B1,
    C1,
    DRAINING,
    NEW,
    OLD,
    T0,
    UNHEALTHY,
    MakeService,
    MakeTask,
    cluster,
    request,
    run,
    summary,
)
from .sim import Sim

SCALING = f"Scaling activity initiated by (deployment {OLD})"
PROD = "attribute:stack == prod"


def nodes(*overrides: InstanceBuilder) -> list[InstanceBuilder]:
    """a1, a2, b1, c1, all stack=prod; an override replaces the instance of the same name."""
    base = {n: make_instance(n).zone("z").attribute("stack", "prod") for n in (A1, A2, B1, C1)}
    for b in overrides:
        base[b.build().name] = b
    return list(base.values())


def daemon() -> MakeService:
    return MakeService().daemon().deployment(OLD, "web:1")


def on(*names: str) -> list[ServiceTask]:
    return [MakeTask(f"d-{n[-2:]}").healthy().on(n).build() for n in names]


def plan_for(tasks: list[ServiceTask], *builders: InstanceBuilder) -> dict[str, Any]:
    snapshot = cluster(tasks, *(builders or nodes()))
    return summary(
        run(
            daemon().build(),
            tasks,
            "web:1",
            snapshot=snapshot,
            task_request=request(member_of=PROD),
        )
    )


def test_every_qualifying_instance_runs_one_task_and_a_new_one_gets_its_own() -> None:
    got = plan_for(on(A1, A2, B1))
    assert got["start"] == {f"{OLD}@{C1}": 1}
    assert got["stop"] == []
    assert got["counts"] == (4, 3, 0)


def test_a_draining_instance_loses_its_task_and_gets_none() -> None:
    got = plan_for(
        on(A1, A2, B1, C1), *nodes(make_instance(C1).zone("z").attribute("stack", "prod").draining())
    )
    assert got["stop"] == [("d-c1", DRAINING)]
    assert got["start"] == {}
    assert got["counts"] == (3, 4, 0)


def _draining_c1(*groups: str) -> InstanceBuilder:
    builder = make_instance(C1).zone("z").attribute("stack", "prod").draining()
    for i, group in enumerate(groups):
        builder = builder.task(group, 256, 512, uid=f"other-{i}")
    return builder


@pytest.mark.parametrize(
    ("others", "daemon_groups", "stopped"),
    [
        # a replica or standalone task is still on the draining instance: the daemon stays (last)
        (("service:api",), frozenset(), []),
        (("family:batch",), frozenset(), []),
        # only other daemons (or reservations) remain: they do not wait on each other
        (("service:agent",), frozenset({"service:agent"}), [("d-c1", DRAINING)]),
        (("reservation:service:agent",), frozenset(), [("d-c1", DRAINING)]),
        ((), frozenset(), [("d-c1", DRAINING)]),
    ],
)
def test_a_daemon_is_stopped_last_on_a_draining_instance(
    others: tuple[str, ...], daemon_groups: frozenset[str], stopped: list[tuple[str, str]]
) -> None:
    tasks = on(A1, A2, B1, C1)
    snapshot = cluster(tasks, *nodes(_draining_c1(*others)))
    plan = plan_service(
        daemon().build(),
        tasks,
        task_definition="web:1",
        snapshot=snapshot,
        now=T0,
        rng=random.Random(7),
        request=request(member_of=PROD),
        daemon_groups=daemon_groups,
    )
    assert [(s.name, s.reason) for s in plan.stops] == stopped
    assert plan.starts == ()


def test_a_deregistered_instance_stops_its_daemon_at_once() -> None:
    tasks = on(A1, A2, B1, C1)
    inactive = (
        make_instance(C1).zone("z").attribute("stack", "prod").status("INACTIVE").task("service:api", uid="x")
    )
    got = summary(
        run(
            daemon().build(),
            tasks,
            "web:1",
            snapshot=cluster(tasks, *nodes(inactive)),
            task_request=request(member_of=PROD),
        )
    )
    assert got["stop"] == [("d-c1", DRAINING)]


def test_an_instance_that_stops_qualifying_loses_its_task_with_an_event() -> None:
    got = plan_for(on(A1, A2, B1, C1), *nodes(make_instance(C1).zone("z").attribute("stack", "dev")))
    assert got["stop"] == [("d-c1", SCALING)]
    assert got["events"] == [
        "service web has stopped 1 running tasks: task d-c1.",
        "service web stopped task d-c1 because container-instance prod.c1 no longer meets the placement "
        "constraints of the service.",
    ]


def test_an_instance_without_resources_gets_an_event_and_a_retry() -> None:
    svc = daemon().build()
    tasks = on(A1, A2, B1)
    small = make_instance(C1).zone("z").attribute("stack", "prod").memory(256)
    plan = run(
        svc, tasks, "web:1", snapshot=cluster(tasks, *nodes(small)), task_request=request(member_of=PROD)
    )
    assert plan.starts == ()
    assert [e.message for e in plan.events] == [
        "service web was unable to place a task because no container instance met all of its requirements. "
        "The closest matching container-instance prod.c1 has insufficient memory available. "
        "For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
    ]
    assert plan.recheck_at is not None and plan.status.desired_count == 4


def test_a_disconnected_instance_keeps_its_task_and_gets_no_new_one() -> None:
    got = plan_for(
        on(A1, A2, B1), *nodes(make_instance(C1).zone("z").attribute("stack", "prod").disconnected())
    )
    assert (got["start"], got["stop"], got["counts"][0]) == ({}, [], 3)


PER_INSTANCE = [
    pytest.param(
        [MakeTask("x").healthy().on(A1), MakeTask("y").pending().on(A1)],
        [("y", SCALING)],
        id="an-extra-copy-is-stopped",
    ),
    pytest.param([MakeTask("sick").unhealthy().on(A1)], [("sick", UNHEALTHY)], id="unhealthy-is-stopped"),
    pytest.param(
        [MakeTask("lost").healthy().on("prod.gone")], [("lost", SCALING)], id="instance-left-the-cluster"
    ),
]


@pytest.mark.parametrize(("tasks", "stopped"), PER_INSTANCE)
def test_per_instance(tasks: list[MakeTask], stopped: list[tuple[str, str]]) -> None:
    built = [t.build() for t in tasks] + on(A2, B1, C1)
    assert plan_for(built)["stop"] == stopped


def test_an_instance_is_refilled_only_once_its_old_task_is_stopped() -> None:
    stopping = MakeTask("old").healthy().stopping().on(A1).build()
    assert plan_for([stopping, *on(A2, B1, C1)])["start"] == {}
    stopped = MakeTask("old").stopped(StopCode.SERVICE_SCHEDULER_INITIATED, ran=True).on(A1).build()
    assert plan_for([stopped, *on(A2, B1, C1)])["start"] == {f"{OLD}@{A1}": 1}


def test_a_deployment_stops_old_then_starts_new_per_instance() -> None:
    svc = MakeService().daemon().deployment(OLD, "web:1").build()
    sim = Sim(svc, on(A1, A2), task_definition="web:2", nodes=(A1, A2), request=request())
    first = sim.plan()
    new = first.status.deployments[0].id
    assert summary(first)["stop"] == [
        ("d-a1", f"Scaling activity initiated by (deployment {new})"),
        ("d-a2", f"Scaling activity initiated by (deployment {new})"),
    ]
    assert first.starts == ()
    sim.settle()
    second = sim.plan()
    assert summary(second)["start"] == {f"{new}@{A1}": 1, f"{new}@{A2}": 1}


def test_minimum_healthy_percent_bounds_a_daemon_deployment() -> None:
    svc = (
        MakeService().daemon().min(50).deployment(NEW, "web:2", rollout=RolloutState.IN_PROGRESS, created=-60)
    )
    svc = svc.deployment(OLD, "web:1", status=DeploymentStatus.ACTIVE)
    tasks = on(A1, A2, B1, C1)
    plan = run(svc.build(), tasks, "web:2", snapshot=cluster(tasks, *nodes()), task_request=request())
    assert len(plan.stops) == 2 and plan.starts == ()


def test_healthy_tasks_stopped_for_draining_count_against_the_minimum() -> None:
    """min 100 % over 3 eligible instances: a2 drains, so no old task may stop before its new one."""
    svc = (
        MakeService()
        .daemon()
        .min(100)
        .deployment(NEW, "web:2", rollout=RolloutState.IN_PROGRESS, created=-60)
    )
    svc = svc.deployment(OLD, "web:1", status=DeploymentStatus.ACTIVE)
    tasks = on(A1, A2, B1, C1)
    snapshot = cluster(tasks, *nodes(make_instance(A2).zone("z").attribute("stack", "prod").draining()))
    plan = run(svc.build(), tasks, "web:2", snapshot=snapshot, task_request=request())
    assert [(s.name, s.reason) for s in plan.stops] == [("d-a2", DRAINING)]


def test_survey() -> None:
    snapshot = cluster(
        [],
        make_instance(A1).attribute("stack", "prod"),
        make_instance(A2).attribute("stack", "prod").draining(),
        make_instance(B1).attribute("stack", "dev"),
        make_instance(C1).attribute("stack", "prod").disconnected(),
        make_instance("prod.f1").fargate(),
    )
    standings = {f.name: f.standing for f in survey(snapshot, request(member_of=PROD))}
    assert standings == {
        A1: Standing.ELIGIBLE,
        A2: Standing.DRAINING,
        B1: Standing.UNQUALIFIED,
        C1: Standing.DISCONNECTED,
    }


def test_reservations_keep_replica_tasks_off_the_daemon_capacity() -> None:
    daemon_request = request(cpu=1024, memory=6000, member_of=PROD)
    snapshot = cluster(
        on(A1),
        make_instance(A1).attribute("stack", "prod").memory(8192),
        make_instance(B1).attribute("stack", "prod").memory(8192),
        make_instance(C1).attribute("stack", "dev").memory(8192),
    )
    reserved = daemon_reservations(snapshot, daemon_request)
    assert reserved == {
        B1: Claim(
            "reservation:service:web@prod.b1",
            "reservation:service:web",
            "reservation:service:web",
            1024,
            6000,
        )
    }
    replica = make_task("api-1").service("api").memory(4000).build()
    fits = {p.instance for p in place(with_reservations(snapshot, reserved), replica, count=2).placements}
    assert fits == {A1, C1}  # b1's 8192 MiB minus 6000 reserved leaves too little


def test_a_daemon_service_needs_its_request() -> None:
    svc = MakeService().daemon().build()
    with pytest.raises(ValueError, match="placement request"):
        run(svc, [], "web:1")
    plan = plan_daemon_service(
        svc,
        [],
        task_definition="web:1",
        snapshot=cluster([]),
        now=T0,
        rng=random.Random(0),
        request=request(),
    )
    assert plan.status.desired_count == 4
