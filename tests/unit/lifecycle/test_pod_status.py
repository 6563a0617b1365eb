import re
from collections.abc import Sequence
from datetime import datetime

import pytest

from ecs_operator.lifecycle import (
    ContainerObservation,
    ContainerSpec,
    ContainerStatus,
    DesiredStatus,
    HealthStatus,
    LaunchStage,
    StopCode,
    StopDecision,
    TaskObservation,
    TaskStatus,
    pod_status,
    should_stop_task,
    task_status_from_pod,
    user_stop,
)

from .builders import T0, MakePod, at, spec

NOW = at(120)
WEB = (spec("web"),)
WEB_AND_LOG = (spec("web"), spec("log", essential=False))


def observe(
    pod: MakePod | None,
    *,
    containers: Sequence[ContainerSpec] = WEB,
    desired: DesiredStatus = DesiredStatus.RUNNING,
    launch: LaunchStage = LaunchStage.POD_CREATED,
    previous: TaskObservation | None = None,
    stop: StopDecision | None = None,
    now: datetime = NOW,
) -> TaskObservation:
    return task_status_from_pod(
        pod.build() if pod is not None else None,
        containers=containers,
        desired_status=desired,
        launch=launch,
        now=now,
        previous=previous,
        stop=stop,
    )


# --------------------------------------------------------------------------- one test per table row

ROWS = [
    pytest.param(
        None, LaunchStage.AWAITING_PLACEMENT, DesiredStatus.RUNNING, TaskStatus.PROVISIONING, id="unplaced"
    ),
    pytest.param(None, LaunchStage.PLACED, DesiredStatus.RUNNING, TaskStatus.PENDING, id="placed"),
    pytest.param(
        None,
        LaunchStage.AWAITING_PLACEMENT,
        DesiredStatus.STOPPED,
        TaskStatus.STOPPED,
        id="stopped-before-pod",
    ),
    pytest.param(None, LaunchStage.POD_CREATED, DesiredStatus.RUNNING, TaskStatus.STOPPED, id="pod-gone"),
    pytest.param(
        MakePod().container("web").terminated(0),
        LaunchStage.POD_CREATED,
        DesiredStatus.RUNNING,
        TaskStatus.STOPPED,
        id="terminal",
    ),
    pytest.param(
        MakePod().deleting().container("web").running(),
        LaunchStage.POD_CREATED,
        DesiredStatus.STOPPED,
        TaskStatus.STOPPING,
        id="deleting-running",
    ),
    pytest.param(
        MakePod().deleting().phase("Running").container("web").terminated(143, "Error"),
        LaunchStage.POD_CREATED,
        DesiredStatus.STOPPED,
        TaskStatus.DEPROVISIONING,
        id="deleting-ended",
    ),
    pytest.param(
        MakePod().container("web").running(),
        LaunchStage.POD_CREATED,
        DesiredStatus.STOPPED,
        TaskStatus.DEACTIVATING,
        id="stop-requested",
    ),
    pytest.param(
        MakePod().unscheduled().container("web"),
        LaunchStage.POD_CREATED,
        DesiredStatus.RUNNING,
        TaskStatus.PENDING,
        id="unscheduled",
    ),
    pytest.param(
        MakePod().container("web").running(),
        LaunchStage.POD_CREATED,
        DesiredStatus.RUNNING,
        TaskStatus.RUNNING,
        id="essentials-running",
    ),
    pytest.param(
        MakePod().container("web"),
        LaunchStage.POD_CREATED,
        DesiredStatus.RUNNING,
        TaskStatus.PENDING,
        id="not-reported",
    ),
    pytest.param(
        MakePod().container("web").waiting("ContainerCreating"),
        LaunchStage.POD_CREATED,
        DesiredStatus.RUNNING,
        TaskStatus.ACTIVATING,
        id="activating",
    ),
]


