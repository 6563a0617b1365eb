"""The throttle on tasks that keep failing to start (ecs-semantics §3.5, decision 5).

Why: a service whose tasks go from PENDING to STOPPED without ever RUNNING (bad image, missing
secret, no capacity) would otherwise relaunch them in a tight loop. ECS spaces the attempts out,
up to 27 minutes, and says so with ``is unable to consistently start tasks successfully.``

| after the n-th consecutive failed launch attempt | next launch not before |
|--------------------------------------------------|------------------------|
| 1                                                | now + 10 s             |
| 2                                                | now + 20 s             |
| n                                                | now + 10 s × 2^(n-1)   |
| 9 and later                                      | now + 27 min (cap)     |

Rules:

- Only failures of tasks of the current task definition count; tasks failing after RUNNING are
  never throttled (they are the circuit breaker's business).
- [I] An attempt is one plan's worth of new failures: tasks launched together and failing
  together are one failed attempt, so a large service is not sent to the 27-minute cap by a
  single bad launch. (Counting tasks one by one would give 10 × 2^(N-1) after N tasks of one batch.)
- A task of the current task definition that reached RUNNING after the last failure ends the
  streak; a new task definition (a new PRIMARY revision, including a rollback) resets at once.
- The event is wanted from the 3rd consecutive failed attempt on [I] (one failure is not
  "consistently"), and only stops being wanted when the streak ends.
- Only starts wait; stops never do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .records import ServiceTask
from .state import SchedulerState

BASE_DELAY = timedelta(seconds=10)
MAX_DELAY = timedelta(minutes=27)
IMPAIRED_AFTER = 3


def delay(attempts: int) -> timedelta:
    """The wait after ``attempts`` consecutive failed launch attempts (0: none)."""
    if attempts <= 0:
        return timedelta(0)
    if attempts > 20:  # 10 s × 2^19 is far past the cap; avoid huge numbers
        return MAX_DELAY
    return min(BASE_DELAY * (1 << (attempts - 1)), MAX_DELAY)


@dataclass(frozen=True)
class Throttle:
    state: SchedulerState
    until: datetime | None
    """Starts wait until then (None: not throttled now)."""
    impaired: bool
    """Whether to say ``is unable to consistently start tasks successfully.``"""


def observe(
    state: SchedulerState,
    tasks: Sequence[ServiceTask],
    new_failures: Sequence[ServiceTask],
    task_definition: str,
    now: datetime,
) -> Throttle:
    """Fold this plan's observations into the throttle of ``task_definition`` (the PRIMARY's)."""
    if state.backoff_task_definition != task_definition:
        state = replace(
            state,
            backoff_task_definition=task_definition,
            start_failures=0,
            last_start_failure_at=None,
            launch_not_before=None,
        )
    last = state.last_start_failure_at
    successes = [
        t.started_at
        for t in tasks
        if t.started_at is not None
        and t.task_definition == task_definition
        and last is not None
        and t.started_at > last
    ]
    latest_ok = max(successes, default=None)
    failed_at = [
        t.stopped_at or now for t in new_failures if t.start_failed and t.task_definition == task_definition
    ]
    after_ok = [f for f in failed_at if latest_ok is None or f > latest_ok]
    attempts = 0 if latest_ok is not None else state.start_failures
    if after_ok:
        attempts += 1
        state = replace(
            state,
            start_failures=attempts,
            last_start_failure_at=max(after_ok),
            launch_not_before=now + delay(attempts),
        )
    elif latest_ok is not None:
        state = replace(state, start_failures=0, last_start_failure_at=None, launch_not_before=None)
    until = state.launch_not_before
    return Throttle(
        state,
        until if until is not None and now < until else None,
        state.start_failures >= IMPAIRED_AFTER,
    )
