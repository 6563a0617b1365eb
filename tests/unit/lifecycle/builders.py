"""Fluent builders for pods as the Kubernetes API returns them, and for task container specs.

    MakePod().container("web").running(ready=True).container("log").waiting("ContainerCreating").build()

`container(name)` (or `init_container(name)`) adds a container and makes it the one the following
state call (`waiting`, `running`, `terminated`, `crash_looping`) describes. A container without a
state call has no entry in `containerStatuses` (the kubelet has not reported it).

Unless `phase()` says otherwise, the phase is the kubelet's for ``restartPolicy: Never``: Running
while any container runs, Succeeded/Failed once all have ended (Failed if any exit code is not 0),
else Pending.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Self

from ecs_operator.lifecycle import ContainerSpec, HealthCheckTiming

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
"""When the builders' containers start unless told otherwise."""


def at(seconds: float) -> datetime:
    """T0 plus some seconds."""
    return T0 + timedelta(seconds=seconds)


def stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def spec(name: str, *, essential: bool = True, checked: bool = False) -> ContainerSpec:
    """A task definition container; ``checked`` gives it a health check with ECS's default timing."""
    return ContainerSpec(name, essential=essential, health_check=HealthCheckTiming() if checked else None)


class MakePod:
    def __init__(self, name: str = "web-7f3k") -> None:
        self._metadata: dict[str, Any] = {"name": name, "namespace": "default"}
        self._spec: dict[str, Any] = {"nodeName": "worker-a1", "restartPolicy": "Never", "containers": []}
        self._status: dict[str, Any] = {}
        self._statuses: dict[str, dict[str, Any]] = {}
        self._init_statuses: dict[str, dict[str, Any]] = {}
        self._current: dict[str, Any] | None = None

    # -- pod level

    def unscheduled(self) -> Self:
        del self._spec["nodeName"]
        self._status["conditions"] = [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]
        return self

    def scheduled_by_condition(self) -> Self:
        """Bound, as kube-scheduler reports it, before nodeName shows in this copy."""
        del self._spec["nodeName"]
        self._status["conditions"] = [{"type": "PodScheduled", "status": "True"}]
        return self

    def phase(self, phase: str) -> Self:
        self._status["phase"] = phase
        return self

    def failed(self, reason: str, message: str) -> Self:
        """The whole pod failed (eviction, kubelet admission)."""
        self._status |= {"phase": "Failed", "reason": reason, "message": message}
        return self

    def deleting(self, since: datetime = T0) -> Self:
        self._metadata["deletionTimestamp"] = stamp(since + timedelta(seconds=30))
        return self

    # -- containers

    def container(self, name: str) -> Self:
        self._spec["containers"].append({"name": name, "image": f"example/{name}:1"})
        self._current = self._statuses.setdefault(name, {"name": name})
        return self

    def init_container(self, name: str) -> Self:
        self._spec.setdefault("initContainers", []).append({"name": name, "image": f"example/{name}:1"})
        self._current = self._init_statuses.setdefault(name, {"name": name})
        return self

    def waiting(self, reason: str = "ContainerCreating", message: str | None = None) -> Self:
        waiting = {"reason": reason} | ({"message": message} if message else {})
        return self._state({"waiting": waiting}, ready=False)

    def running(self, since: datetime = T0, *, ready: bool = False) -> Self:
        return self._state({"running": {"startedAt": stamp(since)}}, ready=ready)

    def terminated(
        self,
        exit_code: int = 0,
        reason: str = "Completed",
        *,
        started: datetime | None = T0,
        finished: datetime = T0 + timedelta(seconds=60),
        message: str | None = None,
    ) -> Self:
        return self._state({"terminated": _ended(exit_code, reason, started, finished, message)}, ready=False)

    def crash_looping(self, exit_code: int = 1) -> Self:
        """Waiting to restart after an exit (only if the pod's restartPolicy allowed restarts)."""
        self._state({"waiting": {"reason": "CrashLoopBackOff"}}, ready=False)
        assert self._current is not None
        self._current["lastState"] = {"terminated": _ended(exit_code, "Error", T0, at(60), None)}
        return self

    def _state(self, state: dict[str, Any], *, ready: bool) -> Self:
        assert self._current is not None, "call container(name) first"
        self._current |= {"state": state, "ready": ready, "restartCount": 0, "image": "example:1"}
        return self

    def build(self) -> dict[str, Any]:
        reported = [s for s in self._statuses.values() if "state" in s]
        init_reported = [s for s in self._init_statuses.values() if "state" in s]
        status = {"phase": _kubelet_phase(reported, len(self._statuses))} | self._status
        if reported:
            status["containerStatuses"] = reported
        if init_reported:
            status["initContainerStatuses"] = init_reported
        if self._spec.get("nodeName") and "conditions" not in status:
            status["conditions"] = [{"type": "PodScheduled", "status": "True"}]
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": self._metadata,
            "spec": self._spec,
            "status": status,
        }


def _ended(
    exit_code: int, reason: str, started: datetime | None, finished: datetime, message: str | None
) -> dict[str, Any]:
    ended: dict[str, Any] = {"exitCode": exit_code, "reason": reason, "finishedAt": stamp(finished)}
    if started is not None:
        ended["startedAt"] = stamp(started)
    if message:
        ended["message"] = message
    return ended


def _kubelet_phase(reported: list[dict[str, Any]], count: int) -> str:
    states = [s["state"] for s in reported]
    if any("running" in state for state in states):
        return "Running"
    if count and len(states) == count and all("terminated" in state for state in states):
        return "Failed" if any(state["terminated"]["exitCode"] for state in states) else "Succeeded"
    return "Pending"
