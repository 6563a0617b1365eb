"""Service tasks on DRAINING instances (ecs-semantics §6.3) and service deletion (§3.7)."""

from __future__ import annotations

import pytest

from ecs_operator.lifecycle import StopCode, TaskStatus
from ecs_operator.placement import make_instance

from .builders import A1, B1, C1, DRAINING, OLD, SCALING_OLD, MakeService, MakeTask, at, cluster, run, summary

STUCK = (
    "service web was unable to stop or start tasks during a deployment because of the service deployment "
    "configuration. Update the minimumHealthyPercent or maximumPercent value and try again."
)


def service(minimum: int, maximum: int, desired: int = 2) -> MakeService:
    return MakeService().desired(desired).min(minimum).max(maximum).deployment(OLD, "web:1")


DRAIN = [
    pytest.param(
        service(100, 200),
        [MakeTask("ok").healthy().on(A1), MakeTask("p").pending().on(C1).draining()],
        {OLD: 1},
        [("p", DRAINING)],
        [],
        id="pending-task-stopped-at-once-and-replaced",
    ),
    pytest.param(
        service(100, 200),
        [MakeTask("ok").healthy().on(A1), MakeTask("r").healthy().on(C1).draining()],
        {OLD: 1},
        [],
        [],
        id="running-task-replacement-starts-first",
    ),
    pytest.param(
        service(50, 100),
        [MakeTask("ok").healthy().on(A1), MakeTask("r").healthy().on(C1).draining()],
        {},
        [("r", DRAINING)],
        [],
        id="below-100-percent-the-task-stops-first",
    ),
    pytest.param(
        service(100, 100),
        [MakeTask("ok").healthy().on(A1), MakeTask("r").healthy().on(C1).draining()],
        {},
        [],
        [STUCK],
        id="both-100-percent-draining-never-finishes",
    ),
    pytest.param(
        service(100, 200),
        [
            MakeTask("ok").healthy().on(A1),
            MakeTask("r").healthy().on(C1).draining(),
            MakeTask("new").healthy().on(B1),
        ],
        {},
        [("r", DRAINING)],
        [],
        id="once-the-replacement-is-healthy-the-drained-task-stops",
    ),
]


@pytest.mark.parametrize(("svc", "tasks", "started", "stopped", "events"), DRAIN)
def test_draining(
    svc: MakeService,
    tasks: list[MakeTask],
    started: dict[str, int],
    stopped: list[tuple[str, str]],
    events: list[str],
) -> None:
    got = summary(run(svc.build(), [t.build() for t in tasks], "web:1"))
    assert (got["start"], got["stop"]) == (started, stopped)
    assert [e for e in got["events"] if e == STUCK] == events


def test_the_snapshot_status_counts_as_draining_too() -> None:
    tasks = [MakeTask("ok").healthy().on(A1).build(), MakeTask("p").pending().on(C1).build()]
    snapshot = cluster(tasks, make_instance(A1).zone("zone-a"), make_instance(C1).zone("zone-c").draining())
    assert summary(run(service(100, 200).build(), tasks, "web:1", snapshot=snapshot))["stop"] == [
        ("p", DRAINING)
    ]


def test_a_deleted_service_stops_every_task_and_drains() -> None:
    svc = service(100, 200).deleting().build()
    tasks = [
        MakeTask("r").healthy().on(A1).build(),
        MakeTask("p").pending().on(B1).build(),
        MakeTask("s").stopped(StopCode.ESSENTIAL_CONTAINER_EXITED, ran=True).on(C1).build(),
    ]
    plan = run(svc, tasks, "web:1")
    assert summary(plan) == {
        "start": {},
        "stop": [("p", SCALING_OLD), ("r", SCALING_OLD)],
        "counts": (0, 1, 1),
        "deployments": [(OLD, "PRIMARY", "COMPLETED", 0)],
        "events": ["service web has stopped 2 running tasks: task r task p."],
        "status": "DRAINING",
    }
    assert not plan.finished


@pytest.mark.parametrize(
    ("last_status", "status"),
    [
        pytest.param(TaskStatus.DEACTIVATING, "DRAINING", id="deactivating-still-draining"),
        pytest.param(TaskStatus.STOPPING, "INACTIVE", id="stopping-is-enough"),
        pytest.param(TaskStatus.STOPPED, "INACTIVE", id="stopped"),
    ],
)
def test_a_deleted_service_is_inactive_once_every_task_is_stopping(
    last_status: TaskStatus, status: str
) -> None:
    svc = service(100, 200).deleting().build()
    tasks = [MakeTask("r").healthy().stopping().status(last_status).on(A1).build()]
    plan = run(svc, tasks, "web:1", now=at(30))
    assert (plan.status.status, plan.stops, plan.starts) == (status, (), ())
    assert plan.finished is (status == "INACTIVE")
