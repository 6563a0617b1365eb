"""ECS shapes from objects: ARNs, epoch timestamps, failures, pagination."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_operator.ecsapi import views
from ecs_operator.ecsapi.arns import Arns, instance_id, resource_id
from ecs_operator.ecsapi.errors import ApiError, from_ecs_error

ARNS = Arns("eu-west-1", "123456789012")


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("arn:aws:ecs:eu-west-1:123456789012:task/prod/web-abc", "task", "web-abc"),
        ("web-abc", "task", "web-abc"),
        ("arn:aws:ecs:eu-west-1:123456789012:task-definition/web:3", "task-definition", "web:3"),
        ("arn:aws:ecs:eu-west-1:123456789012:cluster/prod", "cluster", "prod"),
        (
            "arn:aws:ecs:eu-west-1:123456789012:cluster/prod",
            "task",
            "arn:aws:ecs:eu-west-1:123456789012:cluster/prod",
        ),
    ],
)
def test_resource_id(text: str, kind: str, expected: str) -> None:
    assert resource_id(text, kind) == expected


def test_instance_id_is_the_node() -> None:
    assert instance_id("prod", "prod.worker-a1") == "worker-a1"
    assert ARNS.container_instance("prod", "worker-a1") == (
        "arn:aws:ecs:eu-west-1:123456789012:container-instance/prod/worker-a1"
    )


TASK: dict[str, Any] = {
    "metadata": {"name": "web-x1", "namespace": "team", "creationTimestamp": "2026-11-27T10:00:00Z"},
    "spec": {"cluster": "prod", "taskDefinition": "web", "launchType": "EC2", "startedBy": "ci"},
    "status": {
        "lastStatus": "RUNNING",
        "taskDefinition": "web:3",
        "containerInstance": "prod.worker-a1",
        "createdAt": "2026-11-27T10:00:00Z",
        "startedAt": "2026-11-27T10:00:05Z",
        "cpu": 256,
        "memory": 512,
        "containers": [{"name": "web", "lastStatus": "RUNNING"}],
        "podName": "web-x1-pod",
    },
}


def test_task_view() -> None:
    assert views.task_view(TASK, ARNS) == {
        "taskArn": "arn:aws:ecs:eu-west-1:123456789012:task/prod/web-x1",
        "clusterArn": "arn:aws:ecs:eu-west-1:123456789012:cluster/prod",
        "taskDefinitionArn": "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:3",
        "containerInstanceArn": "arn:aws:ecs:eu-west-1:123456789012:container-instance/prod/worker-a1",
        "lastStatus": "RUNNING",
        "desiredStatus": "RUNNING",
        "launchType": "EC2",
        "startedBy": "ci",
        "cpu": "256",
        "memory": "512",
        "createdAt": 1795773600.0,
        "startedAt": 1795773605.0,
        "containers": [
            {
                "name": "web",
                "taskArn": "arn:aws:ecs:eu-west-1:123456789012:task/prod/web-x1",
                "lastStatus": "RUNNING",
            }
        ],
    }


def test_unplaced_task_failures_carry_the_task_arn() -> None:
    stopped = {
        **TASK,
        "status": {
            "lastStatus": "STOPPED",
            "stopCode": "TaskFailedToStart",
            "failures": [{"reason": "RESOURCE:MEMORY", "detail": "no instance has 900000 MiB"}],
        },
    }
    assert views.run_task_failures([stopped, TASK], ARNS) == [
        {
            "arn": "arn:aws:ecs:eu-west-1:123456789012:task/prod/web-x1",
            "reason": "RESOURCE:MEMORY",
            "detail": "no instance has 900000 MiB",
        }
    ]


def test_pages_walk_the_whole_list() -> None:
    items = [str(i) for i in range(5)]
    seen, token = [], None
    while True:
        chunk, token = views.page(items, token, 2)
        seen += chunk
        if token is None:
            break
    assert seen == items


@pytest.mark.parametrize(
    ("token", "most"), [pytest.param("!!!", 10, id="bad-token"), pytest.param(None, 101, id="too-many")]
)
def test_page_refusals(token: str | None, most: int) -> None:
    with pytest.raises(ApiError) as caught:
        views.page(["a"], token, most)
    assert caught.value.code == "InvalidParameterException"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("ClusterNotFoundException: Cluster not found: x.", "ClusterNotFoundException"),
        ("InvalidParameterException: count must be between 1 and 10.", "InvalidParameterException"),
        ("--overrides: invalid JSON", "ClientException"),
    ],
)
def test_cli_errors_become_ecs_errors(text: str, code: str) -> None:
    assert from_ecs_error(text).code == code
