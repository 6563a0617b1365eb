"""Why a task stops, in ECS's words, read from its pod (ecs-semantics §5.4, §10.3).

Why this module exists: ECS reports a stopped task with a ``stopCode`` and a ``stoppedReason``,
and its containers with a ``reason`` such as ``CannotPullContainerError: …``. The kubelet says the
same things differently (``ErrImagePull``, ``OOMKilled``, a pod ``Evicted``). This module is the
one translation table, plus the policy `should_stop_task`: a task whose essential container has
exited, or that cannot start, must be stopped by the operator even though nobody asked.

Causes read from a pod, first match wins. "Ran" means every essential container has been running
at once; a cause marked "ran?" is TaskFailedToStart if the task never ran, InfrastructureHealth if
it did (a [I] choice: ECS documents no code for a host that kills or loses a running task).

| pod shows                                                      | stopCode                 |
|----------------------------------------------------------------|--------------------------|
| phase Failed with a pod-level reason (Evicted, OutOfcpu, …)    | ran?                     |
| deletionTimestamp set while desiredStatus is RUNNING           | ran?                     |
| before the task ran: a container cannot start (START_FAILURES) | TaskFailedToStart        |
| an essential container terminated (or the pod is terminal)     | EssentialContainerExited |
| (no pod any more, while desiredStatus is RUNNING)              | ran?                     |

The stoppedReason is, row by row: ``<reason>: <message>`` of the pod (OutOfcpu and OutOfmemory read
as RESOURCE:CPU and RESOURCE:MEMORY, ECS's placement reasons); "The task's pod was deleted"; the
container's ECS reason (``CannotPullContainerError: <kubelet message>``, …); "Essential container
in task exited"; "The task's pod was deleted".

A non-essential container's exit is no cause: the task keeps running (§10.3). A container that
cannot start after the task is already RUNNING can only be non-essential: it shows its reason, the
task goes on. The task's health is no cause either: replacing unhealthy service tasks is the
service scheduler's decision (§5.6), not the task's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from ecs_operator.lifecycle.observation import StopDecision, TaskObservation
from ecs_operator.lifecycle.pod_facts import ContainerFacts, PodFacts, State
from ecs_operator.lifecycle.states import DesiredStatus, StopCode

ESSENTIAL_CONTAINER_EXITED_REASON: Final = "Essential container in task exited"
USER_STOP_REASON: Final = "Task stopped by user"
POD_DELETED_REASON: Final = "The task's pod was deleted"
OUT_OF_MEMORY_REASON: Final = "OutOfMemoryError: Container killed due to memory usage"

START_FAILURES: Final[dict[str, str]] = {
    # kubelet waiting reasons (image)
    "ErrImagePull": "CannotPullContainerError",
    "ImagePullBackOff": "CannotPullContainerError",
    "InvalidImageName": "CannotPullContainerError",
    "ErrImageNeverPull": "CannotPullContainerError",
    "ImageInspectError": "CannotPullContainerError",
    "RegistryUnavailable": "CannotPullContainerError",
    "SignatureValidationFailed": "CannotPullContainerError",
    # kubelet waiting reasons (container setup): a missing Secret/ConfigMap is ECS's failure to
    # fetch secrets, a ResourceInitializationError
    "CreateContainerConfigError": "ResourceInitializationError",
    "CreateContainerError": "CannotCreateContainerError",
    "PreStartHookError": "CannotStartContainerError",
    "PostStartHookError": "CannotStartContainerError",
    "RunContainerError": "CannotStartContainerError",
    # terminated reasons of a container the runtime could not start (exit code 128)
    "StartError": "CannotStartContainerError",
    "ContainerCannotRun": "CannotStartContainerError",
}
"""Kubelet reason → the ECS error name that prefixes the reason ECS would report."""

_POD_REASONS: Final[dict[str, str]] = {"OutOfcpu": "RESOURCE:CPU", "OutOfmemory": "RESOURCE:MEMORY"}
_PLAIN_EXITS: Final = frozenset({"Completed", "Error"})


def _detail(ecs_name: str, facts: ContainerFacts) -> str:
    return f"{ecs_name}: {facts.message or facts.reason}"


def container_reason(facts: ContainerFacts) -> str | None:
    """The ECS ``reason`` of one container, or None when it has none (running, or a plain exit)."""
    if facts.reason in START_FAILURES:
        return _detail(START_FAILURES[facts.reason], facts)
    if facts.state is not State.TERMINATED or facts.reason is None or facts.reason in _PLAIN_EXITS:
        return None
    if facts.reason == "OOMKilled":
        return OUT_OF_MEMORY_REASON
    return f"{facts.reason}: {facts.message}" if facts.message else facts.reason


def is_start_failure(facts: ContainerFacts) -> bool:
    return facts.reason in START_FAILURES and facts.state is not State.RUNNING


def _infrastructure(ran: bool, reason: str) -> StopDecision:
    return StopDecision(StopCode.INFRASTRUCTURE_HEALTH if ran else StopCode.TASK_FAILED_TO_START, reason)


def pod_deleted(*, ran: bool) -> StopDecision:
    """The pod was deleted (or vanished) while the task was meant to run."""
    return _infrastructure(ran, POD_DELETED_REASON)


def cause_from_pod(
    facts: PodFacts, *, essential: Iterable[str], ran: bool, desired_status: DesiredStatus
) -> StopDecision | None:
    """Why this pod's task must stop, by the table in the module docstring; None if it need not.

    ``ran``: the task has had every essential container running at some point.
    """
    if facts.phase == "Failed" and facts.reason:
        reason = _POD_REASONS.get(facts.reason, facts.reason)
        return _infrastructure(ran, f"{reason}: {facts.message}" if facts.message else reason)
    if facts.deleting and desired_status is DesiredStatus.RUNNING:
        return pod_deleted(ran=ran)
    if not ran:
        for container in (*facts.init_containers, *facts.containers.values()):
            if is_start_failure(container):
                return StopDecision(StopCode.TASK_FAILED_TO_START, container_reason(container) or "")
    exited = [facts.containers.get(name) for name in essential]
    # A terminal pod has ended every container, even if the kubelet's report of one is missing.
    if facts.terminal or any(c is not None and c.state is State.TERMINATED for c in exited):
        return StopDecision(StopCode.ESSENTIAL_CONTAINER_EXITED, ESSENTIAL_CONTAINER_EXITED_REASON)
    return None


def user_stop(reason: str | None = None) -> StopDecision:
    """StopTask: ``spec.stopReason`` when given, ECS's default wording otherwise."""
    return StopDecision(StopCode.USER_INITIATED, reason or USER_STOP_REASON)


def should_stop_task(observation: TaskObservation) -> StopDecision | None:
    """Whether the operator must stop a task nobody asked to stop, and with which code and reason.

    Yes when the observation found a cause (an essential container exited, the task cannot start,
    its pod failed or was deleted) while ``desiredStatus`` is still RUNNING. The caller then records
    desiredStatus STOPPED with this decision, and only then deletes the pod: a pod deleted while
    desiredStatus is RUNNING reads as deleted behind the operator's back.
    """
    if observation.desired_status is DesiredStatus.STOPPED or observation.stop_code is None:
        return None
    return StopDecision(observation.stop_code, observation.stopped_reason or "")
