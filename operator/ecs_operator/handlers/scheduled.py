"""ScheduledTask: RunTask at every occurrence of a cron()/rate()/at() schedule (EventBridge Scheduler).

Timing design: one Kopf daemon per ScheduledTask, an asyncio task that sleeps until the next
instant something is due — the next occurrence (or its flexible invocation), a retry — and
wakes early only when its object's spec changes or one of its tasks fails to start. Idle
schedules cost nothing: no polling, no timers per object, no API calls between fires. Kopf gives
the lifecycle for free (started on resume and creation, stopped on deletion and shutdown, with
the live body), and daemons only start once every index is filled, so a restarted operator
plans with all the tasks that earlier launches created. A single heap fed by an index would do
the same with fewer asyncio objects; at 1,000 schedules the daemons are not the cost — the API
calls are.

When a daemon wakes it reads the live body, its progress (`reconcile.scheduled.watermark`) and
the tasks earlier launches created (an index of EcsTasks by the schedule uid label), asks the
pure planner (`reconcile.scheduled.plan_invocations`) what is due, and applies the plan: create
the tasks (deterministic names: AlreadyExists means already launched, so a restart or a second
operator never launches an occurrence twice), mark and report exhausted retries, report skipped
occurrences, then write status with compare-and-swap. The API calls run in Kopf's thread pool,
which is FIFO: at a fire time the creates are queued before the work they cause (the new tasks'
placement), which keeps the lag to creation small.

Missed runs: after an outage every missed occurrence still within maximumEventAgeInSeconds is
launched once (the most recent MAX_CATCH_UP of them), older ones are skipped with a Warning
Event. Nothing before the schedule existed, or before its startDate, or before the last edit of
its spec, is backfilled: EventBridge Scheduler does not backfill either.

Deleting a ScheduledTask deletes its tasks (they are owned by it): delete with
`--cascade=orphan` to keep running ones, as deleting an EventBridge schedule would.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import kopf
from pydantic import ValidationError

from ecs_operator.api.meta import API_VERSION
from ecs_operator.api.scheduledtask import ScheduledTaskSpec, ScheduleState, parse_scheduled_task
from ecs_operator.kube import objects
from ecs_operator.kube.errors import AlreadyExists, Conflict, Invalid, KubeError, NotFound
from ecs_operator.kube.objects import SCHEDULED_TASKS, TASKS, Obj
from ecs_operator.lifecycle.observation import format_time, parse_time
from ecs_operator.reconcile import scheduled as rs
from ecs_operator.schedules import Schedule, ScheduleExpressionError, occurrence_key

GROUP, VERSION = "ecs-operator.dev", "v1alpha1"
MAX_SLEEP = 300.0  # re-plan at least this often: a level-triggered safety net, and clock steps
EARLY = 0.001  # asyncio may fire a timer a hair early; sleep this much past the due instant
ERROR_BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
RECENT = timedelta(minutes=10)  # how long a task created here is trusted before the index has it
T = TypeVar("T")

# The daemons of this process, by schedule uid: how to wake one, and the generation it planned.
_WAKERS: dict[str, asyncio.Event] = {}
_PLANNED: dict[str, int] = {}
# Kopf's thread pool (FIFO, shared with the sync handlers); daemons are not passed `settings`.
_EXECUTOR: list[Executor] = []


def _wake(uid: str) -> None:
    event = _WAKERS.get(uid)
    if event is not None:
        event.set()


@kopf.on.startup()
def remember_executor(settings: kopf.OperatorSettings, **_: Any) -> None:
    _EXECUTOR[:] = [settings.execution.executor]


@kopf.index(GROUP, VERSION, "ecstasks", labels={rs.LABEL_SCHEDULE_UID: kopf.PRESENT})
async def scheduled_task_runs(body: kopf.Body, labels: kopf.Labels, **_: Any) -> dict[str, rs.TaskRun] | None:
    """The tasks each schedule launched (by schedule uid): the retry state and what exists."""
    run = rs.task_run(body)
    return {str(labels[rs.LABEL_SCHEDULE_UID]): run} if run is not None else None


@kopf.on.event(GROUP, VERSION, "ecstasks", labels={rs.LABEL_SCHEDULE_UID: kopf.PRESENT})
async def scheduled_task_run_changed(labels: kopf.Labels, status: kopf.Status, **_: Any) -> None:
    """A launched task that failed to start may be due for a retry: wake its schedule."""
    if status.get("lastStatus") == "STOPPED" and status.get("stopCode") == "TaskFailedToStart":
        _wake(str(labels[rs.LABEL_SCHEDULE_UID]))


@kopf.on.event(GROUP, VERSION, "scheduledtasks")
async def scheduled_task_changed(uid: str, meta: kopf.Meta, **_: Any) -> None:
    """A spec change (not our own status writes) makes the daemon plan again at once."""
    planned = _PLANNED.get(uid)
    if planned is not None and planned != meta.get("generation"):
        _wake(uid)


@kopf.daemon(GROUP, VERSION, "scheduledtasks", cancellation_backoff=5.0, cancellation_timeout=5.0)
async def scheduled_task_daemon(
    body: kopf.Body,
    uid: str,
    stopped: kopf.DaemonStopped,
    logger: logging.Logger | logging.LoggerAdapter[Any],
    **kwargs: Any,
) -> None:
    executor = _EXECUTOR[0] if _EXECUTOR else None
    runner = Runner(body, uid, executor, kwargs["scheduled_task_runs"], logger)
    await runner.run(stopped)


@dataclass
class Parsed:
    """A generation's spec, parsed once: the schedule, the policy, the raw target."""

    spec: ScheduledTaskSpec
    schedule: Schedule
    policy: rs.Policy
    target: dict[str, Any]


