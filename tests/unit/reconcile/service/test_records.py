"""The records: ServiceTask from an EcsTask, its predicates, and the scheduler state on the wire."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ecs_operator.api import EcsTask
from ecs_operator.lifecycle import DesiredStatus, HealthStatus, StopCode, TaskStatus
from ecs_operator.reconcile.service import SchedulerState, ServiceTask

from .builders import T0, MakeTask, at


def test_a_service_task_is_read_from_an_ecs_task() -> None:
    body = {
        "apiVersion": "ecs-operator.dev/v1alpha1",
        "kind": "EcsTask",
        "metadata": {"name": "web-1", "uid": "u-1", "creationTimestamp": "2026-11-27T09:00:00Z"},
        "spec": {
            "cluster": "prod",
            "taskDefinition": "web",
            "startedBy": "ecs-svc/1",
            "group": "service:web",
            "desiredStatus": "STOPPED",
        },
        "status": {
            "lastStatus": "RUNNING",
            "desiredStatus": "RUNNING",
            "taskDefinition": "web:3",
            "containerInstance": "prod.a1",
            "availabilityZone": "zone-a",
            "startedAt": "2026-11-27T09:01:00Z",
            "healthStatus": "HEALTHY",
        },
    }
    task = ServiceTask.from_task(EcsTask.from_body(body), has_health_check=True)
    assert task == ServiceTask(
        name="web-1",
        uid="u-1",
        started_by="ecs-svc/1",
        task_definition="web:3",
        last_status=TaskStatus.RUNNING,
        desired_status=DesiredStatus.STOPPED,  # the spec asks for it: the scheduler already did
        health_status=HealthStatus.HEALTHY,
        has_health_check=True,
        created_at=at(-3600),
        started_at=at(-3540),
        container_instance="prod.a1",
        availability_zone="zone-a",
    )


PREDICATES = [
    # (task, in_flight, wanted, healthy, start_failed, run_failed)
    pytest.param(MakeTask("t").build(), True, True, False, False, False, id="provisioning"),
    pytest.param(MakeTask("t").running(since=-39).build(), True, True, False, False, False, id="running-39s"),
    pytest.param(MakeTask("t").running(since=-40).build(), True, True, True, False, False, id="running-40s"),
    pytest.param(
        MakeTask("t").running(since=-600).checked(HealthStatus.UNKNOWN).build(),
        True,
        True,
        False,
        False,
        False,
        id="health-check-unknown",
    ),
    pytest.param(
        MakeTask("t").healthy().stopping().build(), True, False, False, False, False, id="told-to-stop"
    ),
    pytest.param(
        MakeTask("t").failed_to_start().build(), False, False, False, True, False, id="failed-to-start"
    ),
    pytest.param(
        MakeTask("t").stopped(StopCode.ESSENTIAL_CONTAINER_EXITED, ran=True).build(),
        False,
        False,
        False,
        False,
        True,
        id="exited-after-running",
    ),
    pytest.param(
        MakeTask("t").stopped(StopCode.SERVICE_SCHEDULER_INITIATED).build(),
        False,
        False,
        False,
        False,
        False,
        id="stopped-by-the-scheduler",
    ),
]


@pytest.mark.parametrize(("task", "in_flight", "wanted", "healthy", "start_failed", "run_failed"), PREDICATES)
def test_predicates(
    task: ServiceTask, in_flight: bool, wanted: bool, healthy: bool, start_failed: bool, run_failed: bool
) -> None:
    assert (task.in_flight, task.wanted, task.healthy(T0), task.start_failed, task.run_failed) == (
        in_flight,
        wanted,
        healthy,
        start_failed,
        run_failed,
    )


def test_unhealthy_only_after_the_grace_period() -> None:
    task = MakeTask("t").unhealthy(since=-30).build()
    assert not task.unhealthy(T0, timedelta(seconds=60))
    assert task.unhealthy(T0, timedelta(seconds=30))


def test_the_state_round_trips_through_its_wire_form() -> None:
    state = SchedulerState(
        deployments_created=3,
        tasks_started=12,
        counted_failures=("u1", "u2"),
        start_failures=2,
        last_start_failure_at=at(-5),
        launch_not_before=at(15),
        backoff_task_definition="web:3",
        last_task_failure_at=at(-5),
        rolled_back_from=("web:4", "again"),
        active_messages=("abc",),
    )
    wire = state.to_object()
    assert wire["launchNotBefore"] == "2026-11-27T10:00:15Z"
    assert wire["rolledBackFrom"] == {"taskDefinition": "web:4", "forceNewDeployment": "again"}
    assert SchedulerState.from_object(wire) == state
    assert SchedulerState.from_object(None) == SchedulerState() == SchedulerState.from_object({})
    assert SchedulerState.from_object(SchedulerState().to_object()) == SchedulerState()


def test_pruning_forgets_failures_of_tasks_that_are_gone() -> None:
    assert SchedulerState(counted_failures=("a", "b")).pruned(["b", "c"]).counted_failures == ("b",)
