"""What the service scheduler remembers between reconciliations, beyond the EcsService status model.

Why this exists: the scheduler is level-triggered, but a few ECS rules are about history, not
about the current state: consecutive start failures (the throttle, §3.5), a failure counted once
(circuit breaker, §3.4), which deployment was rolled back, how many deployments and tasks were
created (deterministic ids and names), and which event messages are still "active" (suppression,
§3.6). The handler persists :meth:`SchedulerState.to_object` next to the status (proposed field:
``status.scheduler``) and passes :meth:`SchedulerState.from_object` back in.

| field (wire name)     | meaning                                                                 |
|-----------------------|-------------------------------------------------------------------------|
| deploymentsCreated    | deployments created so far: the counter in a deployment id              |
| tasksStarted          | tasks started so far: the counter in a task name                        |
| countedFailures       | uids of failed tasks already counted (pruned to tasks that still exist) |
| startFailures         | consecutive failed launch attempts (throttle)                           |
| lastStartFailureAt    | when the last of them failed                                            |
| launchNotBefore       | no task is started before this time (throttle)                          |
| backoffTaskDefinition | the family:revision the throttle applies to; another one resets it      |
| lastTaskFailureAt     | last failure counted for the PRIMARY deployment (breaker reset order)   |
| rolledBackFrom        | {taskDefinition, forceNewDeployment} the breaker rolled back from       |
| lastCompleted         | {id, taskDefinition, forceNewDeployment} of the newest COMPLETED        |
|                       | deployment: the breaker's rollback target once the list no longer shows |
|                       | it (ECS lists only PRIMARY and ACTIVE deployments)                      |
| activeMessages        | digests of the event messages the last plan wanted to emit              |
| rebalancingTask       | uid of the task an AZ rebalancing is moving (``rebalance``)             |
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ecs_operator.lifecycle.observation import format_time, parse_time

DeploymentKey = tuple[str, str | None]
"""(task definition family:revision, forceNewDeployment): what makes a deployment distinct."""

CompletedDeployment = tuple[str, str, str | None]
"""(deployment id, task definition, forceNewDeployment) of a deployment that COMPLETED."""


@dataclass(frozen=True)
class SchedulerState:
    deployments_created: int = 0
    tasks_started: int = 0
    counted_failures: tuple[str, ...] = ()
    start_failures: int = 0
    last_start_failure_at: datetime | None = None
    launch_not_before: datetime | None = None
    backoff_task_definition: str | None = None
    last_task_failure_at: datetime | None = None
    rolled_back_from: DeploymentKey | None = None
    active_messages: tuple[str, ...] = ()
    last_completed: CompletedDeployment | None = None
    rebalancing_task: str | None = None

    def pruned(self, present_uids: Iterable[str]) -> SchedulerState:
        """Forget counted failures of tasks that no longer exist (they cannot be seen again)."""
        present = set(present_uids)
        return replace(self, counted_failures=tuple(u for u in self.counted_failures if u in present))

    def to_object(self) -> dict[str, Any]:
        """camelCase, JSON-ready, None fields left out."""
        out: dict[str, Any] = {
            "deploymentsCreated": self.deployments_created,
            "tasksStarted": self.tasks_started,
            "countedFailures": list(self.counted_failures),
            "startFailures": self.start_failures,
            "activeMessages": list(self.active_messages),
        }
        for key, moment in (
            ("lastStartFailureAt", self.last_start_failure_at),
            ("launchNotBefore", self.launch_not_before),
            ("lastTaskFailureAt", self.last_task_failure_at),
        ):
            if moment is not None:
                out[key] = format_time(moment)
        if self.rebalancing_task is not None:
            out["rebalancingTask"] = self.rebalancing_task
        if self.backoff_task_definition is not None:
            out["backoffTaskDefinition"] = self.backoff_task_definition
        if self.rolled_back_from is not None:
            task_definition, force = self.rolled_back_from
            out["rolledBackFrom"] = {"taskDefinition": task_definition} | (
                {"forceNewDeployment": force} if force is not None else {}
            )
        if self.last_completed is not None:
            deployment_id, task_definition, force = self.last_completed
            out["lastCompleted"] = {"id": deployment_id, "taskDefinition": task_definition} | (
                {"forceNewDeployment": force} if force is not None else {}
            )
        return out

    @classmethod
    def from_object(cls, obj: Mapping[str, Any] | None) -> SchedulerState:
        """Read back :meth:`to_object`; None or {} is the state of a new service."""
        if not obj:
            return cls()
        rolled: Mapping[str, Any] | None = obj.get("rolledBackFrom")
        completed: Mapping[str, Any] | None = obj.get("lastCompleted")
        return cls(
            deployments_created=int(obj.get("deploymentsCreated") or 0),
            tasks_started=int(obj.get("tasksStarted") or 0),
            counted_failures=tuple(str(u) for u in obj.get("countedFailures") or ()),
            start_failures=int(obj.get("startFailures") or 0),
            last_start_failure_at=parse_time(obj.get("lastStartFailureAt")),
            launch_not_before=parse_time(obj.get("launchNotBefore")),
            backoff_task_definition=obj.get("backoffTaskDefinition"),
            last_task_failure_at=parse_time(obj.get("lastTaskFailureAt")),
            rolled_back_from=(
                (str(rolled["taskDefinition"]), rolled.get("forceNewDeployment")) if rolled else None
            ),
            active_messages=tuple(str(m) for m in obj.get("activeMessages") or ()),
            rebalancing_task=obj.get("rebalancingTask"),
            last_completed=(
                (str(completed["id"]), str(completed["taskDefinition"]), completed.get("forceNewDeployment"))
                if completed
                else None
            ),
        )