@pytest.mark.parametrize(("pod", "launch", "desired", "expected"), ROWS)
def test_every_row_of_the_mapping_table(
    pod: MakePod | None, launch: LaunchStage, desired: DesiredStatus, expected: TaskStatus
) -> None:
    assert observe(pod, launch=launch, desired=desired).last_status is expected


def test_the_table_test_covers_every_row_of_the_docstring_table() -> None:
    doc = pod_status.__doc__ or ""
    header, *documented = re.findall(r"^\| ([a-z][a-z-]+) +\|", doc, flags=re.MULTILINE)
    assert header == "id"
    assert documented == [row.id for row in ROWS]


# --------------------------------------------------------------------------- whole results


def test_a_running_task_with_a_passing_health_check() -> None:
    pod = MakePod().container("web").running(since=at(5), ready=True).container("log").running(since=at(7))
    containers = (spec("web", checked=True), spec("log", essential=False))

    assert observe(pod, containers=containers) == TaskObservation(
        last_status=TaskStatus.RUNNING,
        desired_status=DesiredStatus.RUNNING,
        health_status=HealthStatus.HEALTHY,
        containers=(
            ContainerObservation(
                "web", ContainerStatus.RUNNING, health_status=HealthStatus.HEALTHY, has_health_check=True
            ),
            ContainerObservation("log", ContainerStatus.RUNNING, essential=False),
        ),
        started_at=at(5),
    )


def test_a_non_essential_container_that_exits_does_not_stop_the_task() -> None:
    pod = MakePod().container("web").running().container("log").terminated(1, "Error")

    observation = observe(pod, containers=WEB_AND_LOG)

    assert observation == TaskObservation(
        last_status=TaskStatus.RUNNING,
        desired_status=DesiredStatus.RUNNING,
        containers=(
            ContainerObservation("web", ContainerStatus.RUNNING),
            ContainerObservation("log", ContainerStatus.STOPPED, exit_code=1, essential=False),
        ),
        started_at=T0,
    )
    assert should_stop_task(observation) is None


def test_an_essential_container_that_exits_stops_the_task() -> None:
    pod = MakePod().container("web").terminated(2, "Error").container("log").running()

    observation = observe(pod, containers=WEB_AND_LOG)

    assert observation == TaskObservation(
        last_status=TaskStatus.DEACTIVATING,
        desired_status=DesiredStatus.RUNNING,
        containers=(
            ContainerObservation("web", ContainerStatus.STOPPED, exit_code=2),
            ContainerObservation("log", ContainerStatus.RUNNING, essential=False),
        ),
        started_at=T0,
        stop_code=StopCode.ESSENTIAL_CONTAINER_EXITED,
        stopped_reason="Essential container in task exited",
    )
    assert should_stop_task(observation) == StopDecision(
        StopCode.ESSENTIAL_CONTAINER_EXITED, "Essential container in task exited"
    )


def test_a_task_whose_only_container_completes_is_stopped() -> None:
    pod = MakePod().container("web").terminated(0, started=at(1), finished=at(50))

    observation = observe(pod)

    assert observation == TaskObservation(
        last_status=TaskStatus.STOPPED,
        desired_status=DesiredStatus.RUNNING,
        containers=(ContainerObservation("web", ContainerStatus.STOPPED, exit_code=0),),
        started_at=at(1),
        stopping_at=NOW,
        stopped_at=at(50),
        stop_code=StopCode.ESSENTIAL_CONTAINER_EXITED,
        stopped_reason="Essential container in task exited",
    )
    assert should_stop_task(observation) == StopDecision(
        StopCode.ESSENTIAL_CONTAINER_EXITED, "Essential container in task exited"
    )


