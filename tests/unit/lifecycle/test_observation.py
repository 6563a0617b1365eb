from datetime import UTC, datetime, timedelta, timezone

import pytest

from ecs_operator.lifecycle import (
    ContainerObservation,
    ContainerStatus,
    DesiredStatus,
    HealthStatus,
    StopCode,
    TaskObservation,
    TaskStatus,
)
from ecs_operator.lifecycle.observation import format_time, parse_time

from .builders import T0, at, spec

STOPPED = TaskObservation(
    last_status=TaskStatus.STOPPED,
    desired_status=DesiredStatus.STOPPED,
    health_status=HealthStatus.UNKNOWN,
    containers=(
        ContainerObservation("web", ContainerStatus.STOPPED, exit_code=2, has_health_check=True),
        ContainerObservation(
            "log", ContainerStatus.STOPPED, reason="CannotPullContainerError: x", essential=False
        ),
    ),
    started_at=T0,
    stopping_at=at(10),
    stopped_at=at(10.5),
    stop_code=StopCode.ESSENTIAL_CONTAINER_EXITED,
    stopped_reason="Essential container in task exited",
)


def test_to_status_is_the_api_shape() -> None:
    assert STOPPED.to_status() == {
        "lastStatus": "STOPPED",
        "desiredStatus": "STOPPED",
        "healthStatus": "UNKNOWN",
        "containers": [
            {"name": "web", "lastStatus": "STOPPED", "exitCode": 2, "healthStatus": "UNKNOWN"},
            {
                "name": "log",
                "lastStatus": "STOPPED",
                "reason": "CannotPullContainerError: x",
                "healthStatus": "UNKNOWN",
            },
        ],
        "startedAt": "2026-11-27T10:00:00Z",
        "stoppingAt": "2026-11-27T10:00:10Z",
        "stoppedAt": "2026-11-27T10:00:10.500000Z",
        "stopCode": "EssentialContainerExited",
        "stoppedReason": "Essential container in task exited",
    }


def test_from_status_reads_back_to_status() -> None:
    definition = (spec("web", checked=True), spec("log", essential=False))

    assert TaskObservation.from_status(STOPPED.to_status(), definition) == STOPPED


def test_from_status_without_the_definition_assumes_essential_containers_without_checks() -> None:
    read = TaskObservation.from_status({"lastStatus": "PENDING", "containers": [{"name": "web"}]})

    assert read == TaskObservation(
        last_status=TaskStatus.PENDING,
        desired_status=DesiredStatus.RUNNING,
        containers=(ContainerObservation("web", ContainerStatus.PENDING),),
    )


@pytest.mark.parametrize("status", [None, {}, {"desiredStatus": "RUNNING"}, {"lastStatus": ""}])
def test_from_status_of_a_new_task_is_none(status: dict[str, str] | None) -> None:
    assert TaskObservation.from_status(status) is None


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        pytest.param("2026-11-27T10:00:00Z", T0, id="zulu"),
        pytest.param("2026-11-27T11:00:00+01:00", T0, id="offset"),
        pytest.param("2026-11-27T10:00:00", T0, id="naive-is-utc"),
        pytest.param(None, None, id="absent"),
        pytest.param("", None, id="empty"),
    ],
)
def test_parse_time(text: str | None, moment: datetime | None) -> None:
    assert parse_time(text) == moment


def test_format_time_is_utc_with_z() -> None:
    assert format_time(T0.astimezone(timezone(timedelta(hours=-5)))) == "2026-11-27T10:00:00Z"
    assert format_time(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00Z"
