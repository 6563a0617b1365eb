"""Which occurrences are due now — the missed-runs decision, as a plan the handler applies.

The operator keeps, per ScheduledTask, a watermark: every occurrence at or before it has been
decided (launched or given up). Each time the handler wakes — on time, late, or after the operator
was down — it asks `plan_due` and gets buckets, in the manner of a reconciler:

- `launch`: occurrences after the watermark and at or before `now` that are no older than
  `maximumEventAgeInSeconds` — what EventBridge would still deliver. Oldest first. The handler
  names each task with `occurrence_key`, so a launch repeated after a crash, or by a second
  replica, finds the task already there instead of creating another.
- `expired`: occurrences after the watermark too old to deliver: they are skipped and reported in
  an Event, never launched. Only the oldest `EXPIRED_LISTED` are listed (`expired_truncated` says
  there were more): counting months of per-minute occurrences would cost more than the Event is
  worth, and skipping them needs no enumeration at all.
- `handled_through`: the new watermark, to store once the plan is applied (it never moves back).
- `next_occurrence`: the first occurrence after `now` — status.nextScheduleTime and when to wake.

Without a watermark (a schedule never handled) nothing before the schedule's `not_before` exists
(startDate, or its creation time); if that is unknown too, only what is still deliverable counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .schedule import Schedule, to_utc

EXPIRED_LISTED = 10
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class DuePlan:
    launch: tuple[datetime, ...]
    expired: tuple[datetime, ...]
    expired_truncated: bool
    handled_through: datetime
    next_occurrence: datetime | None


def plan_due(
    schedule: Schedule,
    last_handled_occurrence: datetime | None,
    now: datetime,
    maximum_event_age_seconds: int,
) -> DuePlan:
    """The occurrences to launch and to skip at `now`, never one at or before the watermark."""
    now = to_utc(now, "now")
    oldest_deliverable = now - timedelta(seconds=maximum_event_age_seconds)
    if last_handled_occurrence is not None:
        watermark = to_utc(last_handled_occurrence, "last_handled_occurrence")
    elif schedule.not_before is not None:
        watermark = schedule.not_before - _TICK
    else:
        watermark = oldest_deliverable - _TICK

    expired: list[datetime] = []
    cursor = watermark
    while (occurrence := schedule.next_after(cursor)) is not None and occurrence < oldest_deliverable:
        if len(expired) == EXPIRED_LISTED:
            break
        expired.append(occurrence)
        cursor = occurrence
    truncated = occurrence is not None and occurrence < oldest_deliverable

    launch_from = max(watermark, oldest_deliverable - _TICK)
    launch = tuple(schedule.occurrences_between(launch_from, now))
    return DuePlan(
        launch=launch,
        expired=tuple(expired),
        expired_truncated=truncated,
        handled_through=max(watermark, now),
        next_occurrence=schedule.next_after(max(watermark, now)),
    )