class Runner:
    """The loop of one schedule's daemon."""

    def __init__(
        self,
        body: kopf.Body,
        uid: str,
        executor: Executor | None,
        index: kopf.Index[str, rs.TaskRun],
        logger: logging.Logger | logging.LoggerAdapter[Any],
    ) -> None:
        self.body, self.uid, self.executor, self.index, self.logger = body, uid, executor, index, logger
        self.wake = asyncio.Event()
        self.generation: int | None = None
        self.parsed: Parsed | str | None = None  # str: why the spec is invalid
        self.watermark: datetime | None = None  # what this process handled, for self.generation
        self.recent: dict[str, rs.TaskRun] = {}  # created here, not in the index yet

    async def run(self, stopped: kopf.DaemonStopped) -> None:
        _WAKERS[self.uid] = self.wake
        stop = asyncio.ensure_future(stopped.wait())
        errors = 0
        try:
            while not stopped:
                self.wake.clear()
                try:
                    delay = await self.round()
                    errors = 0
                except (KubeError, OSError) as exc:
                    delay = ERROR_BACKOFF[min(errors, len(ERROR_BACKOFF) - 1)]
                    errors += 1
                    self.logger.warning(f"scheduled task: {exc}; planning again in {delay:.0f}s")
                except Exception:  # a bug must not end the schedule: log it, back off, go on
                    delay = ERROR_BACKOFF[-1]
                    self.logger.exception("scheduled task: unexpected error")
                waiters: set[asyncio.Future[Any]] = {stop, asyncio.ensure_future(self.wake.wait())}
                timeout = MAX_SLEEP if delay is None else min(max(delay, 0.0) + EARLY, MAX_SLEEP)
                _, pending = await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                for waiter in pending - {stop}:
                    waiter.cancel()
        finally:
            stop.cancel()
            if _WAKERS.get(self.uid) is self.wake:
                del _WAKERS[self.uid]
                _PLANNED.pop(self.uid, None)

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A blocking API call, in Kopf's thread pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args, **kwargs))

    # -- one round --------------------------------------------------------------------------------

    async def round(self) -> float | None:
        """Plan and apply what is due; returns the seconds until the next wake (None: on change)."""
        obj = objects.plain(self.body)
        meta = obj["metadata"]
        if meta.get("deletionTimestamp"):
            return None
        generation = int(meta.get("generation", 1))
        if generation != self.generation:
            self.generation, self.watermark = generation, None
            self.parsed = parse(obj)
            _PLANNED[self.uid] = generation
        parsed = self.parsed
        now = datetime.now(UTC)
        if not isinstance(parsed, Parsed):
            await self.report_invalid(obj, generation, str(parsed), now)
            return None
        if parsed.spec.state is ScheduleState.DISABLED:
            ready = rs.Ready(False, rs.DISABLED, "The schedule is DISABLED: nothing is launched.")
            await self.write_status(obj, rs.Outcome(generation, ready), now)
            return None

        status = obj.get("status") or {}
        mark = rs.watermark(status, generation, now, self.watermark)
        runs = self.runs()
        plan = rs.plan_invocations(parsed.schedule, self.uid, parsed.policy, mark, now, runs)
        launched, failed = await self.launch(obj, parsed, plan.launches, now)
        for skipped in plan.skipped:
            more = "+" if skipped.more else ""
            kopf.warn(
                self.body,
                reason="MissedRunsSkipped",
                message=f"Skipped {skipped.count}{more} invocation(s) scheduled from "
                f"{format_time(skipped.first)} to {format_time(skipped.last)}: {skipped.reason}.",
            )
        if plan.give_ups:
            await self.give_up(obj, plan.give_ups)
        if failed:  # not written off: the occurrence stays due and the next round tries again
            return ERROR_BACKOFF[1]
        self.watermark = plan.handled_through
        await self.write_status(obj, self.outcome(generation, parsed, plan, [*runs, *launched], now), now)
        if plan.wake_at is None:
            return None
        return (plan.wake_at - datetime.now(UTC)).total_seconds()

    def runs(self) -> list[rs.TaskRun]:
        """The tasks launched so far: the index, and what this process created that it lacks yet."""
        indexed = list(self.index.get(self.uid, ()))
        names = {run.name for run in indexed}
        horizon = datetime.now(UTC) - RECENT
        self.recent = {
            name: run
            for name, run in self.recent.items()
            if name not in names and run.created_at is not None and run.created_at > horizon
        }
        return indexed + list(self.recent.values())

    def outcome(
        self, generation: int, parsed: Parsed, plan: rs.Plan, runs: Sequence[rs.TaskRun], now: datetime
    ) -> rs.Outcome:
        first_attempts = {r.occurrence for r in runs if r.attempt == 1}
        last = max(first_attempts) if first_attempts else None
        last_run = rs.last_run(last, runs, now) if last is not None else None
        spec = parsed.spec
        if plan.next_schedule_time is None:
            ready = rs.Ready(True, rs.COMPLETED, "The schedule has no further occurrences.")
        else:
            zone = spec.schedule_expression_timezone
            ready = rs.Ready(True, rs.SCHEDULED, f"{spec.schedule_expression} in {zone}.")
        return rs.Outcome(generation, ready, plan.next_schedule_time, last, last_run)

    # -- applying the plan ------------------------------------------------------------------------

    async def launch(
        self, obj: Obj, parsed: Parsed, launches: Sequence[rs.Launch], now: datetime
    ) -> tuple[list[rs.TaskRun], bool]:
        """Create the tasks (RunTask); returns those that exist now (created, or found already
        there), and whether a transient error left some not created."""
        planned = [
            (rs.TaskRun(name, launch.occurrence, index, launch.attempt, False, None, created_at=now), body)
            for launch in launches
            for index in launch.indexes
            for body in [task_body(obj, parsed, launch.occurrence, index, launch.attempt, self.uid)]
            for name in [body["metadata"]["name"]]
        ]
        results = await asyncio.gather(
            *(self.call(create_task, body) for _, body in planned), return_exceptions=True
        )
        launched: list[rs.TaskRun] = []
        failed = False
        for (run, _), result in zip(planned, results, strict=True):
            if isinstance(result, Invalid):  # permanent: report, do not retry forever
                kopf.warn(self.body, reason="LaunchFailed", message=f"RunTask {run.name}: {result}")
            elif isinstance(result, BaseException):
                self.logger.warning(f"RunTask {run.name}: {result}")
                failed = True
            else:
                launched.append(run)
                self.recent[run.name] = run
        return launched, failed

    async def give_up(self, obj: Obj, give_ups: Sequence[rs.GiveUp]) -> None:
        """Mark each exhausted chain's last task (CAS: one replica wins), then report it once."""
        namespace = obj["metadata"]["namespace"]
        for give_up in give_ups:
            run = give_up.last
            patch = {
                "metadata": {
                    "resourceVersion": run.resource_version,
                    "annotations": {rs.ANNOTATION_RETRIES_EXHAUSTED: "true"},
                }
            }
            try:
                await self.call(objects.patch, TASKS, run.name, patch, namespace)
            except (Conflict, NotFound):
                continue  # changed meanwhile (the next round decides again) or gone
            reasons = ", ".join(sorted({str(f.get("reason")) for f in run.failures})) or "TaskFailedToStart"
            kopf.warn(
                self.body,
                reason="RetriesExhausted",
                message=f"Gave up on the invocation scheduled for {format_time(give_up.occurrence)}: "
                f"task {run.index} failed to start {run.attempt} time(s) ({reasons}); last {run.name}.",
            )

    async def report_invalid(self, obj: Obj, generation: int, error: str, now: datetime) -> None:
        status = obj.get("status") or {}
        reported = rs.observed_generation(status) == generation and any(
            c.get("reason") == rs.INVALID for c in status.get("conditions") or []
        )
        ready = rs.Ready(False, rs.INVALID, error)
        await self.write_status(obj, rs.Outcome(generation, ready), now)
        if not reported:
            kopf.warn(self.body, reason=rs.INVALID, message=error)

    async def write_status(self, obj: Obj, outcome: rs.Outcome, now: datetime) -> None:
        meta = obj["metadata"]

        def compute(current: Obj) -> Obj | None:
            return rs.status_patch(current, outcome, now)

        await self.call(objects.update_status, SCHEDULED_TASKS, meta["name"], compute, meta["namespace"], obj)


