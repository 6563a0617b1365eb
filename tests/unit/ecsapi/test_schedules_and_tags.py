"""Scheduler bodies ↔ ScheduledTask specs, and ARNs → the objects tags live on (no API server)."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_operator.ecsapi.arns import Arns
from ecs_operator.ecsapi.errors import ApiError
from ecs_operator.ecsapi.operations import Call
from ecs_operator.ecsapi.schedules import schedule_view, spec_of
from ecs_operator.ecsapi.tags import check, tags_of, target
from ecs_operator.kube.objects import CLUSTERS, INSTANCES, SERVICES, TASK_DEFINITIONS, TASKS

CALL = Call("team", Arns("eu-west-1", "123456789012"))
BODY: dict[str, Any] = {
    "ScheduleExpression": "cron(0 3 * * ? *)",
    "ScheduleExpressionTimezone": "Europe/Berlin",
    "StartDate": 1795773600,
    "FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
    "Target": {
        "Arn": "arn:aws:ecs:eu-west-1:123456789012:cluster/prod",
        "RoleArn": "arn:aws:iam::123456789012:role/r",
        "RetryPolicy": {"MaximumRetryAttempts": 3},
        "EcsParameters": {
            "TaskDefinitionArn": "arn:aws:ecs:eu-west-1:123456789012:task-definition/backup:2",
            "TaskCount": 2,
            "PlacementConstraints": [{"type": "distinctInstance"}],
        },
    },
}
SPEC = {
    "cluster": "prod",
    "scheduleExpression": "cron(0 3 * * ? *)",
    "scheduleExpressionTimezone": "Europe/Berlin",
    "startDate": "2026-11-27T10:00:00Z",
    "state": "ENABLED",
    "flexibleTimeWindow": {"mode": "FLEXIBLE", "maximumWindowInMinutes": 15},
    "retryPolicy": {"maximumRetryAttempts": 3, "maximumEventAgeInSeconds": 86400},
    "target": {
        "taskDefinition": "backup:2",
        "taskCount": 2,
        "launchType": "EC2",
        "placementConstraints": [{"type": "distinctInstance"}],
    },
}


def test_schedule_body_becomes_the_spec() -> None:
    assert spec_of(BODY) == SPEC


def test_spec_reads_back_as_the_schedule() -> None:
    obj = {"metadata": {"name": "backup", "creationTimestamp": "2026-11-27T10:00:00Z"}, "spec": SPEC}
    view = schedule_view(obj, CALL)
    assert view["Arn"] == "arn:aws:scheduler:eu-west-1:123456789012:schedule/default/backup"
    assert view["StartDate"] == BODY["StartDate"]
    assert view["Target"]["Arn"] == BODY["Target"]["Arn"]
    assert view["Target"]["EcsParameters"] == {**BODY["Target"]["EcsParameters"], "LaunchType": "EC2"}
    assert view["FlexibleTimeWindow"] == BODY["FlexibleTimeWindow"]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"Target": {"Arn": "arn:aws:sqs:eu-west-1:1:q", "RoleArn": "r"}}, id="not-ecs"),
        pytest.param({"GroupName": "other"}, id="other-group"),
        pytest.param({"ScheduleExpression": ""}, id="no-expression"),
        pytest.param({"FlexibleTimeWindow": {}}, id="no-window-mode"),
    ],
)
def test_refused_schedules(change: dict[str, Any]) -> None:
    with pytest.raises(ApiError) as caught:
        spec_of({**BODY, **change})
    assert caught.value.code == "ValidationException"


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        ("arn:aws:ecs:r:1:cluster/prod", (CLUSTERS, "prod", None)),
        ("arn:aws:ecs:r:1:task/prod/web-x", (TASKS, "web-x", "team")),
        ("arn:aws:ecs:r:1:service/prod/web", (SERVICES, "web", "team")),
        ("arn:aws:ecs:r:1:task-definition/web:3", (TASK_DEFINITIONS, "web", "team")),
        ("arn:aws:ecs:r:1:container-instance/prod/worker-a1", (INSTANCES, "prod.worker-a1", None)),
    ],
)
def test_tag_targets(arn: str, expected: tuple[Any, str, str | None]) -> None:
    assert target(arn, "team") == expected


@pytest.mark.parametrize(
    ("arn_or_tags"),
    [
        pytest.param("arn:aws:ecs:r:1:bogus/x", id="unknown-kind"),
        pytest.param("web-x", id="not-an-arn"),
        pytest.param({"aws:owner": "x"}, id="reserved-prefix"),
        pytest.param({f"k{i}": "v" for i in range(51)}, id="over-50"),
        pytest.param({"k": "v" * 257}, id="long-value"),
    ],
)
def test_tag_refusals(arn_or_tags: Any) -> None:
    with pytest.raises(ApiError) as caught:
        if isinstance(arn_or_tags, str):
            target(arn_or_tags, "team")
        else:
            check(arn_or_tags)
    assert caught.value.code == "InvalidParameterException"


def test_tags_read_from_the_annotation() -> None:
    obj = {"metadata": {"annotations": {"ecs-operator.dev/tags": '{"team": "a"}'}}}
    assert tags_of(obj) == {"team": "a"}
    assert tags_of({"metadata": {"annotations": {"ecs-operator.dev/tags": "not json"}}}) == {}


def test_a_schedule_being_deleted_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    """DeleteSchedule has returned while the operator still holds the object (its finalizer):
    GetSchedule says it does not exist and ListSchedules leaves it out."""
    from ecs_operator.ecsapi import schedules

    live = {"metadata": {"name": "live", "creationTimestamp": "2026-12-01T00:00:00Z"}, "spec": SPEC}
    going = {"metadata": {"name": "going", "deletionTimestamp": "2026-12-01T00:00:00Z"}, "spec": SPEC}
    monkeypatch.setattr(
        schedules.objects, "get", lambda _kind, name, _ns: {"live": live, "going": going}[name]
    )
    monkeypatch.setattr(schedules.objects, "list_objects", lambda _kind, _ns: [going, live])
    assert schedules.get("live", CALL)["Name"] == "live"
    with pytest.raises(ApiError) as refused:
        schedules.get("going", CALL)
    assert (refused.value.code, refused.value.status) == ("ResourceNotFoundException", 404)
    assert [s["Name"] for s in schedules.list_schedules({}, CALL)["Schedules"]] == ["live"]
