"""The records the lifecycle code reads and returns: what a task's definition says about its
containers, what was observed about the task, and why it must stop.

Why this module exists: `pod_status` (pod → task status), `health` (does the task count as
healthy) and `causes` (why a task stops) share these records; keeping them apart from the logic
keeps each of those modules small and lets the status writer read one plain, frozen value.
`TaskObservation.to_status()` gives the EcsTask status fields of api.md; `from_status()` reads them
back, so the previous observation survives an operator restart (the operator is level-triggered).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from ecs_operator.lifecycle.states import ContainerStatus, DesiredStatus, HealthStatus, StopCode, TaskStatus


@dataclass(frozen=True)
class HealthCheckTiming:
    """The timing of a container's ECS ``healthCheck`` (seconds; ECS defaults, ecs-semantics §10.6)."""

    interval: int = 30
    timeout: int = 5
    retries: int = 3
    start_period: int = 0

    @property
    def unhealthy_after(self) -> timedelta:
        """The earliest time after the container starts at which ECS could call it UNHEALTHY:
        the start period, then ``retries`` failed checks one ``interval`` apart, the last one
        timing out."""
        return timedelta(seconds=self.start_period + self.retries * self.interval + self.timeout)


@dataclass(frozen=True)
class ContainerSpec:
    """What the task definition says about one container, as far as its status is concerned."""

    name: str
    essential: bool = True
    health_check: HealthCheckTiming | None = None


class LaunchStage(StrEnum):
    """How far the operator got in launching the task; tells what a missing pod means."""

    AWAITING_PLACEMENT = "AwaitingPlacement"
    """No claim committed yet: no pod is expected (PROVISIONING)."""
    PLACED = "Placed"
    """A claim is committed but the pod is not created yet (PENDING)."""
    POD_CREATED = "PodCreated"
    """The pod was created (status.podName is set): no pod now means it is gone (STOPPED)."""


@dataclass(frozen=True)
class StopDecision:
    """Why a task stops: the ``stopCode`` and ``stoppedReason`` to record."""

    code: StopCode
    reason: str


@dataclass(frozen=True)
class ContainerObservation:
    """One entry of ``status.containers``, plus the two definition facts health depends on."""

    name: str
    last_status: ContainerStatus
    exit_code: int | None = None
    reason: str | None = None
    health_status: HealthStatus = HealthStatus.UNKNOWN
    essential: bool = True
    has_health_check: bool = False


@dataclass(frozen=True)
class TaskObservation:
    """The ECS view of a task at one moment: what `task_status_from_pod` returns."""

    last_status: TaskStatus
    desired_status: DesiredStatus
    health_status: HealthStatus = HealthStatus.UNKNOWN
    containers: tuple[ContainerObservation, ...] = ()
    started_at: datetime | None = None
    """When the task first had every essential container running (from the containers' startedAt)."""
    stopping_at: datetime | None = None
    """When the task first reached STOPPING (or a later state)."""
    stopped_at: datetime | None = None
    """When the task reached STOPPED."""
    stop_code: StopCode | None = None
    stopped_reason: str | None = None

    def container(self, name: str) -> ContainerObservation | None:
        return next((c for c in self.containers if c.name == name), None)

    def to_status(self) -> dict[str, Any]:
        """The EcsTask status fields this record owns, camelCase as in api.md (None fields omitted)."""
        status: dict[str, Any] = {
            "lastStatus": self.last_status.value,
            "desiredStatus": self.desired_status.value,
            "healthStatus": self.health_status.value,
            "containers": [
                _without_none(
                    name=c.name,
                    lastStatus=c.last_status.value,
                    exitCode=c.exit_code,
                    reason=c.reason,
                    healthStatus=c.health_status.value,
                )
                for c in self.containers
            ],
        }
        status |= _without_none(
            startedAt=format_time(self.started_at),
            stoppingAt=format_time(self.stopping_at),
            stoppedAt=format_time(self.stopped_at),
            stopCode=self.stop_code.value if self.stop_code else None,
            stoppedReason=self.stopped_reason,
        )
        return status

    @classmethod
    def from_status(
        cls, status: Mapping[str, Any] | None, containers: Sequence[ContainerSpec] = ()
    ) -> TaskObservation | None:
        """Read back what `to_status` wrote; None when the status has no lastStatus yet.

        ``containers`` supplies the definition facts the status does not hold (essential, health
        check); containers it does not name are taken as essential without a health check.
        """
        if not status or not status.get("lastStatus"):
            return None
        specs = {spec.name: spec for spec in containers}
        observed = []
        for entry in status.get("containers") or ():
            spec = specs.get(entry["name"], ContainerSpec(entry["name"]))
            observed.append(
                ContainerObservation(
                    name=spec.name,
                    last_status=ContainerStatus(entry.get("lastStatus", ContainerStatus.PENDING)),
                    exit_code=entry.get("exitCode"),
                    reason=entry.get("reason"),
                    health_status=HealthStatus(entry.get("healthStatus", HealthStatus.UNKNOWN)),
                    essential=spec.essential,
                    has_health_check=spec.health_check is not None,
                )
            )
        stop_code = status.get("stopCode")
        return cls(
            last_status=TaskStatus(status["lastStatus"]),
            desired_status=DesiredStatus(status.get("desiredStatus", DesiredStatus.RUNNING)),
            health_status=HealthStatus(status.get("healthStatus", HealthStatus.UNKNOWN)),
            containers=tuple(observed),
            started_at=parse_time(status.get("startedAt")),
            stopping_at=parse_time(status.get("stoppingAt")),
            stopped_at=parse_time(status.get("stoppedAt")),
            stop_code=StopCode(stop_code) if stop_code else None,
            stopped_reason=status.get("stoppedReason"),
        )


def _without_none(**fields: Any) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


def parse_time(value: str | datetime | None) -> datetime | None:
    """An RFC 3339 timestamp as Kubernetes writes it ("2026-11-27T10:00:00Z") → an aware datetime."""
    if value is None or value == "":
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_time(value: datetime | None) -> str | None:
    """An aware datetime → RFC 3339 in UTC with a "Z" (fractions of a second only when present)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
