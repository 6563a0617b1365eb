"""The ``stoppedReason`` of every task the service scheduler stops (stopCode ServiceSchedulerInitiated).

Why a module: ECS's wording (ecs-semantics §5.4, §7.2) in one place, so that tests and the
handler agree on it.

| why the task stops                                | stoppedReason                                       |
|---------------------------------------------------|-----------------------------------------------------|
| scale-in, deployment, deletion, DAEMON constraint | ``Scaling activity initiated by (deployment <id>)`` |
| UNHEALTHY past the grace period                   | ``Task failed container health checks``             |
| its container instance is DRAINING                | ``Task stopped during instance draining``           |
"""

from __future__ import annotations

UNHEALTHY = "Task failed container health checks"
DRAINING = "Task stopped during instance draining"


def scaling(deployment_id: str | None) -> str:
    return f"Scaling activity initiated by (deployment {deployment_id or 'none'})"
