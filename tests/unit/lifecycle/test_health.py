from datetime import datetime

import pytest

from ecs_operator.lifecycle import (
    ContainerObservation,
    ContainerStatus,
    DesiredStatus,
    HealthCheckTiming,
    HealthStatus,
    TaskObservation,
    TaskStatus,
    counts_as_healthy,
    settles_at,
    task_health,
)
from ecs_operator.lifecycle.health import container_health
from ecs_operator.lifecycle.pod_facts import ContainerFacts, State

from .builders import T0, at

H, U, K = HealthStatus.HEALTHY, HealthStatus.UNHEALTHY, HealthStatus.UNKNOWN
CHECK = HealthCheckTiming(interval=10, timeout=5, retries=3, start_period=20)  # window: 20 + 30 + 5 = 55 s


def running(ready: bool) -> ContainerFacts:
    return ContainerFacts("web", State.RUNNING, started_at=T0, ready=ready)


@pytest.mark.parametrize(
    ("facts", "check", "previous", "now", "expected"),
    [
        pytest.param(running(True), None, None, at(100), K, id="no-health-check"),
        pytest.param(None, CHECK, H, at(100), K, id="not-reported"),
        pytest.param(ContainerFacts("web", State.TERMINATED), CHECK, H, at(100), K, id="not-running"),
        pytest.param(running(True), CHECK, None, at(1), H, id="ready"),
        pytest.param(running(False), CHECK, H, at(100), U, id="readiness-dropped"),
        pytest.param(running(False), CHECK, U, at(100), U, id="still-failing"),
        pytest.param(running(False), CHECK, None, at(54), K, id="never-passed-within-window"),
        pytest.param(running(False), CHECK, K, at(55), U, id="never-passed-window-over"),
        pytest.param(
            ContainerFacts("web", State.RUNNING, ready=False),
            CHECK,
            None,
            at(999),
            K,
            id="start-time-unknown",
        ),
    ],
)
def test_container_health(
    facts: ContainerFacts | None,
    check: HealthCheckTiming | None,
    previous: HealthStatus | None,
    now: datetime,
    expected: HealthStatus,
) -> None:
    assert container_health(facts, check, previous=previous, now=now) is expected


def test_ecs_default_health_check_window() -> None:
    assert HealthCheckTiming().unhealthy_after.total_seconds() == 0 + 3 * 30 + 5


def c(health: HealthStatus, *, essential: bool = True, checked: bool = True) -> ContainerObservation:
    return ContainerObservation(
        "c", ContainerStatus.RUNNING, health_status=health, essential=essential, has_health_check=checked
    )


@pytest.mark.parametrize(
    ("containers", "expected"),
    [
        pytest.param([c(H), c(H)], H, id="all-healthy"),
        pytest.param([c(H), c(K)], K, id="unknown-beats-healthy"),
        pytest.param([c(K), c(U), c(H)], U, id="unhealthy-beats-all"),
        pytest.param([c(H), c(U, essential=False)], H, id="non-essential-ignored"),
        pytest.param([c(H), c(K, checked=False)], H, id="essential-without-check-ignored"),
        pytest.param([c(K, checked=False)], K, id="no-health-checks"),
        pytest.param([], K, id="no-containers"),
    ],
)
def test_task_health(containers: list[ContainerObservation], expected: HealthStatus) -> None:
    assert task_health(containers) is expected


def task(
    status: TaskStatus = TaskStatus.RUNNING, health: HealthStatus = K, *containers: ContainerObservation
) -> TaskObservation:
    return TaskObservation(
        last_status=status,
        desired_status=DesiredStatus.RUNNING,
        health_status=health,
        containers=containers or (c(K, checked=False),),
        started_at=T0,
    )


@pytest.mark.parametrize(
    ("observation", "now", "healthy"),
    [
        pytest.param(task(), at(39), False, id="no-checks-before-40s"),
        pytest.param(task(), at(40), True, id="no-checks-at-40s"),
        pytest.param(task(TaskStatus.ACTIVATING), at(99), False, id="not-running"),
        pytest.param(task(TaskStatus.DEACTIVATING), at(99), False, id="stopping"),
        pytest.param(task(TaskStatus.RUNNING, H, c(H)), at(1), True, id="checks-healthy-at-once"),
        pytest.param(task(TaskStatus.RUNNING, K, c(K)), at(99), False, id="checks-pending"),
        pytest.param(task(TaskStatus.RUNNING, U, c(U)), at(99), False, id="checks-unhealthy"),
        pytest.param(
            task(TaskStatus.RUNNING, K, c(K, checked=True, essential=False)),
            at(40),
            True,
            id="only-non-essential-checks",
        ),
    ],
)
def test_counts_as_healthy(observation: TaskObservation, now: datetime, healthy: bool) -> None:
    assert counts_as_healthy(observation, now) is healthy


@pytest.mark.parametrize(
    ("observation", "expected"),
    [
        pytest.param(task(), at(40), id="no-checks"),
        pytest.param(task(TaskStatus.RUNNING, H, c(H)), None, id="checks"),
        pytest.param(task(TaskStatus.PENDING), None, id="not-running"),
    ],
)
def test_settles_at(observation: TaskObservation, expected: datetime | None) -> None:
    assert settles_at(observation) == expected
