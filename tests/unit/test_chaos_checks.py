"""The fault-injection suite's own checks (tests/chaos/checks.py) and fault plan, on plain objects:
a checker that cannot fail proves nothing, so each check is shown failing on the state it is for."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.chaos.checks import Expected, State, nothing_deleting, schedules_once, services_done
from tests.chaos.faults import KINDS, plan

START = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
NOW = START + timedelta(minutes=3, seconds=10)


def service(desired: int, running: int, deployments: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "namespace": "chaos"},
        "spec": {"taskDefinition": "web", "desiredCount": desired},
        "status": {"runningCount": running, "deployments": deployments},
    }


def deployment(
    status: str, td: str = "web:2", rollout: str = "COMPLETED", id: str = "ecs-svc/2"
) -> dict[str, Any]:
    return {"id": id, "status": status, "taskDefinition": td, "rolloutState": rollout}


def task(name: str, **status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "chaos", "uid": name},
        "spec": {"group": "service:web", "startedBy": status.pop("by", "ecs-svc/2")},
        "status": {"lastStatus": "RUNNING", **status},
    }


def state(**parts: list[dict[str, Any]]) -> State:
    base: dict[str, list[dict[str, Any]]] = {
        "schedules": [],
        "services": [],
        "taskdefs": [{"metadata": {"name": "web"}, "status": {"revision": 2}}],
        "instances": [],
        "tasks": [],
        "pods": [],
    }
    return State(**{**base, **parts})


EXPECTED = Expected("chaos", "chaos", services={"web"})
TWO_RUNNING = [task("a"), task("b")]


@pytest.mark.parametrize(
    ("svc", "tasks", "found"),
    [
        (service(2, 2, [deployment("PRIMARY")]), TWO_RUNNING, []),
        (
            service(2, 2, [deployment("PRIMARY"), deployment("INACTIVE", "web:1", "IN_PROGRESS", "x")]),
            TWO_RUNNING,
            [],
        ),
        (service(2, 1, [deployment("PRIMARY")]), TWO_RUNNING, ["runningCount 1, desired 2"]),
        (
            service(2, 2, [deployment("PRIMARY"), deployment("ACTIVE", "web:1", "IN_PROGRESS", "x")]),
            TWO_RUNNING,
            ["2 deployments not INACTIVE"],
        ),
        (
            service(2, 2, [deployment("PRIMARY", rollout="IN_PROGRESS")]),
            TWO_RUNNING,
            ["rolloutState IN_PROGRESS"],
        ),
        (
            service(2, 2, [deployment("PRIMARY", td="web:1")]),
            TWO_RUNNING,
            ["deployment on web:1, latest web:2"],
        ),
        (service(2, 2, [deployment("PRIMARY")]), [task("a")], ["RUNNING tasks per deployment"]),
        (
            service(2, 2, [deployment("PRIMARY")]),
            [task("a"), task("b", by="old")],
            ["RUNNING tasks per deployment"],
        ),
    ],
    ids=[
        "done",
        "inactive-history",
        "short",
        "two-live-deployments",
        "in-progress",
        "old-revision",
        "status-lies",
        "task-of-old-deployment",
    ],
)
def test_services_done(svc: dict[str, Any], tasks: list[dict[str, Any]], found: list[str]) -> None:
    got = [v.detail for v in services_done(state(services=[svc], tasks=tasks), EXPECTED)]
    assert len(got) == len(found) and all(g.startswith(f) for g, f in zip(got, found, strict=True)), got


def tick_task(minute: int, index: int, attempt: int = 1) -> dict[str, Any]:
    when = START + timedelta(minutes=minute)
    return {
        "metadata": {
            "name": f"tick-{minute}-{index}-{attempt}",
            "namespace": "chaos",
            "uid": f"t{minute}{index}{attempt}",
            "labels": {"ecs-operator.dev/scheduled-task-uid": "sched-uid"},
            "annotations": {
                "ecs-operator.dev/scheduled-time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "ecs-operator.dev/task-index": str(index),
                "ecs-operator.dev/attempt": str(attempt),
            },
        },
        "spec": {},
        "status": {"lastStatus": "RUNNING"},
    }


def schedule(next_minute: int) -> dict[str, Any]:
    when = START + timedelta(minutes=next_minute)
    return {
        "metadata": {"name": "tick", "namespace": "chaos", "uid": "sched-uid"},
        "status": {"nextScheduleTime": when.strftime("%Y-%m-%dT%H:%M:%SZ")},
    }


def failed(task: dict[str, Any]) -> dict[str, Any]:
    return {**task, "status": {"lastStatus": "STOPPED", "stopCode": "TaskFailedToStart"}}


ALL = [tick_task(m, i) for m in range(3) for i in (1, 2)]


@pytest.mark.parametrize(
    ("next_minute", "tasks", "found"),
    [
        (3, ALL, []),
        (3, [*ALL[:3], failed(tick_task(1, 2)), tick_task(1, 2, attempt=2), *ALL[4:]], []),
        (3, [*ALL, tick_task(1, 2, attempt=2)], ["retry 2 of a launch that did not fail to start"]),
        (
            3,
            [t for t in ALL if t["metadata"]["name"] != "tick-1-2-1"],
            ["occurrence 12:01 index 2 launched 0×"],
        ),
        (2, ALL, ["occurrence 12:02:00 due"]),  # the watermark fell behind the clock
        (
            3,
            [*ALL, {**tick_task(1, 1), "metadata": {**tick_task(1, 1)["metadata"], "name": "dup"}}],
            ["launched 2×"],
        ),
    ],
    ids=["once-each", "retry", "spurious-retry", "missing", "behind", "twice"],
)
def test_schedules_once(next_minute: int, tasks: list[dict[str, Any]], found: list[str]) -> None:
    expected = Expected("chaos", "chaos", schedules={"tick": START}, schedule_task_count=2)
    got = [
        v.detail for v in schedules_once(state(schedules=[schedule(next_minute)], tasks=tasks), expected, NOW)
    ]
    assert len(got) == len(found) and all(f in g for g, f in zip(got, found, strict=True)), got


def test_deleting_objects_are_reported_and_deleted_services_must_be_gone() -> None:
    deleting = {
        "metadata": {"name": "web", "namespace": "chaos", "deletionTimestamp": "2026-12-02T12:00:00Z"}
    }
    assert [v.invariant for v in nothing_deleting(state(services=[deleting]), EXPECTED)] == ["S3"]
    gone = Expected("chaos", "chaos", deleted_services={"web"})
    details = [v.detail for v in services_done(state(services=[service(1, 1, [])]), gone)]
    assert len(details) == 1 and details[0].startswith("deleted service still there"), details


@pytest.mark.parametrize("seed", [1, 2, 3], ids=["seed-1", "seed-2", "seed-3"])
def test_fault_plan_covers_every_kind_and_is_seeded(seed: int) -> None:
    first = plan(random.Random(seed), 60.0, ["op-0", "op-1"], extra=2)
    assert first == plan(random.Random(seed), 60.0, ["op-0", "op-1"], extra=2)
    assert {f.kind for f in first} == set(KINDS) and len(first) == len(KINDS) + 2
    assert all(3.0 <= f.at <= 51.0 for f in first)
    assert all(f.targets for f in first if f.kind not in ("kube-apiserver", "etcd"))