START_FAILURES = [
    pytest.param(
        MakePod().container("web").waiting("ErrImagePull", 'failed to pull image "example/web:nope"'),
        TaskStatus.DEACTIVATING,
        'CannotPullContainerError: failed to pull image "example/web:nope"',
        id="err-image-pull",
    ),
    pytest.param(
        MakePod().container("web").waiting("ImagePullBackOff", 'Back-off pulling image "example/web:nope"'),
        TaskStatus.DEACTIVATING,
        'CannotPullContainerError: Back-off pulling image "example/web:nope"',
        id="image-pull-back-off",
    ),
    pytest.param(
        MakePod().container("web").waiting("InvalidImageName"),
        TaskStatus.DEACTIVATING,
        "CannotPullContainerError: InvalidImageName",
        id="invalid-image-name-without-message",
    ),
    pytest.param(
        MakePod().container("web").waiting("CreateContainerConfigError", 'secret "db" not found'),
        TaskStatus.DEACTIVATING,
        'ResourceInitializationError: secret "db" not found',
        id="missing-secret",
    ),
    pytest.param(
        MakePod().container("web").terminated(128, "StartError", started=None, message="exec: not found"),
        TaskStatus.STOPPED,
        "CannotStartContainerError: exec: not found",
        id="runtime-could-not-start",
    ),
]


@pytest.mark.parametrize(("pod", "status", "reason"), START_FAILURES)
def test_a_container_that_cannot_start_fails_the_task(pod: MakePod, status: TaskStatus, reason: str) -> None:
    observation = observe(pod, previous=observe(MakePod().container("web").waiting()))

    assert (observation.last_status, observation.stop_code, observation.stopped_reason) == (
        status,
        StopCode.TASK_FAILED_TO_START,
        reason,
    )
    assert observation.containers[0].reason == reason
    assert observation.started_at is None
    assert should_stop_task(observation) == StopDecision(StopCode.TASK_FAILED_TO_START, reason)


def test_a_non_essential_container_that_cannot_pull_before_the_task_ran_fails_the_task() -> None:
    pod = MakePod().container("web").waiting().container("log").waiting("ErrImagePull", "denied")

    observation = observe(pod, containers=WEB_AND_LOG)

    assert (observation.last_status, observation.stop_code, observation.stopped_reason) == (
        TaskStatus.DEACTIVATING,
        StopCode.TASK_FAILED_TO_START,
        "CannotPullContainerError: denied",
    )


def test_an_init_container_that_cannot_pull_fails_the_task() -> None:
    pod = (
        MakePod()
        .init_container("setup")
        .waiting("ImagePullBackOff", "back-off")
        .container("web")
        .waiting("PodInitializing")
    )

    observation = observe(pod)

    assert (observation.stop_code, observation.stopped_reason) == (
        StopCode.TASK_FAILED_TO_START,
        "CannotPullContainerError: back-off",
    )


def test_a_non_essential_container_that_cannot_pull_after_the_task_ran_only_shows_its_reason() -> None:
    pod = MakePod().container("web").running().container("log").waiting("ErrImagePull", "denied")

    observation = observe(pod, containers=WEB_AND_LOG)

    assert observation.last_status is TaskStatus.RUNNING
    assert observation.stop_code is None
    assert observation.containers[1] == ContainerObservation(
        "log", ContainerStatus.PENDING, reason="CannotPullContainerError: denied", essential=False
    )


def test_stop_task_keeps_its_reason_while_the_containers_exit_from_sigterm() -> None:
    running = observe(MakePod().container("web").running())
    stop = user_stop("deploy rolled back")
    deleting = (
        MakePod().deleting().phase("Running").container("web").terminated(143, "Error", finished=at(100))
    )

    observation = observe(deleting, desired=DesiredStatus.STOPPED, previous=running, stop=stop)

    assert observation == TaskObservation(
        last_status=TaskStatus.DEPROVISIONING,
        desired_status=DesiredStatus.STOPPED,
        containers=(ContainerObservation("web", ContainerStatus.STOPPED, exit_code=143),),
        started_at=T0,
        stopping_at=NOW,
        stop_code=StopCode.USER_INITIATED,
        stopped_reason="deploy rolled back",
    )
    assert should_stop_task(observation) is None


