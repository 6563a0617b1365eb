"""ScheduledTask: RunTask at every occurrence of a cron()/rate()/at() schedule (EventBridge Scheduler).

Timing design: one Kopf daemon per ScheduledTask, an asyncio task that sleeps until something is
next due — the next occurrence (or its flexible invocation), a retry — and wakes early only when
its spec changes or one of its tasks fails to start. Idle schedules cost nothing: no polling, no
per-object timers, no API calls between fires. Kopf gives the lifecycle (started on resume and
creation, stopped on deletion and shutdown, with a live body), and starts daemons only once every
index is filled, so a restarted operator plans with all the tasks earlier launches created. (A
single heap fed by an index would do the same with fewer asyncio objects; at 1,000 schedules the
daemons are not the cost, the API calls are.)

Prepare, then fire: a daemon wakes LEAD (3 s) before the instant, plans for that instant, builds
the task bodies, opens connections if the API server may have closed them (`AsyncCreator.warm`),
sleeps the rest, and at the instant only sends the requests. The creates go out
from the event loop (`kube.creator`, see there why not threads), and the status write that follows
is deferred by 2–10 s (spread per schedule): at a fire time of 1,000 schedules the API server
serves the creates first. The watermark this process keeps in memory covers the gap.

A round: read the live body, the progress (`reconcile.scheduled.watermark`) and the tasks earlier
launches created (an index of EcsTasks by the schedule-uid label); ask the pure planner
(`reconcile.scheduled.plan_invocations`); create the tasks — deterministic names, so AlreadyExists
means launched already and a restart or a second operator never launches an occurrence twice;
mark and report exhausted retries; report skipped occurrences; write status with compare-and-swap.

Missed runs: after an outage every missed occurrence still within maximumEventAgeInSeconds is
launched once (the most recent MAX_CATCH_UP of them); older ones are skipped with a Warning Event.
Nothing before the schedule existed, before its startDate or before the last edit of its spec is
backfilled: EventBridge Scheduler does not backfill either.

Deleting a ScheduledTask deletes its tasks (they are owned by it): delete with
`--cascade=orphan` to keep running ones, as deleting an EventBridge schedule would.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import kopf
from pydantic import ValidationError

from ecs_operator import metrics
from ecs_operator.api.meta import owner_reference
from ecs_operator.api.scheduledtask import ScheduledTaskSpec, ScheduleState, parse_scheduled_task
from ecs_operator.crashpoints import crashpoint
from ecs_operator.handlers import leadership, tenancy
from ecs_operator.kube import objects
from ecs_operator.kube.creator import AsyncCreator
from ecs_operator.kube.errors import Conflict, Invalid, KubeError, NotFound
from ecs_operator.kube.objects import SCHEDULED_TASKS, TASKS, Obj
from ecs_operator.lifecycle.observation import format_time, parse_time
from ecs_operator.names import GROUP, VERSION
from ecs_operator.reconcile import scheduled as rs
from ecs_operator.reconcile.taskbody import TaskMeta, TaskParams, task_manifest
from ecs_operator.reconcile.validation import spec_problems, summary
from ecs_operator.schedules import Schedule, ScheduleExpressionError, occurrence_key

LEAD = 3.0  # seconds: plan (and open connections) this long before a fire; at the instant, send
MAX_SLEEP = 300.0  # plan again at least this often: a level-triggered safety net, and clock steps
EARLY = 0.001  # asyncio may fire a timer a hair early; sleep this much past the due instant
STATUS_DELAY = (2.0, 8.0)  # after a launch, write status this long later: base + spread per schedule
ERROR_BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
RECENT = timedelta(minutes=10)  # how long a task created here is trusted before the index has it
T = TypeVar("T")

# The daemons of this process, by schedule uid: how to wake one, and the generation it planned.
_WAKERS: dict[str, asyncio.Event] = {}
_PLANNED: dict[str, int] = {}
# Kopf's thread pool, for the blocking calls (daemons are not given `settings`).
_EXECUTOR: list[Executor] = []


INDEX_SETTLE = 0.2
"""Seconds for Kopf to store an index entry before the schedule it wakes reads it."""


def _wake(uid: str) -> None:
    event = _WAKERS.get(uid)
    if event is not None:
        event.set()


def wake_all() -> None:
    """Every schedule plans again now (this replica just took over a cluster: handlers.resync)."""
    for event in list(_WAKERS.values()):
        event.set()


@kopf.on.startup()
def remember_executor(settings: kopf.OperatorSettings, **_: Any) -> None:
    _EXECUTOR[:] = [settings.execution.executor]


@kopf.on.cleanup()
async def close_creator(**_: Any) -> None:
    await _CREATOR.close()


@kopf.index(GROUP, VERSION, "ecstasks", labels={rs.LABEL_SCHEDULE_UID: kopf.PRESENT})
async def scheduled_task_runs(body: kopf.Body, labels: kopf.Labels, **_: Any) -> dict[str, rs.TaskRun] | None:
    """The tasks each schedule launched, by schedule uid: what exists, and the retry state.

    A task that failed to start may be due for a retry, so its schedule is woken here too: one
    function per task event instead of an index and an on.event handler.
    """
    run = rs.task_run(body)
    if run is None:
        return None
    uid = str(labels[rs.LABEL_SCHEDULE_UID])
    if run.failed_to_start:
        # Kopf stores what this returns only after it returns: a wake now would read the index
        # without this failure and sleep on (no later event of the task comes to wake it again).
        asyncio.get_running_loop().call_later(INDEX_SETTLE, _wake, uid)
    return {uid: run}


@kopf.on.event(GROUP, VERSION, "scheduledtasks")
async def scheduled_task_changed(uid: str, meta: kopf.Meta, **_: Any) -> None:
    """A spec change (not our own status writes) makes the daemon plan again at once."""
    planned = _PLANNED.get(uid)
    if planned is not None and planned != meta.get("generation"):
        _wake(uid)


@kopf.daemon(GROUP, VERSION, "scheduledtasks", cancellation_backoff=5.0, cancellation_timeout=30.0)
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
        self.reported: int | None = None  # the generation whose invalid spec was reported
        self.watermark: datetime | None = None  # what this process handled, for self.generation
        self.recent: dict[str, rs.TaskRun] = {}  # created here, not in the index yet
        self.pending_status: tuple[rs.Outcome, datetime] | None = None
        self.giving_up: dict[str, asyncio.Task[None]] = {}  # tasks being marked retries-exhausted
        self.failures = 0  # rounds in a row whose launches met a transient error
        self.status_writer: asyncio.Task[None] | None = None

    async def run(self, stopped: kopf.DaemonStopped) -> None:
        _WAKERS[self.uid] = self.wake
        stop = asyncio.ensure_future(stopped.wait())
        errors = 0
        at: datetime | None = None  # the instant the next round plans for (None: now)
        try:
            while not stopped:
                self.wake.clear()
                try:
                    wake_at = await self.round(at)
                    errors = 0
                except (KubeError, OSError) as exc:
                    backoff = ERROR_BACKOFF[min(errors, len(ERROR_BACKOFF) - 1)]
                    errors += 1
                    wake_at = datetime.now(UTC) + timedelta(seconds=backoff)
                    self.logger.warning(f"scheduled task: {exc}; planning again in {backoff:.0f}s")
                except Exception:  # a bug must not end the schedule: log it, back off, go on
                    wake_at = datetime.now(UTC) + timedelta(seconds=ERROR_BACKOFF[-1])
                    self.logger.exception("scheduled task: unexpected error")
                at, timeout = None, MAX_SLEEP
                if wake_at is not None:
                    until = (wake_at - datetime.now(UTC)).total_seconds()
                    if until - LEAD <= MAX_SLEEP:
                        at, timeout = wake_at, max(until - LEAD, 0.0)
                waiters: set[asyncio.Future[Any]] = {stop, asyncio.ensure_future(self.wake.wait())}
                done, pending = await asyncio.wait(
                    waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                for waiter in pending - {stop}:
                    waiter.cancel()
                if done:  # woken early (a change, a failed task): plan at once, for now
                    at = None
        finally:
            stop.cancel()
            for task in [self.status_writer, *self.giving_up.values()]:
                if task is not None:
                    task.cancel()
            if _WAKERS.get(self.uid) is self.wake:
                del _WAKERS[self.uid]
                _PLANNED.pop(self.uid, None)

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A blocking API call, in Kopf's thread pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args, **kwargs))

    # -- one round --------------------------------------------------------------------------------

    async def round(self, at: datetime | None) -> datetime | None:
        """Plan what is due at `at` (or now, if later), apply it at that instant; returns when
        to plan next (None: only on a change)."""
        obj = snapshot(self.body)
        meta = obj["metadata"]
        if meta.get("deletionTimestamp"):
            return None
        if not leadership.owns(str(obj["spec"].get("cluster", ""))):
            return None  # another replica fires this cluster's schedules; taking it over wakes us
        generation = int(meta.get("generation", 1))
        if generation != self.generation:
            self.generation, self.watermark = generation, None
            self.parsed = parse(objects.plain(self.body))
            _PLANNED[self.uid] = generation
        parsed = self.parsed
        now = datetime.now(UTC)
        if not isinstance(parsed, Parsed):
            self.post_status(rs.Outcome(generation, rs.Ready(False, rs.INVALID, str(parsed))), now)
            if self.reported != generation:
                self.reported = generation
                if (rs.observed_generation(obj["status"]), rs.ready_reason(obj["status"])) != (
                    generation,
                    rs.INVALID,
                ):
                    kopf.warn(self.body, reason=rs.INVALID, message=str(parsed))
            return None
        if parsed.spec.state is ScheduleState.DISABLED:
            ready = rs.Ready(False, rs.DISABLED, "The schedule is DISABLED: nothing is launched.")
            self.post_status(rs.Outcome(generation, ready), now)
            return None

        now = max(now, at) if at is not None else now
        mark = rs.watermark(obj["status"], generation, now, self.watermark)
        runs = self.runs(now)
        plan = rs.plan_invocations(parsed.schedule, self.uid, parsed.policy, mark, now, runs)
        refused = await self.refused(obj) if plan.launches else None
        launched, errors = await self.launch(obj, parsed, () if refused else plan.launches, now)
        self.give_up(obj["metadata"]["namespace"], plan.give_ups)
        for skipped in plan.skipped:  # decided for good: the watermark passes them in any case
            metrics.scheduled_runs_missed(meta["namespace"], meta["name"], skipped.count, "skipped")
            more = "+" if skipped.more else ""
            kopf.warn(
                self.body,
                reason="MissedRunsSkipped",
                message=f"Skipped {skipped.count}{more} invocation(s) scheduled from "
                f"{format_time(skipped.first)} to {format_time(skipped.last)}: {skipped.reason}.",
            )
        wake_at = plan.wake_at
        ready_override: rs.Ready | None = None
        if errors:  # transient (403, 429, 5xx, the network): hold the watermark, back off, report
            plan = rs.hold(plan, [run.occurrence for run, _ in errors if run.attempt == 1])
            self.failures += 1
            backoff = ERROR_BACKOFF[min(self.failures, len(ERROR_BACKOFF)) - 1]
            retry_at = datetime.now(UTC) + timedelta(seconds=backoff)
            wake_at = retry_at if wake_at is None else min(wake_at, retry_at)
            message = f"{len(errors)} task(s) not created, trying again in {backoff:.0f}s: {errors[0][1]}"
            ready_override = rs.Ready(False, rs.LAUNCH_FAILED, message[:1000])
            if self.failures == 1:
                kopf.warn(self.body, reason=rs.LAUNCH_FAILED, message=message[:1000])
        else:
            self.failures = 0
        if refused:  # the invocation fails for good (not retried): the namespace may not use the cluster
            ready_override = rs.Ready(False, rs.LAUNCH_FAILED, f"{tenancy.ACCESS_DENIED}: {refused}"[:1000])
        self.watermark = plan.handled_through
        outcome = self.outcome(generation, parsed, plan, [*runs, *launched], now, ready_override)
        delay = STATUS_DELAY[0] + jitter(self.uid, STATUS_DELAY[1]) if launched else 0.0
        self.post_status(outcome, now, delay)
        return wake_at

    async def refused(self, obj: Obj) -> str | None:
        """AccessDeniedException when the cluster's namespaceSelector leaves this namespace out
        (handlers/tenancy.py): each invocation due then creates nothing and says why."""
        meta = obj["metadata"]
        message = await self.call(
            tenancy.refusal, tenancy.RUN_TASK, str(obj["spec"].get("cluster", "")), meta["namespace"]
        )
        if message:
            kopf.warn(self.body, reason=tenancy.ACCESS_DENIED, message=f"RunTask not invoked: {message}")
        return message

    def runs(self, now: datetime) -> list[rs.TaskRun]:
        """The tasks launched so far: the index, and what this process created that it lacks yet."""
        indexed = list(self.index.get(self.uid, ()))
        names = {run.name for run in indexed}
        horizon = now - RECENT
        self.recent = {
            name: run
            for name, run in self.recent.items()
            if name not in names and run.created_at is not None and run.created_at > horizon
        }
        return indexed + list(self.recent.values())

    def outcome(
        self,
        generation: int,
        parsed: Parsed,
        plan: rs.Plan,
        runs: Sequence[rs.TaskRun],
        now: datetime,
        ready: rs.Ready | None = None,
    ) -> rs.Outcome:
        first_attempts = {r.occurrence for r in runs if r.attempt == 1}
        last = max(first_attempts) if first_attempts else None
        last_run = rs.last_run(last, runs, now) if last is not None else None
        if ready is None and plan.next_schedule_time is None:
            ready = rs.Ready(True, rs.COMPLETED, "The schedule has no further occurrences.")
        elif ready is None:
            spec = parsed.spec
            zone = spec.schedule_expression_timezone
            ready = rs.Ready(True, rs.SCHEDULED, f"{spec.schedule_expression} in {zone}.")
        return rs.Outcome(generation, ready, plan.next_schedule_time, last, last_run)

    # -- applying the plan ------------------------------------------------------------------------

    async def launch(
        self, obj: Obj, parsed: Parsed, launches: Sequence[rs.Launch], now: datetime
    ) -> tuple[list[rs.TaskRun], list[tuple[rs.TaskRun, str]]]:
        """Create the tasks (RunTask) at `now`; returns those that exist then (created, or found
        already there), and those a transient error left not created, with the error."""
        planned = [
            (rs.TaskRun(name, launch.occurrence, index, launch.attempt, False, None, created_at=now), body)
            for launch in launches
            for index in launch.indexes
            for body in [task_body(obj, parsed, launch.occurrence, index, launch.attempt, self.uid)]
            for name in [body["metadata"]["name"]]
        ]
        if not planned:
            return [], []
        namespace = obj["metadata"]["namespace"]
        payloads = [json.dumps(body, separators=(",", ":")).encode() for _, body in planned]
        if (now - datetime.now(UTC)).total_seconds() > 0:
            await _CREATOR.warm(len(payloads))
        if (ahead := (now - datetime.now(UTC)).total_seconds()) > 0:
            await asyncio.sleep(ahead + EARLY)  # prepared ahead: now is the instant
        results = await asyncio.gather(
            *(_CREATOR.create(namespace, payload) for payload in payloads), return_exceptions=True
        )
        launched: list[rs.TaskRun] = []
        errors: list[tuple[rs.TaskRun, str]] = []
        for (run, _), result in zip(planned, results, strict=True):
            if isinstance(result, Invalid):  # permanent: report, do not retry forever
                kopf.warn(self.body, reason=rs.LAUNCH_FAILED, message=f"RunTask {run.name}: {result}")
            elif isinstance(result, Exception):
                self.logger.warning(f"RunTask {run.name}: {result}")
                errors.append((run, str(result)))
            elif isinstance(result, BaseException):
                raise result
            else:
                crashpoint("between-creates")  # some of this occurrence's tasks exist, maybe not all
                launched.append(run)
                self.recent[run.name] = run
                if result:  # created now (not found there): the lag of this invocation
                    invoked = rs.invocation_time(self.uid, run.occurrence, parsed.policy.window_minutes)
                    metrics.scheduled_task_created(obj["spec"]["cluster"], invoked, run.attempt)
        return launched, errors

    def give_up(self, namespace: str, give_ups: Sequence[rs.GiveUp]) -> None:
        """Report exhausted chains, in the background: nothing but the creates may hold up a
        round, or the next fire starts late."""
        for give_up in give_ups:
            name = give_up.last.name
            if name not in self.giving_up:
                self.giving_up[name] = asyncio.create_task(self.report_give_up(namespace, give_up))
                self.giving_up[name].add_done_callback(functools.partial(self.gave_up, name))

    def gave_up(self, name: str, _: asyncio.Task[None]) -> None:
        self.giving_up.pop(name, None)

    async def report_give_up(self, namespace: str, give_up: rs.GiveUp) -> None:
        """Mark the chain's last task (CAS: one replica wins), then report it: once."""
        run = give_up.last
        patch = {
            "metadata": {
                "resourceVersion": run.resource_version,
                "annotations": {rs.ANNOTATION_RETRIES_EXHAUSTED: "true"},
            }
        }
        try:
            await self.call(objects.patch, TASKS, run.name, patch, namespace)
        except NotFound:
            return
        except Conflict:
            # Changed since the index saw it. Its newer event may have arrived while this was in
            # flight, and then nothing wakes the daemon again: decide again once the index has it.
            await asyncio.sleep(1.0)
            self.giving_up.pop(run.name, None)
            self.wake.set()
            return
        except (KubeError, OSError) as exc:
            self.logger.warning(f"scheduled task: could not mark {run.name}: {exc}")
            return
        metrics.scheduled_runs_missed(namespace, self.body.metadata["name"], 1, "retries_exhausted")
        reasons = ", ".join(sorted({str(f.get("reason")) for f in run.failures})) or "TaskFailedToStart"
        kopf.warn(
            self.body,
            reason="RetriesExhausted",
            message=f"Gave up on the invocation scheduled for {format_time(give_up.occurrence)}: "
            f"task {run.index} failed to start {run.attempt} time(s) ({reasons}); last {run.name}.",
        )

    # -- status -----------------------------------------------------------------------------------

    def post_status(self, outcome: rs.Outcome, now: datetime, delay: float = 0.0) -> None:
        """Write `outcome` after `delay` seconds, in the background; a newer outcome replaces an
        unwritten one (each is complete: the merge in `status_patch` keeps progress monotonic)."""
        self.pending_status = (outcome, now)
        if self.status_writer is None or self.status_writer.done():
            self.status_writer = asyncio.create_task(self.write_status_later(delay))

    async def write_status_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        while self.pending_status is not None:
            (outcome, now), self.pending_status = self.pending_status, None
            meta = self.body.metadata

            def compute(current: Obj, outcome: rs.Outcome = outcome, now: datetime = now) -> Obj | None:
                return rs.status_patch(current, outcome, now)

            try:
                await self.call(
                    objects.update_status,
                    SCHEDULED_TASKS,
                    meta["name"],
                    compute,
                    meta["namespace"],
                    snapshot(self.body),
                )
            except (KubeError, OSError) as exc:  # the next round writes again
                self.logger.warning(f"scheduled task: status not written: {exc}")


