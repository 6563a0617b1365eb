"""Load balancer deregistration delay (pure): how long a load-balanced task stays DEACTIVATING.

Why: ECS stops a task that is a load balancer target in two steps. It deregisters the target
first (the load balancer stops sending new requests and lets those in flight finish for the
target group's deregistration delay, 300 s unless set), and only then stops the task; meanwhile
the task is DEACTIVATING (ecs-semantics, task lifecycle). Stopping the pod at once would cut the
requests in flight.

Here a load-balanced service's tasks carry the longest `deregistrationDelaySeconds` of the
service's load balancers (`DELAY_ANNOTATION`, set when the service creates the task). When such a
task is to stop while it is a target (RUNNING or already DEACTIVATING), its endpoint is removed
at once, `status.deregisteredAt` records when, and its pod is stopped once the delay has passed.
A task that never became a target (stopped before RUNNING), a delay of 0, or a task without the
annotation (no load balancer) is not held.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from ecs_operator.names import DEREGISTRATION_DELAY_ANNOTATION

DELAY_ANNOTATION: Final = DEREGISTRATION_DELAY_ANNOTATION

DEFAULT_DELAY = 300
"""Elastic Load Balancing's default deregistration delay of a target group, in seconds."""

_TARGET_STATES = ("RUNNING", "DEACTIVATING")


def delay_of(load_balancers: Iterable[Mapping[str, Any]]) -> int:
    """The delay a service's task waits: the longest of its load balancers (0 without any)."""
    return max((int(lb.get("deregistrationDelaySeconds", DEFAULT_DELAY)) for lb in load_balancers), default=0)


def held_until(
    *, delay: int, last_status: str | None, deregistered_at: datetime | None, now: datetime
) -> tuple[datetime, datetime] | None:
    """(deregisteredAt, until) while the pod of a task being stopped must wait, else None.

    ``last_status`` is the task's status before this pass; ``deregistered_at`` what an earlier
    pass recorded (the hold started then, whatever the status says now).
    """
    if delay <= 0:
        return None
    if deregistered_at is None:
        if last_status not in _TARGET_STATES:
            return None
        deregistered_at = now
    until = deregistered_at + timedelta(seconds=delay)
    return (deregistered_at, until) if now < until else None
