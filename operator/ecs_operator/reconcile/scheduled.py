"""ScheduledTask invocations as a plan: what to launch, retry, skip and report at `now` (pure).

The handler (`handlers/scheduled.py`) wakes, reads the schedule, its progress (the watermark) and
the EcsTasks earlier invocations created, and asks `plan_invocations`; the plan comes back in
buckets, in the manner of a reconciler, and the handler applies them:

- `launches`: create these tasks now. An occurrence's first attempt creates indexes 1…taskCount;
  a retry re-creates only the indexes whose latest attempt failed to start.
- `skipped`: occurrences never to be launched: too old when first seen (an outage longer than
  `maximumEventAgeInSeconds`), or beyond `MAX_CATCH_UP` (after a long outage only the most recent
  ten occurrences are launched; launching hundreds of a per-minute job at once helps nobody).
- `give_ups`: task chains whose retries ran out (attempts or event age): reported once (none when
  maximumRetryAttempts is 0: there were no retries to run out).
- `handled_through`: the new watermark; `next_schedule_time`: the first occurrence not yet
  handled (status.nextScheduleTime); `wake_at`: when something next becomes due.

Never twice. Every task name is a function of the schedule's uid, the occurrence, the index and
the attempt (`task_name`), so a launch repeated after a crash, by a restarted operator, or by a
second replica at the same moment, finds the task already there (AlreadyExists) instead of
creating another. The watermark only saves work; the names are what make it safe.

Flexible window. An occurrence O is invoked at `O + flexible_offset(uid, O, window)`
(`invocation_time`), the same instant on every replica. Its event age is measured from that
invocation, so a 15-minute window with a 60-second maximum age still launches. Occurrences whose
invocation is still ahead stay *pending*: the watermark stops just before the oldest of them,
and occurrences after it that were invoked already (offsets are not ordered) are recognised by
their tasks, which carry the occurrence in labels and annotations.

Retries (RetryPolicy). A task that ends STOPPED with TaskFailedToStart (it could not be placed)
gets a retry of its index after `retry_delay(attempt)` from its stop, named `…-<index>-r<n>`, as
long as `should_retry` allows it: at most `maximumRetryAttempts` retries, and none starting more
than `maximumEventAgeInSeconds` after the invocation. The retry state lives in the tasks
themselves (attempt and stop time), so it survives restarts; the last task of an exhausted chain
is marked `retries-exhausted` when the give-up is reported, so it is reported once.

Progress in status. There is no status field for the watermark; `status.nextScheduleTime` *is*
it: every occurrence strictly before nextScheduleTime has been launched or skipped. The Ready
condition's `observedGeneration` says which spec it was computed from (`watermark_from_status`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from ecs_operator import names
from ecs_operator.lifecycle.observation import format_time, parse_time
from ecs_operator.reconcile.conditions import set_condition
from ecs_operator.schedules import (
    Schedule,
    flexible_offset,
    occurrence_key,
    plan_due,
    retry_delay,
    should_retry,
)

# The keys a launch carries (ecs_operator.names), by the names this module's callers use.
LABEL_SCHEDULE = names.SCHEDULED_TASK_LABEL  # the ScheduledTask's name (label-safe), for people
LABEL_SCHEDULE_UID = names.SCHEDULED_TASK_UID_LABEL  # the link the operator follows
LABEL_OCCURRENCE = names.OCCURRENCE_LABEL  # occurrence_key(...)
ANNOTATION_SCHEDULED_TIME = names.SCHEDULED_TIME_ANNOTATION  # the occurrence, RFC 3339
ANNOTATION_INDEX = names.TASK_INDEX_ANNOTATION  # 1 … taskCount
ANNOTATION_ATTEMPT = names.ATTEMPT_ANNOTATION  # 1 = the invocation, 2… = retries
ANNOTATION_RETRIES_EXHAUSTED = names.RETRIES_EXHAUSTED_ANNOTATION  # on the last task of a chain given up

MAX_CATCH_UP = 10  # occurrences launched at most per wake, the most recent ones
COUNT_LIMIT = 10_000  # skipped occurrences are counted up to this many (then "more than")
MAX_NAME_PREFIX = 253 - 30  # room for "-<occurrence key 19>-<index>-r<attempt>"
_TICK = timedelta(microseconds=1)


# -- names ---------------------------------------------------------------------------------------


def task_name(schedule_name: str, key: str, index: int, attempt: int) -> str:
    """`<schedule>-<occurrence key>-<index>`, and `-r<n>` for the n-th retry (a DNS subdomain)."""
    prefix = schedule_name[:MAX_NAME_PREFIX].rstrip("-.")
    base = f"{prefix}-{key}-{index}"
    return base if attempt == 1 else f"{base}-r{attempt - 1}"


def started_by(schedule_name: str) -> str:
    """`ecs-sched/<name>`: startedBy allows 128 of [A-Za-z0-9/_-], so dots become underscores."""
    return ("ecs-sched/" + schedule_name.replace(".", "_"))[:128]


def label_value(text: str) -> str:
    """A name as a label value: at most 63 characters, starting and ending alphanumeric."""
    return text[:63].strip("-._")


def invocation_time(uid: str, occurrence: datetime, window_minutes: int) -> datetime:
    """When an occurrence is invoked: the occurrence itself, or later within the flexible window."""
    if window_minutes == 0:
        return occurrence
    return occurrence + flexible_offset(uid, occurrence, window_minutes)


# -- what was launched before --------------------------------------------------------------------


@dataclass(frozen=True)
class TaskRun:
    """One EcsTask an invocation created, as observed (from the operator's index of them)."""

    name: str
    occurrence: datetime
    index: int
    attempt: int
    failed_to_start: bool  # STOPPED with TaskFailedToStart: a candidate for a retry
    stopped_at: datetime | None
    failures: tuple[Mapping[str, Any], ...] = ()
    retries_exhausted: bool = False
    resource_version: str = ""
    created_at: datetime | None = None


def task_run(obj: Mapping[str, Any]) -> TaskRun | None:
    """The TaskRun of an EcsTask object; None when it does not carry a launch's annotations."""
    meta = obj.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    status = obj.get("status") or {}
    try:
        occurrence = parse_time(annotations.get(ANNOTATION_SCHEDULED_TIME))
        index = int(annotations.get(ANNOTATION_INDEX, ""))
        attempt = int(annotations.get(ANNOTATION_ATTEMPT, ""))
        stopped_at = parse_time(status.get("stoppedAt"))
        created_at = parse_time(meta.get("creationTimestamp"))
    except (TypeError, ValueError):
        return None
    if occurrence is None or index < 1 or attempt < 1:
        return None
    failed = status.get("lastStatus") == "STOPPED" and status.get("stopCode") == "TaskFailedToStart"
    return TaskRun(
        name=str(meta.get("name", "")),
        occurrence=occurrence,
        index=index,
        attempt=attempt,
        failed_to_start=failed,
        stopped_at=stopped_at,
        failures=tuple(dict(f) for f in status.get("failures") or []),
        retries_exhausted=annotations.get(ANNOTATION_RETRIES_EXHAUSTED) == "true",
        resource_version=str(meta.get("resourceVersion", "")),
        created_at=created_at,
    )


# -- the plan ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """The parts of a ScheduledTask spec that decide what is launched when."""

    task_count: int = 1
    window_minutes: int = 0  # 0: flexible time window OFF
    maximum_retry_attempts: int = 185
    maximum_event_age_seconds: int = 86400


@dataclass(frozen=True)
class Launch:
    """Create the tasks `indexes` of `occurrence`, attempt `attempt` (1 = the invocation)."""

    occurrence: datetime
    attempt: int
    indexes: tuple[int, ...]


@dataclass(frozen=True)
class Skipped:
    """Occurrences that will never be launched, and why (for one Event)."""

    reason: str
    first: datetime
    last: datetime
    count: int
    more: bool = False  # count is a lower bound


@dataclass(frozen=True)
class GiveUp:
    """A chain of attempts of one task index whose retries ran out."""

    occurrence: datetime
    last: TaskRun


@dataclass(frozen=True)
class Plan:
    launches: tuple[Launch, ...]
    skipped: tuple[Skipped, ...]
    give_ups: tuple[GiveUp, ...]
    handled_through: datetime
    next_schedule_time: datetime | None
    wake_at: datetime | None


def plan_invocations(
    schedule: Schedule,
    uid: str,
    policy: Policy,
    watermark: datetime | None,
    now: datetime,
    runs: Sequence[TaskRun],
    catch_up: int = MAX_CATCH_UP,
) -> Plan:
    """Everything due at `now`; never an occurrence at or before `watermark`, never a task twice."""
    window = policy.window_minutes
    max_age = timedelta(seconds=policy.maximum_event_age_seconds)
    # Look back far enough for an occurrence whose invocation is up to a window after it.
    due = plan_due(schedule, watermark, now, policy.maximum_event_age_seconds + window * 60)
    by_occurrence: dict[datetime, list[TaskRun]] = defaultdict(list)
    for run in runs:
        by_occurrence[run.occurrence].append(run)

    pending: list[tuple[datetime, datetime]] = []  # (invocation, occurrence), invocation ahead
    late: list[datetime] = []
    fresh: list[Launch] = []
    for occurrence in due.launch:
        launched = {r.index for r in by_occurrence.get(occurrence, ()) if r.attempt == 1}
        missing = tuple(i for i in range(1, policy.task_count + 1) if i not in launched)
        if not missing:
            continue  # launched before (flexible offsets are unordered; or a restart)
        invoked = invocation_time(uid, occurrence, window)
        if invoked > now:
            pending.append((invoked, occurrence))
        elif now - invoked > max_age:
            late.append(occurrence)
        else:
            fresh.append(Launch(occurrence, 1, missing))
    capped = [launch.occurrence for launch in fresh[: max(0, len(fresh) - catch_up)]]
    fresh = fresh[len(capped) :]

    retries, give_ups, retry_wakes = _retries(uid, policy, now, by_occurrence)

    skipped: list[Skipped] = []
    expired = [*due.expired, *late]  # oldest first: every listed expired one precedes the late ones
    if expired:
        count, last, more = len(expired), expired[-1], False
        if due.expired_truncated:  # plan_due lists EXPIRED_LISTED at most: count the rest
            extra, last_extra, more = _count(
                schedule, due.expired[-1], now - max_age - timedelta(minutes=window)
            )
            count += extra
            last = max(last, last_extra)
        reason = f"older than maximumEventAgeInSeconds ({policy.maximum_event_age_seconds})"
        skipped.append(Skipped(reason, expired[0], last, count, more))
    if capped:
        reason = f"beyond the catch-up limit of {catch_up} occurrences"
        skipped.append(Skipped(reason, capped[0], capped[-1], len(capped)))

    pending_occurrences = [occurrence for _, occurrence in pending]
    if pending_occurrences:  # stop just before the oldest occurrence not invoked yet
        handled_through = min(pending_occurrences) - _TICK
        next_time: datetime | None = min(pending_occurrences)
    else:
        handled_through, next_time = due.handled_through, due.next_occurrence
    wakes = [invoked for invoked, _ in pending] + retry_wakes
    if due.next_occurrence is not None:
        wakes.append(due.next_occurrence)  # flexible: it becomes pending then; OFF: its invocation
    return Plan(
        launches=tuple(fresh) + tuple(retries),
        skipped=tuple(skipped),
        give_ups=tuple(give_ups),
        handled_through=handled_through,
        next_schedule_time=next_time,
        wake_at=min(wakes) if wakes else None,
    )


def hold(plan: Plan, failed: Sequence[datetime]) -> Plan:
    """The plan's progress when the first launch of the occurrences `failed` did not happen (a
    transient API error): the watermark stops just before the oldest of them, which stays
    nextScheduleTime, so the next round launches it again (the names make that safe)."""
    if not failed:
        return plan
    oldest = min(failed)
    next_time = oldest if plan.next_schedule_time is None else min(oldest, plan.next_schedule_time)
    return replace(
        plan, handled_through=min(plan.handled_through, oldest - _TICK), next_schedule_time=next_time
    )


def _count(schedule: Schedule, after: datetime, before: datetime) -> tuple[int, datetime, bool]:
    """How many occurrences lie in (after, before), the last of them, and whether counting stopped."""
    count, last = 0, after
    for occurrence in schedule.occurrences_between(after, before - _TICK):
        count, last = count + 1, occurrence
        if count >= COUNT_LIMIT:
            return count, last, True
    return count, last, False


def _retries(
    uid: str, policy: Policy, now: datetime, by_occurrence: Mapping[datetime, Sequence[TaskRun]]
) -> tuple[list[Launch], list[GiveUp], list[datetime]]:
    """Per task index: retry its latest attempt if that failed to start, when allowed and due.

    With maximumRetryAttempts 0 nothing is retried and nothing is reported as exhausted: the
    failure is in the task's own TaskFailedToStart Event and in status.lastRun.failures.
    """
    launches: dict[tuple[datetime, int], list[int]] = defaultdict(list)
    give_ups: list[GiveUp] = []
    wakes: list[datetime] = []
    if policy.maximum_retry_attempts == 0:
        return [], give_ups, wakes
    max_age = timedelta(seconds=policy.maximum_event_age_seconds)
    for occurrence, runs in sorted(by_occurrence.items()):
        latest: dict[int, TaskRun] = {}
        for run in runs:
            if run.index not in latest or run.attempt > latest[run.index].attempt:
                latest[run.index] = run
        key = occurrence_key(uid, occurrence)
        invoked = invocation_time(uid, occurrence, policy.window_minutes)
        for index, run in sorted(latest.items()):
            if not run.failed_to_start or run.retries_exhausted:
                continue
            stopped = run.stopped_at or now
            retry_at = stopped + retry_delay(run.attempt, seed=key)
            allowed = should_retry(
                run.attempt,
                invoked,
                stopped,
                policy.maximum_retry_attempts,
                policy.maximum_event_age_seconds,
                seed=key,
            )
            if not allowed or max(now, retry_at) - invoked > max_age:
                give_ups.append(GiveUp(occurrence, run))
            elif retry_at <= now:
                launches[(occurrence, run.attempt + 1)].append(index)
            else:
                wakes.append(retry_at)
    retries = [Launch(occ, attempt, tuple(indexes)) for (occ, attempt), indexes in sorted(launches.items())]
    return retries, give_ups, wakes


# -- progress in status --------------------------------------------------------------------------

READY = "Ready"
SCHEDULED, COMPLETED, DISABLED, INVALID = "Scheduled", "Completed", "Disabled", "InvalidSchedule"
LAUNCH_FAILED = "LaunchFailed"
MAX_LAST_RUN_FAILURES = 20


@dataclass(frozen=True)
class Ready:
    status: bool
    reason: str
    message: str


def _condition(status: Mapping[str, Any], type: str) -> Mapping[str, Any] | None:
    return next((c for c in status.get("conditions") or [] if c.get("type") == type), None)


def observed_generation(status: Mapping[str, Any]) -> int | None:
    """The generation the operator last planned with (the Ready condition's), if any."""
    ready = _condition(status, READY)
    value = ready.get("observedGeneration") if ready is not None else None
    return int(value) if value is not None else None


def ready_reason(status: Mapping[str, Any]) -> str | None:
    """The Ready condition's reason, if any."""
    ready = _condition(status, READY)
    return str(ready.get("reason")) if ready is not None else None


def watermark(
    status: Mapping[str, Any], generation: int, now: datetime, remembered: datetime | None = None
) -> datetime | None:
    """The watermark to plan with: every occurrence at or before it has been handled.

    `remembered` is what this process planned last for this generation (status read from a watch
    may lag behind its own write). From status, for the same generation: just before
    nextScheduleTime, or `now` once the schedule has completed. A spec edited since the status
    was written starts at `now`: the new schedule's occurrences before the edit are not backfilled
    (EventBridge neither backfills a schedule's past when it is created or updated). None: never
    handled, so `plan_due` starts at the schedule's creation (or startDate, if later).
    """
    current = observed_generation(status) == generation
    if remembered is not None and not current:
        return remembered
    from_status: datetime | None
    if observed_generation(status) is None:
        from_status = None
    elif not current:
        from_status = now - _TICK
    elif (next_time := parse_time(status.get("nextScheduleTime"))) is not None:
        from_status = next_time - _TICK
    elif (_condition(status, READY) or {}).get("reason") in (COMPLETED, DISABLED):
        from_status = now - _TICK
    else:
        from_status = None
    if remembered is None:
        return from_status
    return remembered if from_status is None else max(remembered, from_status)


def last_run(occurrence: datetime, runs: Sequence[TaskRun], now: datetime) -> dict[str, Any]:
    """status.lastRun for `occurrence`: its tasks (every attempt), and why the latest ones failed."""
    mine = sorted((r for r in runs if r.occurrence == occurrence), key=lambda r: (r.index, r.attempt))
    tasks = list(dict.fromkeys(r.name for r in mine))
    first = [r.created_at for r in mine if r.attempt == 1 and r.created_at is not None]
    latest: dict[int, TaskRun] = {}
    for run in mine:
        latest[run.index] = run  # sorted by attempt within an index: the last one wins
    failures: list[dict[str, Any]] = []
    for run in latest.values():
        if run.failed_to_start:
            failures += [dict(f) for f in run.failures] or [{"reason": "TaskFailedToStart", "arn": run.name}]
    return {
        "scheduledTime": format_time(occurrence),
        "launchedAt": format_time(min(first) if first else now),
        "tasks": tasks,
        "failures": failures[:MAX_LAST_RUN_FAILURES],
    }


@dataclass(frozen=True)
class Outcome:
    """What one round wants the status to say."""

    generation: int
    ready: Ready
    next_schedule_time: datetime | None = None
    last_schedule_time: datetime | None = None
    last_run: Mapping[str, Any] | None = None


def status_patch(obj: Mapping[str, Any], outcome: Outcome, now: datetime) -> dict[str, Any] | None:
    """The status merge patch taking `obj` (as read) to `outcome`; None when nothing changes.

    Several writers (a restarted operator, a second replica, a round whose view lagged) may race;
    each write is a compare-and-swap, and this merge keeps progress monotonic within a generation:
    nextScheduleTime and lastScheduleTime never move back, lastRun never goes back to an older
    occurrence, and the tasks of one lastRun accumulate. A spec edited since the round read it
    gets no write at all: the next round plans with the new spec.
    """
    if int((obj.get("metadata") or {}).get("generation", 1)) != outcome.generation:
        return None
    status = obj.get("status") or {}
    same = observed_generation(status) == outcome.generation
    out: dict[str, Any] = {}

    current_next = parse_time(status.get("nextScheduleTime"))
    next_time = outcome.next_schedule_time
    if same and (current_next is None or (next_time is not None and next_time < current_next)):
        next_time = current_next  # None is "no further occurrence", later than any time
    if next_time != current_next:
        out["nextScheduleTime"] = format_time(next_time)  # None deletes the field

    current_last = parse_time(status.get("lastScheduleTime"))
    if outcome.last_schedule_time is not None and (
        current_last is None or outcome.last_schedule_time > current_last
    ):
        out["lastScheduleTime"] = format_time(outcome.last_schedule_time)

    if outcome.last_run is not None:
        run = _merge_last_run(status.get("lastRun"), outcome.last_run)
        if run != status.get("lastRun"):
            out["lastRun"] = run

    ready = outcome.ready
    conditions = set_condition(
        status.get("conditions") or [],
        type=READY,
        status=ready.status,
        reason=ready.reason,
        message=ready.message,
        now=now,
        generation=outcome.generation,
    )
    if conditions != list(status.get("conditions") or []):
        out["conditions"] = conditions
    return out or None


def _merge_last_run(current: Mapping[str, Any] | None, wanted: Mapping[str, Any]) -> Mapping[str, Any]:
    if not current:
        return wanted
    current_time = parse_time(current.get("scheduledTime"))
    wanted_time = parse_time(wanted.get("scheduledTime"))
    if current_time is None or wanted_time is None or current_time < wanted_time:
        return wanted
    if current_time > wanted_time:
        return current
    tasks = list(current.get("tasks") or [])
    tasks += [t for t in wanted.get("tasks") or [] if t not in tasks]
    # The first writer saw the launch itself; later rounds only see second-precision timestamps.
    merged = {**wanted, "tasks": tasks}
    if current.get("launchedAt"):
        merged["launchedAt"] = current["launchedAt"]
    return merged
