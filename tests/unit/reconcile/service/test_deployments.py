"""Deployments: when one starts, ids, ACTIVE/INACTIVE, and a whole rollout to COMPLETED (§3.3)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ecs_operator.api import DeploymentStatus, RolloutState
from ecs_operator.reconcile.service import SchedulerState
from ecs_operator.reconcile.service.naming import deployment_id, task_name

from .builders import A1, B1, NEW, OLD, UID, MakeService, MakeTask, after, run, summary
from .sim import Sim


def first_id(task_definition: str = "web:1", force: str | None = None, counter: int = 1) -> str:
    return deployment_id(UID, task_definition, force, counter)


def test_a_new_service_gets_its_first_deployment() -> None:
    plan = run(MakeService().desired(2).build(), [], "web:1")
    new, names = first_id(), [task_name("web", UID, 1), task_name("web", UID, 2)]
    assert [s.name for s in plan.starts] == names
    assert summary(plan) == {
        "start": {new: 2},
        "stop": [],
        "counts": (2, 0, 0),
        "deployments": [(new, "PRIMARY", "IN_PROGRESS", 0)],
        "events": [f"service web has started 2 tasks: task {names[0]} task {names[1]}."],
        "status": "ACTIVE",
    }
    assert plan.status.deployments[0].rollout_state_reason == f"ECS deployment {new} in progress."
    assert plan.state.deployments_created == 1 and plan.state.tasks_started == 2


def test_ids_and_names_are_deterministic() -> None:
    svc = MakeService().desired(3).build()
    one, two = run(svc, [], "web:1", seed=1), run(svc, [], "web:1", seed=2)
    assert one.starts == two.starts
    assert one.status.deployments == two.status.deployments
    assert first_id().startswith("ecs-svc/") and first_id()[8:].isdigit()
    assert first_id() != first_id(counter=2) != first_id("web:2")


NEW_DEPLOYMENT = [
    pytest.param(MakeService().desired(1), "web:2", True, id="new-revision"),
    pytest.param(
        MakeService().desired(1).force("2026-11-27T10:00"), "web:1", True, id="new-force-new-deployment-value"
    ),
    pytest.param(
        MakeService().desired(1).strategy("binpack", "memory"),
        "web:1",
        False,
        id="strategy-change-is-no-deployment",
    ),
    pytest.param(MakeService().desired(3), "web:1", False, id="desired-count-change-is-no-deployment"),
]


def test_removing_force_new_deployment_starts_nothing() -> None:
    svc = MakeService().desired(1).deployment(OLD, "web:1", force="2026-11-27T10:00").build()
    plan = run(svc, [MakeTask("t").healthy().on(A1).build()], "web:1")
    assert [d.id for d in plan.status.deployments] == [OLD]


@pytest.mark.parametrize(("service", "task_definition", "created"), NEW_DEPLOYMENT)
def test_what_starts_a_deployment(service: MakeService, task_definition: str, created: bool) -> None:
    svc = service.deployment(OLD, "web:1").build()
    tasks = [MakeTask("old").healthy().on(A1).build()]
    plan = run(svc, tasks, task_definition, state=None)
    ids = [(d.id, d.status) for d in plan.status.deployments]
    if created:
        force = svc.spec.force_new_deployment
        assert ids == [
            (first_id(task_definition, force), DeploymentStatus.PRIMARY),
            (OLD, DeploymentStatus.ACTIVE),
        ]
    else:
        assert ids == [(OLD, DeploymentStatus.PRIMARY)]


def test_an_older_deployment_without_tasks_is_no_longer_listed() -> None:
    svc = MakeService().desired(1).deployment(NEW, "web:2", rollout=RolloutState.IN_PROGRESS, created=-60)
    svc = svc.deployment(OLD, "web:1", status=DeploymentStatus.ACTIVE)
    tasks = [MakeTask("new").of(NEW, "web:2").healthy().on(A1).build()]
    plan = run(svc.build(), tasks, "web:2")
    got = summary(plan)
    assert got["deployments"] == [(NEW, "PRIMARY", "COMPLETED", 0)]
    assert plan.state.last_completed == (NEW, "web:2", None)
    assert got["events"] == [
        f"service web (deployment {NEW}) deployment completed.",
        "service web has reached a steady state.",
    ]


def test_a_rolling_deployment_runs_to_completion() -> None:
    """desired 2, min 100 %, max 200 %: start 2 new, wait until they count as healthy, stop 2 old."""
    svc = MakeService().desired(2).deployment(OLD, "web:1").build()
    old = [MakeTask("old-a").healthy().on(A1).build(), MakeTask("old-b").healthy().on(B1).build()]
    sim = Sim(svc, old, task_definition="web:2")
    new = first_id("web:2", counter=1)

    plan = sim.plan()  # 1. a new PRIMARY; two new tasks, nothing stopped (min 100 %)
    assert summary(plan)["start"] == {new: 2} and plan.stops == ()
    assert summary(plan)["deployments"] == [
        (new, "PRIMARY", "IN_PROGRESS", 0),
        (OLD, "ACTIVE", "COMPLETED", 0),
    ]

    sim.settle()  # the new tasks are RUNNING, not yet healthy (40 s)
    plan = sim.plan()
    assert (plan.starts, plan.stops) == ((), ())
    assert plan.recheck_at == sim.now + timedelta(seconds=40)

    sim.advance(40)  # 2. healthy: the old ones may go
    plan = sim.plan()
    assert summary(plan)["stop"] == [
        ("old-a", f"Scaling activity initiated by (deployment {new})"),
        ("old-b", f"Scaling activity initiated by (deployment {new})"),
    ]
    assert summary(plan)["deployments"][1] == (OLD, "ACTIVE", "COMPLETED", 0)

    sim.settle()  # 3. the old ones are STOPPED: completed, steady
    plan = sim.plan()
    assert summary(plan) == {
        "start": {},
        "stop": [],
        "counts": (2, 2, 0),
        "deployments": [(new, "PRIMARY", "COMPLETED", 0)],
        "events": [
            f"service web (deployment {new}) deployment completed.",
            "service web has reached a steady state.",
        ],
        "status": "ACTIVE",
    }
    assert plan.status.deployments[0].rollout_state_reason == f"ECS deployment {new} completed."

    sim.advance(60)  # 4. nothing new to say
    assert sim.plan().events == ()


def test_inactive_deployments_are_not_listed() -> None:
    """ECS lists PRIMARY and ACTIVE deployments only: a services-stable waiter sees exactly one."""
    svc = MakeService().desired(1).deployment("ecs-svc/9", "web:9", created=-10)
    for n in range(1, 7):
        rollout = RolloutState.COMPLETED if n == 1 else RolloutState.IN_PROGRESS
        svc = svc.deployment(
            f"ecs-svc/{n}",
            f"web:{n}",
            status=DeploymentStatus.INACTIVE,
            rollout=rollout,
            created=-100 * (10 - n),
        )
    tasks = [MakeTask("t").of("ecs-svc/9", "web:9").healthy().on(A1).build()]
    ids = [d.id for d in run(svc.build(), tasks, "web:9").status.deployments]
    assert ids == ["ecs-svc/9"]


def test_the_last_completed_deployment_survives_the_state_round_trip() -> None:
    state = SchedulerState(last_completed=("ecs-svc/1", "web:1", "2026-11-27T10:00"))
    assert SchedulerState.from_object(state.to_object()) == state


def test_the_status_written_back_is_read_the_same() -> None:
    svc = MakeService().desired(1).build()
    plan = run(svc, [], "web:1")
    again = run(after(svc, plan), [], "web:1", state=plan.state)
    assert [d.id for d in again.status.deployments] == [d.id for d in plan.status.deployments]


def test_names_taken_by_the_services_tasks_are_skipped() -> None:
    """A plan whose status write was lost (409, 5xx, crash) created tasks 1 and 2 without counting
    them; the next plan must not start under those names (AlreadyExists would start nothing)."""
    from dataclasses import replace

    first = run(MakeService().desired(2).build(), [], "web:1")
    lost = replace(first.state, tasks_started=0)
    tasks = [MakeTask(task_name("web", UID, n)).of(first_id(), "web:1").pending().build() for n in (1, 2)]
    plan = run(after(MakeService().desired(4).build(), first), tasks, "web:1", state=lost)
    assert [s.name for s in plan.starts] == [task_name("web", UID, 3), task_name("web", UID, 4)]
    assert plan.state.tasks_started == 4
