import pytest

from ecs_operator.lifecycle import (
    ContainerStatus,
    DesiredStatus,
    StopCode,
    StopDecision,
    TaskObservation,
    TaskStatus,
    should_stop_task,
    user_stop,
)
from ecs_operator.lifecycle.causes import container_reason
from ecs_operator.lifecycle.observation import ContainerObservation
from ecs_operator.lifecycle.pod_facts import ContainerFacts, State


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        pytest.param(ContainerFacts("web", State.RUNNING), None, id="running"),
        pytest.param(ContainerFacts("web", State.WAITING, "ContainerCreating"), None, id="creating"),
        pytest.param(ContainerFacts("web", State.TERMINATED, "Completed", exit_code=0), None, id="completed"),
        pytest.param(ContainerFacts("web", State.TERMINATED, "Error", exit_code=1), None, id="plain-error"),
        pytest.param(
            ContainerFacts("web", State.TERMINATED, "OOMKilled", exit_code=137),
            "OutOfMemoryError: Container killed due to memory usage",
            id="oom",
        ),
        pytest.param(
            ContainerFacts("web", State.WAITING, "ErrImagePull", "not found"),
            "CannotPullContainerError: not found",
            id="pull",
        ),
        pytest.param(
            ContainerFacts("web", State.WAITING, "CreateContainerError", "name in use"),
            "CannotCreateContainerError: name in use",
            id="create",
        ),
        pytest.param(
            ContainerFacts(
                "web", State.TERMINATED, "ContainerStatusUnknown", "The container could not be located"
            ),
            "ContainerStatusUnknown: The container could not be located",
            id="other-kubelet-reason",
        ),
        pytest.param(
            ContainerFacts("web", State.TERMINATED, "DeadlineExceeded"), "DeadlineExceeded", id="reason-only"
        ),
    ],
)
def test_container_reason(facts: ContainerFacts, reason: str | None) -> None:
    assert container_reason(facts) == reason


def observation(desired: DesiredStatus, code: StopCode | None, reason: str | None = None) -> TaskObservation:
    return TaskObservation(
        last_status=TaskStatus.DEACTIVATING,
        desired_status=desired,
        containers=(ContainerObservation("web", ContainerStatus.STOPPED, exit_code=1),),
        stop_code=code,
        stopped_reason=reason,
    )


@pytest.mark.parametrize(
    ("observed", "decision"),
    [
        pytest.param(observation(DesiredStatus.RUNNING, None), None, id="nothing-to-stop"),
        pytest.param(
            observation(
                DesiredStatus.RUNNING,
                StopCode.ESSENTIAL_CONTAINER_EXITED,
                "Essential container in task exited",
            ),
            StopDecision(StopCode.ESSENTIAL_CONTAINER_EXITED, "Essential container in task exited"),
            id="essential-exited",
        ),
        pytest.param(
            observation(
                DesiredStatus.STOPPED,
                StopCode.ESSENTIAL_CONTAINER_EXITED,
                "Essential container in task exited",
            ),
            None,
            id="already-stopping",
        ),
    ],
)
def test_should_stop_task(observed: TaskObservation, decision: StopDecision | None) -> None:
    assert should_stop_task(observed) == decision


@pytest.mark.parametrize(
    ("reason", "decision"),
    [
        pytest.param(None, StopDecision(StopCode.USER_INITIATED, "Task stopped by user"), id="default"),
        pytest.param("", StopDecision(StopCode.USER_INITIATED, "Task stopped by user"), id="empty"),
        pytest.param("rollback", StopDecision(StopCode.USER_INITIATED, "rollback"), id="given"),
    ],
)
def test_user_stop(reason: str | None, decision: StopDecision) -> None:
    assert user_stop(reason) == decision
