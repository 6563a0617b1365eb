"""The facts of a Kubernetes pod that decide its task's status, read once from the API's dict.

Why this module exists: a pod as the API returns it (camelCase JSON: ``status.phase``,
``status.containerStatuses[].state.{waiting,running,terminated}``, ``metadata.deletionTimestamp``,
…) is deep, partly optional and awkward to test against. It is parsed here, once, into small
frozen records; the status rules in `pod_status` then read plain attributes.

Assumption, shared with the pod builder: task pods run with ``restartPolicy: Never`` (ECS does not
restart containers). Should a container still be restarted, a container that is waiting again
after it ran (``lastState.terminated`` set) is read as the exit it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from ecs_operator.lifecycle.observation import parse_time

TERMINAL_PHASES = frozenset({"Succeeded", "Failed"})


class State(StrEnum):
    """Which of Kubernetes' three container states a container is in."""

    WAITING = "waiting"
    RUNNING = "running"
    TERMINATED = "terminated"


@dataclass(frozen=True)
class ContainerFacts:
    name: str
    state: State
    reason: str | None = None
    """The kubelet's reason: ContainerCreating, ErrImagePull, OOMKilled, Completed, …"""
    message: str | None = None
    exit_code: int | None = None
    started_at: datetime | None = None
    """When the container started (running or terminated)."""
    finished_at: datetime | None = None
    """When it ended (terminated)."""
    ready: bool = False
    """The kubelet's readiness of this container (its probe), not the pod's Ready condition."""


@dataclass(frozen=True)
class PodFacts:
    phase: str = "Pending"
    deleting: bool = False
    """``metadata.deletionTimestamp`` is set: containers got (or are about to get) SIGTERM."""
    scheduled: bool = False
    """Bound to a node: ``spec.nodeName`` set, or the PodScheduled condition True."""
    reported: bool = False
    """The kubelet has reported container statuses (it has picked the pod up)."""
    reason: str | None = None
    """Pod-level reason, set when the whole pod failed: Evicted, OutOfcpu, UnexpectedAdmissionError…"""
    message: str | None = None
    containers: Mapping[str, ContainerFacts] = field(default_factory=dict)
    init_containers: tuple[ContainerFacts, ...] = ()

    @property
    def terminal(self) -> bool:
        return self.phase in TERMINAL_PHASES


def _container(status: Mapping[str, Any]) -> ContainerFacts:
    state: Mapping[str, Any] = status.get("state") or {}
    last: Mapping[str, Any] = status.get("lastState") or {}
    name = str(status.get("name", ""))
    ready = bool(status.get("ready", False))
    if "running" in state:
        running = state["running"] or {}
        return ContainerFacts(
            name, State.RUNNING, started_at=parse_time(running.get("startedAt")), ready=ready
        )
    ended = state.get("terminated") or ("waiting" in state and last.get("terminated"))
    if ended:
        return ContainerFacts(
            name,
            State.TERMINATED,
            reason=ended.get("reason"),
            message=ended.get("message"),
            exit_code=ended.get("exitCode"),
            started_at=parse_time(ended.get("startedAt")),
            finished_at=parse_time(ended.get("finishedAt")),
        )
    waiting = state.get("waiting") or {}
    return ContainerFacts(name, State.WAITING, reason=waiting.get("reason"), message=waiting.get("message"))


def pod_facts(pod: Mapping[str, Any]) -> PodFacts:
    """Read a pod dict (as the API returns it) into `PodFacts`."""
    metadata: Mapping[str, Any] = pod.get("metadata") or {}
    spec: Mapping[str, Any] = pod.get("spec") or {}
    status: Mapping[str, Any] = pod.get("status") or {}
    conditions = status.get("conditions") or ()
    pod_scheduled = any(c.get("type") == "PodScheduled" and c.get("status") == "True" for c in conditions)
    statuses = status.get("containerStatuses") or ()
    init_statuses = status.get("initContainerStatuses") or ()
    return PodFacts(
        phase=status.get("phase") or "Pending",
        deleting=metadata.get("deletionTimestamp") is not None,
        scheduled=bool(spec.get("nodeName")) or pod_scheduled,
        reported=bool(statuses or init_statuses),
        reason=status.get("reason"),
        message=status.get("message"),
        containers={c.name: c for c in map(_container, statuses)},
        init_containers=tuple(map(_container, init_statuses)),
    )
