"""RunTask/StartTask bodies, StopTask, ListTasks filters and the DescribeTasks view."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_operator.cli.instances import EcsError
from ecs_operator.cli.tasks import (
    RunTaskInput,
    TaskFilter,
    list_row,
    placement_known,
    run_task_response,
    stop_patch,
    task_bodies,
    task_failures,
    task_view,
)


def test_run_task_creates_count_objects_named_after_the_family() -> None:
    bodies = task_bodies(
        RunTaskInput(
            cluster="prod",
            task_definition="web:3",
            count=3,
            group="batch",
            started_by="ci-42",
            placement_strategy=[{"type": "binpack", "field": "memory"}],
            placement_constraints=[{"type": "distinctInstance"}],
            overrides={"containerOverrides": [{"name": "web", "command": ["true"]}]},
        ),
        "team-a",
    )
    assert len(bodies) == 3
    assert bodies[0] == {
        "apiVersion": "ecs-operator.dev/v1alpha1",
        "kind": "EcsTask",
        "metadata": {"generateName": "web-", "namespace": "team-a"},
        "spec": {
            "cluster": "prod",
            "taskDefinition": "web:3",
            "launchType": "EC2",
            "group": "batch",
            "startedBy": "ci-42",
            "placementStrategy": [{"type": "binpack", "field": "memory"}],
            "placementConstraints": [{"type": "distinctInstance"}],
            "overrides": {"containerOverrides": [{"name": "web", "command": ["true"]}]},
        },
    }


def test_run_task_leaves_out_what_was_not_given() -> None:
    (body,) = task_bodies(RunTaskInput(cluster="prod", task_definition="web"), "ns")
    assert body["spec"] == {"cluster": "prod", "taskDefinition": "web", "launchType": "EC2"}


def test_start_task_makes_one_task_per_instance() -> None:
    bodies = task_bodies(
        RunTaskInput(cluster="prod", task_definition="web", container_instances=("prod.a", "prod.b")), "ns"
    )
    assert [b["spec"]["containerInstance"] for b in bodies] == ["prod.a", "prod.b"]


@pytest.mark.parametrize("count", [0, 11, -1])
def test_count_is_between_one_and_ten(count: int) -> None:
    with pytest.raises(EcsError, match="count must be between 1 and 10"):
        task_bodies(RunTaskInput(cluster="prod", task_definition="web", count=count), "ns")


def test_stop_patch() -> None:
    assert stop_patch("deploy rolled back") == {
        "spec": {"desiredStatus": "STOPPED", "stopReason": "deploy rolled back"}
    }
    assert stop_patch(None) == {"spec": {"desiredStatus": "STOPPED"}}


def task(name: str, **spec: Any) -> dict[str, Any]:
    status = spec.pop("status", {})
    base = {"cluster": "prod", "taskDefinition": "web:1"}
    return {
        "metadata": {"name": name, "namespace": "ns", "creationTimestamp": "2026-11-27T10:00:00Z"},
        "spec": {**base, **spec},
        "status": status,
    }


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (TaskFilter(), ["a", "b", "c", "e"]),
        (TaskFilter(cluster="prod"), ["a", "b", "e"]),
        (TaskFilter(family="web"), ["a", "b", "c"]),
        (TaskFilter(started_by="ci"), ["b"]),
        (TaskFilter(container_instance="prod.x"), ["a", "e"]),
        (TaskFilter(desired_status="STOPPED"), ["d", "f"]),
    ],
    ids=["running-by-default", "cluster", "family", "started-by", "instance", "stopped"],
)
def test_list_filters(flt: TaskFilter, expected: list[str]) -> None:
    tasks = [
        task("a", status={"containerInstance": "prod.x"}),
        task("b", startedBy="ci"),
        task("c", cluster="dev"),
        task("d", desiredStatus="STOPPED"),
        task("e", taskDefinition="db", containerInstance="prod.x"),
        task(
            "f", status={"desiredStatus": "STOPPED"}
        ),  # stopped by the operator (essential container exited)
    ]
    assert [t["metadata"]["name"] for t in tasks if flt.matches(t)] == expected


def test_list_row_and_view_use_the_resolved_revision() -> None:
    t = task(
        "web-1",
        startedBy="ci",
        status={
            "lastStatus": "RUNNING",
            "desiredStatus": "RUNNING",
            "taskDefinition": "web:1",
            "containerInstance": "prod.worker-a1",
            "availabilityZone": "zone-a",
            "cpu": 256,
            "memory": 512,
            "podName": "web-uid",
        },
    )
    t["spec"]["taskDefinition"] = "web"
    assert list_row(t, "5m") == [
        "web-1",
        "web:1",
        "RUNNING",
        "RUNNING",
        "prod.worker-a1",
        "zone-a",
        "ci",
        "5m",
    ]
    assert task_view(t) == {
        "taskArn": "ns/web-1",
        "clusterArn": "prod",
        "taskDefinitionArn": "web:1",
        "containerInstanceArn": "prod.worker-a1",
        "lastStatus": "RUNNING",
        "desiredStatus": "RUNNING",
        "launchType": "EC2",
        "startedBy": "ci",
        "availabilityZone": "zone-a",
        "cpu": "256",
        "memory": "512",
        "createdAt": "2026-11-27T10:00:00Z",
        "podName": "web-uid",
    }


def test_a_new_task_is_provisioning() -> None:
    assert task_view(task("n"))["lastStatus"] == "PROVISIONING"


PLACED = {"lastStatus": "PENDING", "containerInstance": "prod.worker-b1", "availabilityZone": "zone-b"}
UNPLACEABLE = {
    "lastStatus": "STOPPED",
    "stopCode": "TaskFailedToStart",
    "stoppedReason": "TaskFailedToStart: RESOURCE:MEMORY",
    "failures": [
        {"reason": "RESOURCE:MEMORY", "detail": "6 container instances: prod.worker-a1 (needs 100000 MiB)"}
    ],
}


@pytest.mark.parametrize(
    ("status", "known"),
    [
        pytest.param({}, False, id="new"),
        pytest.param({"lastStatus": "PROVISIONING"}, False, id="provisioning-unplaced"),
        pytest.param(PLACED, True, id="placed"),
        pytest.param(UNPLACEABLE, True, id="stopped-unplaceable"),
        pytest.param(
            {"lastStatus": "STOPPED", "stopCode": "UserInitiated"}, True, id="stopped-before-placement"
        ),
    ],
)
def test_placement_is_known_once_placed_or_stopped(status: dict[str, Any], known: bool) -> None:
    assert placement_known(task("t", status=status)) is known


def test_run_task_answers_with_the_instance_of_each_placed_task_and_the_failures_of_the_others() -> None:
    """RunTask's response (ecs-semantics §4): placed tasks in tasks[] with their container
    instance, what could not be placed in failures[] as {arn, reason, detail}."""
    response = run_task_response(
        [
            task("web-a", status=PLACED),
            task("web-b", status=UNPLACEABLE),
            task("web-c", status={"lastStatus": "PROVISIONING"}),
        ]
    )
    assert response.rows == [
        ["web-a", "web:1", "prod", "prod.worker-b1", "zone-b", "PENDING"],
        ["web-c", "web:1", "prod", None, None, "PROVISIONING"],
    ]
    assert [t["taskArn"] for t in response.tasks] == ["ns/web-a", "ns/web-c"]
    assert response.tasks[0]["containerInstanceArn"] == "prod.worker-b1"
    assert response.document()["failures"] == [
        {
            "arn": "ns/web-b",
            "reason": "RESOURCE:MEMORY",
            "detail": "6 container instances: prod.worker-a1 (needs 100000 MiB)",
        }
    ]


def test_a_task_stopped_without_recorded_failures_reports_its_stop_code() -> None:
    stopped = {"lastStatus": "STOPPED", "stopCode": "UserInitiated", "stoppedReason": "cancelled"}
    assert task_failures(task("t", status=stopped)) == [
        {"arn": "ns/t", "reason": "UserInitiated", "detail": "cancelled"}
    ]
    assert task_failures(task("t", status=PLACED)) == []