# -- pure helpers of this module ------------------------------------------------------------------


def parse(obj: Obj) -> Parsed | str:
    """The spec parsed for planning, or the reason it cannot be planned (with the position)."""
    try:
        spec = parse_scheduled_task(obj).spec
        schedule = Schedule.parse(
            spec.schedule_expression,
            timezone=spec.schedule_expression_timezone,
            start_date=spec.start_date,
            end_date=spec.end_date,
            anchor=parse_time(obj["metadata"].get("creationTimestamp")) or datetime.now(UTC),
        )
    except ScheduleExpressionError as exc:
        return str(exc)
    except ValidationError as exc:
        return f"invalid spec: {exc}"
    window = spec.flexible_time_window
    policy = rs.Policy(
        task_count=spec.target.task_count,
        window_minutes=(window.maximum_window_in_minutes or 0) if window.mode == "FLEXIBLE" else 0,
        maximum_retry_attempts=spec.retry_policy.maximum_retry_attempts,
        maximum_event_age_seconds=spec.retry_policy.maximum_event_age_in_seconds,
    )
    return Parsed(spec, schedule, policy, dict(obj["spec"]["target"]))


def task_body(obj: Obj, parsed: Parsed, occurrence: datetime, index: int, attempt: int, uid: str) -> Obj:
    """The EcsTask of one launch: RunTask with the target's parameters, owned by the schedule."""
    meta, target = obj["metadata"], parsed.target
    key = occurrence_key(uid, occurrence)
    family = str(target["taskDefinition"]).split(":", 1)[0]
    spec: Obj = {
        "cluster": obj["spec"]["cluster"],
        "taskDefinition": target["taskDefinition"],
        "launchType": target.get("launchType") or "EC2",
        "group": target.get("group") or f"family:{family}",
        "startedBy": rs.started_by(meta["name"]),
    }
    for field in ("placementStrategy", "placementConstraints", "overrides"):
        if target.get(field):
            spec[field] = target[field]
    return {
        "apiVersion": API_VERSION,
        "kind": "EcsTask",
        "metadata": {
            "name": rs.task_name(meta["name"], key, index, attempt),
            "namespace": meta["namespace"],
            "labels": {
                rs.LABEL_SCHEDULE: rs.label_value(meta["name"]),
                rs.LABEL_SCHEDULE_UID: uid,
                rs.LABEL_OCCURRENCE: key,
            },
            "annotations": {
                rs.ANNOTATION_SCHEDULED_TIME: format_time(occurrence),
                rs.ANNOTATION_INDEX: str(index),
                rs.ANNOTATION_ATTEMPT: str(attempt),
            },
            "ownerReferences": [
                {
                    "apiVersion": API_VERSION,
                    "kind": "ScheduledTask",
                    "name": meta["name"],
                    "uid": uid,
                    "controller": True,
                }
            ],
        },
        "spec": spec,
    }


def create_task(body: Obj) -> None:
    """Create the task; one that exists already was launched before (by us, a restart, a peer)."""
    with contextlib.suppress(AlreadyExists):
        objects.create(TASKS, body, body["metadata"]["namespace"])