def test_a_stopped_task_whose_pod_is_gone_keeps_what_was_seen_of_its_containers() -> None:
    stopping = observe(
        MakePod().deleting().phase("Running").container("web").terminated(143, "Error"),
        desired=DesiredStatus.STOPPED,
        previous=observe(MakePod().container("web").running()),
    )

    observation = observe(None, desired=DesiredStatus.STOPPED, previous=stopping, now=at(200))

    assert observation == TaskObservation(
        last_status=TaskStatus.STOPPED,
        desired_status=DesiredStatus.STOPPED,
        containers=(ContainerObservation("web", ContainerStatus.STOPPED, exit_code=143),),
        started_at=T0,
        stopping_at=NOW,
        stopped_at=at(200),
        stop_code=StopCode.USER_INITIATED,
        stopped_reason="Task stopped by user",
    )


def test_a_task_stopped_before_placement_takes_the_callers_reason() -> None:
    failed = StopDecision(StopCode.TASK_FAILED_TO_START, "TaskFailedToStart: RESOURCE:MEMORY")

    observation = observe(
        None,
        launch=LaunchStage.AWAITING_PLACEMENT,
        desired=DesiredStatus.STOPPED,
        stop=failed,
        previous=observe(None, launch=LaunchStage.AWAITING_PLACEMENT),
    )

    assert observation == TaskObservation(
        last_status=TaskStatus.STOPPED,
        desired_status=DesiredStatus.STOPPED,
        containers=(ContainerObservation("web", ContainerStatus.STOPPED),),
        stopping_at=NOW,
        stopped_at=NOW,
        stop_code=StopCode.TASK_FAILED_TO_START,
        stopped_reason="TaskFailedToStart: RESOURCE:MEMORY",
    )


def test_the_first_stop_cause_stands() -> None:
    exited = observe(
        MakePod().container("web").terminated(2, "Error").container("log").running(), containers=WEB_AND_LOG
    )

    later = observe(
        MakePod().deleting().container("web").terminated(2, "Error").container("log").running(),
        containers=WEB_AND_LOG,
        desired=DesiredStatus.STOPPED,
        stop=user_stop(),
        previous=exited,
    )

    assert (later.last_status, later.stop_code, later.stopped_reason) == (
        TaskStatus.STOPPING,
        StopCode.ESSENTIAL_CONTAINER_EXITED,
        "Essential container in task exited",
    )


POD_FAILURES = [
    pytest.param(
        MakePod()
        .failed("Evicted", "The node was low on resource: memory.")
        .container("web")
        .terminated(137, "Error"),
        StopDecision(StopCode.INFRASTRUCTURE_HEALTH, "Evicted: The node was low on resource: memory."),
        id="evicted-after-running",
    ),
    pytest.param(
        MakePod().failed("OutOfcpu", "Node didn't have enough resource: cpu").container("web"),
        StopDecision(StopCode.TASK_FAILED_TO_START, "RESOURCE:CPU: Node didn't have enough resource: cpu"),
        id="kubelet-admission-cpu",
    ),
    pytest.param(
        MakePod().failed("OutOfmemory", "").container("web"),
        StopDecision(StopCode.TASK_FAILED_TO_START, "RESOURCE:MEMORY"),
        id="kubelet-admission-memory-without-message",
    ),
]


@pytest.mark.parametrize(("pod", "cause"), POD_FAILURES)
def test_a_failed_pod_stops_the_task_with_its_reason(pod: MakePod, cause: StopDecision) -> None:
    observation = observe(pod)

    assert observation.last_status is TaskStatus.STOPPED
    assert (observation.stop_code, observation.stopped_reason) == (cause.code, cause.reason)
    assert should_stop_task(observation) == cause


