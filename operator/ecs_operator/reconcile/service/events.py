"""Service event messages in ECS's wording, and the rule that keeps repeats out (ecs-semantics §3.6).

Why this module exists: ``status.events`` is what people read first when a service misbehaves;
its wording must be ECS's, and a reconciler that runs every few seconds must not flood it.

Messages (placement failures come from ``PlacementFailure.service_message``):

| situation                    | message (``service <name>`` first, then)                                |
|------------------------------|-------------------------------------------------------------------------|
| steady state                 | ``has reached a steady state.``                                         |
| tasks started                | ``has started <n> tasks: task <id> task <id>.``                         |
| tasks stopped                | ``has stopped <n> running tasks: task <id>.``                           |
| throttled start failures     | ``is unable to consistently start tasks successfully.``                 |
| bounds allow neither start   | ``was unable to stop or start tasks during a deployment because of the  |
| nor stop                     | service deployment configuration. Update the minimumHealthyPercent or   |
|                              | maximumPercent value and try again.``                                   |
| deployment completed         | ``(deployment <id>) deployment completed.``                             |
| circuit breaker, no rollback | ``(deployment <id>) deployment failed: tasks failed to start.``         |
| circuit breaker, rollback    | ``(deployment <id>) deployment failed: ECS deployment circuit breaker:  |
|                              | rolling back to deploymentId <id>.``                                    |
| scale-in blocked by task     | ``was unable to reach steady state because task set <deployment id> was |
| protection (§3.6)            | unable to scale in. Reason: The number of protected tasks are more than |
|                              | the desired count of tasks.``                                           |
| DAEMON constraint no longer  | ``stopped task <id> because container-instance <ci> no longer meets the |
| met (SERVICE_DAEMON_PLACE-   | placement constraints of the service.``                                 |
| MENT_CONSTRAINT_VIOLATED)    |                                                                         |

Suppression [I] (ECS suppresses a duplicate until its cause clears or 6 h pass). Each plan lists
the messages it *wants* to say; their digests are remembered (``SchedulerState.active_messages``).
A wanted message is emitted unless it was already wanted by the previous plan (its cause has not
cleared) *and* ``status.events`` holds it from less than 6 h ago. So "steady state" is emitted when
the service reaches it, then every 6 h while it stays; "unable to place" once per episode.

Events are newest first, at most 100, with deterministic ids (``naming.event_id``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ecs_operator.api import ServiceEvent

from .naming import event_id, message_digest

MAX_EVENTS = 100
REPEAT_AFTER = timedelta(hours=6)


def steady_state(service: str) -> str:
    return f"service {service} has reached a steady state."


def started(service: str, tasks: Sequence[str]) -> str:
    return f"service {service} has started {len(tasks)} tasks: {_list(tasks)}."


def stopped(service: str, tasks: Sequence[str]) -> str:
    return f"service {service} has stopped {len(tasks)} running tasks: {_list(tasks)}."


def start_impaired(service: str) -> str:
    return f"service {service} is unable to consistently start tasks successfully."


def stuck(service: str) -> str:
    return (
        f"service {service} was unable to stop or start tasks during a deployment because of the service "
        "deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again."
    )


def deployment_completed(service: str, deployment: str) -> str:
    return f"service {service} (deployment {deployment}) deployment completed."


def deployment_failed(service: str, deployment: str, rollback_to: str | None) -> str:
    if rollback_to is None:
        return f"service {service} (deployment {deployment}) deployment failed: tasks failed to start."
    return (
        f"service {service} (deployment {deployment}) deployment failed: "
        f"ECS deployment circuit breaker: rolling back to deploymentId {rollback_to}."
    )


def protected_scale_in(service: str, task_set: str) -> str:
    """Protected tasks outnumber what the task set (a deployment) may keep: PRIMARY's
    desiredCount, or 0 for an older deployment being replaced."""
    return (
        f"service {service} was unable to reach steady state because task set {task_set} was unable to "
        "scale in. Reason: The number of protected tasks are more than the desired count of tasks."
    )


def daemon_constraint_violated(service: str, task: str, instance: str) -> str:
    return (
        f"service {service} stopped task {task} because container-instance {instance} no longer meets "
        "the placement constraints of the service."
    )


def _list(tasks: Sequence[str]) -> str:
    return " ".join(f"task {t}" for t in tasks)


@dataclass(frozen=True)
class Emitted:
    new: tuple[ServiceEvent, ...]
    """The events this plan adds, newest first."""
    events: tuple[ServiceEvent, ...]
    """``status.events`` after the plan: newest first, at most 100."""
    active: tuple[str, ...]
    """Digests of every wanted message, for the next plan."""
    repeat_at: datetime | None
    """When a suppressed message may be emitted again (to re-check then)."""


def emit(
    wanted: Sequence[str],
    previous: Sequence[ServiceEvent],
    active: Sequence[str],
    *,
    service_uid: str,
    now: datetime,
) -> Emitted:
    """Apply the suppression rule to ``wanted`` (in the order they happened) and merge."""
    last_said: dict[str, datetime] = {}
    for event in previous:
        if event.message not in last_said or event.created_at > last_said[event.message]:
            last_said[event.message] = event.created_at
    still_active = set(active)
    said: list[str] = []
    digests: list[str] = []
    repeat_at: datetime | None = None
    for message in dict.fromkeys(wanted):  # once per plan, in order
        digest = message_digest(message)
        digests.append(digest)
        last = last_said.get(message)
        if digest in still_active and last is not None and now - last < REPEAT_AFTER:
            again = last + REPEAT_AFTER
            repeat_at = again if repeat_at is None else min(repeat_at, again)
            continue
        said.append(message)
    new = tuple(
        ServiceEvent(id=event_id(service_uid, now, message, n), created_at=now, message=message)
        for n, message in reversed(list(enumerate(said)))
    )
    return Emitted(new, (*new, *previous)[:MAX_EVENTS], tuple(digests), repeat_at)


def invalid_spec(service: str, message: str) -> str:
    """The spec cannot be planned (a bad expression): the service starts nothing until it is fixed."""
    return f"service {service} is unable to start tasks because its spec is invalid: {message}"


def prepend(
    previous: Sequence[ServiceEvent], message: str, *, service_uid: str, now: datetime
) -> list[ServiceEvent]:
    """``status.events`` with one more event, newest first, at most 100 (the caller dedupes)."""
    new = ServiceEvent(id=event_id(service_uid, now, message, 0), created_at=now, message=message)
    return [new, *previous][:MAX_EVENTS]