# -- pure helpers of this module ------------------------------------------------------------------


def parse(obj: Obj) -> Parsed | str:
    """The spec parsed for planning, or the reason it cannot be planned (with the position)."""
    problems = spec_problems("ScheduledTask", obj.get("spec"))
    if problems:  # the target's memberOf too: else every occurrence's tasks would fail INVALID
        return summary(problems)
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
    # Neither launchType nor capacityProviderStrategy: the cluster's default strategy, else EC2
    # (decided when the task is placed, as RunTask does).
    params = TaskParams(
        cluster=str(obj["spec"]["cluster"]),
        task_definition=str(target["taskDefinition"]),
        group=target.get("group") or f"family:{family}",
        started_by=rs.started_by(meta["name"]),
        launch_type=target.get("launchType") or None,
        capacity_provider_strategy=target.get("capacityProviderStrategy") or (),
        placement_strategy=target.get("placementStrategy") or (),
        placement_constraints=target.get("placementConstraints") or (),
        overrides=target.get("overrides") or None,
    )
    return task_manifest(
        params,
        TaskMeta(
            namespace=str(meta["namespace"]),
            name=rs.task_name(meta["name"], key, index, attempt),
            labels={
                rs.LABEL_SCHEDULE: rs.label_value(meta["name"]),
                rs.LABEL_SCHEDULE_UID: uid,
                rs.LABEL_OCCURRENCE: key,
            },
            annotations={
                rs.ANNOTATION_SCHEDULED_TIME: str(format_time(occurrence)),
                rs.ANNOTATION_INDEX: str(index),
                rs.ANNOTATION_ATTEMPT: str(attempt),
            },
            owner=owner_reference("ScheduledTask", meta["name"], uid),
        ),
    )


def snapshot(body: kopf.Body) -> Obj:
    """The parts of the live body a round reads (shallow: Kopf replaces, never edits, a body)."""
    return {"metadata": dict(body.metadata), "spec": dict(body.spec), "status": dict(body.status)}


def jitter(uid: str, spread: float) -> float:
    """A stable fraction of `spread` per schedule (spreads the status writes after a fire)."""
    return int(uid.replace("-", "")[:8] or "0", 16) % 1000 / 1000 * spread


_CREATOR = AsyncCreator(f"/apis/{GROUP}/{VERSION}", "ecstasks")