@pytest.mark.parametrize(
    ("pod", "previous", "code"),
    [
        pytest.param(
            MakePod().deleting().container("web").running(),
            observe(MakePod().container("web").running()),
            StopCode.INFRASTRUCTURE_HEALTH,
            id="deleting-after-running",
        ),
        pytest.param(
            None,
            observe(MakePod().container("web").running()),
            StopCode.INFRASTRUCTURE_HEALTH,
            id="gone-after-running",
        ),
        pytest.param(
            None,
            observe(MakePod().container("web").waiting()),
            StopCode.TASK_FAILED_TO_START,
            id="gone-before-running",
        ),
    ],
)
def test_a_pod_deleted_behind_the_operators_back_stops_the_task(
    pod: MakePod | None, previous: TaskObservation, code: StopCode
) -> None:
    observation = observe(pod, previous=previous)

    assert should_stop_task(observation) == StopDecision(code, "The task's pod was deleted")


def test_an_oom_killed_container_carries_ecs_reason() -> None:
    pod = MakePod().container("web").terminated(137, "OOMKilled")

    assert observe(pod).containers == (
        ContainerObservation(
            "web",
            ContainerStatus.STOPPED,
            exit_code=137,
            reason="OutOfMemoryError: Container killed due to memory usage",
        ),
    )


def test_only_the_task_definitions_containers_are_reported_in_its_order() -> None:
    pod = MakePod().container("istio-proxy").running().container("log").running().container("web").running()

    observation = observe(pod, containers=WEB_AND_LOG)

    assert [c.name for c in observation.containers] == ["web", "log"]
    assert observation.last_status is TaskStatus.RUNNING


def test_a_restarted_container_counts_as_exited() -> None:
    pod = MakePod().container("web").crash_looping(exit_code=3)

    observation = observe(pod, previous=observe(MakePod().container("web").running()))

    assert observation.containers == (ContainerObservation("web", ContainerStatus.STOPPED, exit_code=3),)
    assert observation.stop_code is StopCode.ESSENTIAL_CONTAINER_EXITED


def test_a_pod_bound_by_the_scheduler_condition_is_scheduled() -> None:
    pod = MakePod().scheduled_by_condition().container("web").waiting()

    assert observe(pod).last_status is TaskStatus.ACTIVATING


# --------------------------------------------------------------------------- order and timestamps


def test_last_status_never_moves_backwards() -> None:
    running = observe(MakePod().container("web").running())

    again = observe(MakePod().container("web").waiting(), previous=running)

    assert (again.last_status, again.containers[0].last_status) == (
        TaskStatus.RUNNING,
        ContainerStatus.RUNNING,
    )


def test_started_at_is_when_the_last_essential_container_started() -> None:
    pod = MakePod().container("web").running(since=at(3)).container("api").running(since=at(9))

    observation = observe(pod, containers=(spec("web"), spec("api")))

    assert observation.started_at == at(9)


@pytest.mark.parametrize(
    ("api_started", "expected"),
    [
        pytest.param(at(30), at(30), id="overlapped"),
        pytest.param(at(70), None, id="web-ended-before-api-started"),
    ],
)
def test_a_running_state_that_was_never_observed_is_still_dated(
    api_started: datetime, expected: datetime | None
) -> None:
    pod = (
        MakePod()
        .container("web")
        .terminated(0, started=at(0), finished=at(60))
        .container("api")
        .terminated(0, started=api_started, finished=at(90))
    )

    assert observe(pod, containers=(spec("web"), spec("api"))).started_at == expected


def test_a_running_container_without_a_start_time_is_dated_now() -> None:
    pod = MakePod().container("web").running()
    built = pod.build()
    del built["status"]["containerStatuses"][0]["state"]["running"]["startedAt"]

    observation = task_status_from_pod(
        built, containers=WEB, desired_status=DesiredStatus.RUNNING, launch=LaunchStage.POD_CREATED, now=NOW
    )

    assert observation.started_at == NOW


def test_a_terminal_pod_without_container_reports_stops_as_an_essential_exit() -> None:
    observation = observe(MakePod().phase("Succeeded").container("web"))

    assert (observation.last_status, observation.stop_code) == (
        TaskStatus.STOPPED,
        StopCode.ESSENTIAL_CONTAINER_EXITED,
    )
