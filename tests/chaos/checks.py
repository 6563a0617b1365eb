"""What a run must end with, read through the API: `ecs_operator.invariants` plus the suite's checks.

Why two layers: the invariants (I1–I7) are about the shared ledger and hold for any workload;
the suite's checks (S1–S3) are about *this* workload's promises, which only the harness knows:

- S1 every service that was not deleted reaches its desired count with exactly one deployment
  left (PRIMARY; the INACTIVE records the operator keeps as history do not count), on the task definition's latest revision, rolloutState COMPLETED, and that many
  RUNNING tasks of it really exist (status.runningCount is not taken on trust);
- S2 every occurrence of a schedule from its startDate up to its watermark
  (status.nextScheduleTime) launched exactly once (each index has exactly one first attempt, and
  a retry only follows an attempt that failed to start), and the watermark is not behind the
  clock: an occurrence due a while ago has been launched;
- S3 no object stays deleting, whatever its kind, and services the workload deleted are gone.

Reads happen in an order that cannot invent a violation: a schedule before its tasks (the
operator creates an occurrence's tasks before it advances the watermark), tasks before pods.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ecs_operator.invariants import Violation, check
from tests.chaos.api import Api, Obj

LABEL_SCHEDULE_UID = "ecs-operator.dev/scheduled-task-uid"
ANNOTATION_SCHEDULED_TIME = "ecs-operator.dev/scheduled-time"
ANNOTATION_INDEX = "ecs-operator.dev/task-index"
ANNOTATION_ATTEMPT = "ecs-operator.dev/attempt"
SCHEDULE_LAG = timedelta(seconds=45)  # an occurrence due longer ago than this must be launched


@dataclass
class Expected:
    """What the workload asked for, as far as the checks need it."""

    namespace: str
    cluster: str
    services: set[str] = field(default_factory=set)  # live services
    deleted_services: set[str] = field(default_factory=set)
    schedules: dict[str, datetime] = field(default_factory=dict)  # name → startDate (a minute boundary)
    schedule_task_count: int = 1


@dataclass(frozen=True)
class State:
    schedules: list[Obj]
    services: list[Obj]
    taskdefs: list[Obj]
    instances: list[Obj]
    tasks: list[Obj]
    pods: list[Obj]


def read_state(api: Api, expected: Expected) -> State:
    ns = expected.namespace
    schedules = api.items("scheduledtasks", ns)
    services = api.items("ecsservices", ns)
    taskdefs = api.items("ecstaskdefinitions", ns)
    instances = api.items("ecscontainerinstances", selector=f"ecs-operator.dev/cluster={expected.cluster}")
    tasks = api.items("ecstasks", ns)
    pods = api.pods(ns)
    return State(schedules, services, taskdefs, instances, tasks, pods)


def violations(
    state: State, expected: Expected, *, settled: bool, now: datetime | None = None
) -> list[Violation]:
    """The invariants (always) and, once settled, the suite's checks."""
    out = check(state.instances, state.tasks, state.pods, settled=settled)
    if settled:
        out += services_done(state, expected)
        out += schedules_once(state, expected, now or datetime.now(UTC))
        out += nothing_deleting(state, expected)
    return out


def _name(obj: Obj) -> str:
    return f"{obj['metadata'].get('namespace', '')}/{obj['metadata']['name']}".lstrip("/")


def _running_of(tasks: list[Obj], group: str) -> Counter[str]:
    """RUNNING tasks of a service that are wanted RUNNING, per startedBy (the deployment id)."""
    out: Counter[str] = Counter()
    for task in tasks:
        spec, status = task.get("spec") or {}, task.get("status") or {}
        if spec.get("group") != group or spec.get("desiredStatus") == "STOPPED":
            continue
        if status.get("lastStatus") == "RUNNING" and status.get("desiredStatus") != "STOPPED":
            out[str(spec.get("startedBy"))] += 1
    return out


def services_done(state: State, expected: Expected) -> list[Violation]:
    out: list[Violation] = []
    by_name = {s["metadata"]["name"]: s for s in state.services}
    latest = {t["metadata"]["name"]: (t.get("status") or {}).get("revision") for t in state.taskdefs}
    for name in sorted(expected.services):
        svc = by_name.get(name)
        if svc is None:
            out.append(Violation("S1", name, "service is gone"))
            continue
        spec, status = svc.get("spec") or {}, svc.get("status") or {}
        desired = int(spec.get("desiredCount") or 0)
        deployments = status.get("deployments") or []
        subject = _name(svc)
        if status.get("runningCount") != desired:
            out.append(
                Violation("S1", subject, f"runningCount {status.get('runningCount')}, desired {desired}")
            )
        live = [d for d in deployments if d.get("status") != "INACTIVE"]  # INACTIVE ones are history
        if len(live) != 1 or live[0].get("status") != "PRIMARY":
            states = [(d.get("status"), d.get("taskDefinition"), d.get("rolloutState")) for d in live]
            out.append(Violation("S1", subject, f"{len(live)} deployments not INACTIVE: {states}"))
            continue
        primary = live[0]
        family = str(spec.get("taskDefinition", "")).split(":")[0]
        want_td = f"{family}:{latest.get(family)}"
        if primary.get("rolloutState") != "COMPLETED":
            out.append(Violation("S1", subject, f"rolloutState {primary.get('rolloutState')}"))
        if primary.get("taskDefinition") != want_td:
            out.append(
                Violation("S1", subject, f"deployment on {primary.get('taskDefinition')}, latest {want_td}")
            )
        running = _running_of(state.tasks, f"service:{name}")
        if running.get(str(primary.get("id")), 0) != desired or sum(running.values()) != desired:
            out.append(
                Violation("S1", subject, f"RUNNING tasks per deployment {dict(running)}, desired {desired}")
            )
    for name in sorted(expected.deleted_services & set(by_name)):
        out.append(
            Violation(
                "S3",
                name,
                f"deleted service still there: {(by_name[name].get('status') or {}).get('status')}",
            )
        )
    return out


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def schedules_once(state: State, expected: Expected, now: datetime) -> list[Violation]:
    out: list[Violation] = []
    by_name = {s["metadata"]["name"]: s for s in state.schedules}
    for name, start in sorted(expected.schedules.items()):
        sched = by_name.get(name)
        if sched is None:
            out.append(Violation("S2", name, "schedule is gone"))
            continue
        uid = sched["metadata"]["uid"]
        status = sched.get("status") or {}
        watermark = _parse(status.get("nextScheduleTime"))
        if watermark is None:
            out.append(Violation("S2", name, f"no nextScheduleTime: {status}"))
            continue
        if watermark < now - SCHEDULE_LAG:
            out.append(
                Violation("S2", name, f"occurrence {watermark:%H:%M:%S} due, not launched at {now:%H:%M:%S}")
            )
        first: Counter[tuple[datetime, int]] = Counter()
        attempts: dict[tuple[datetime, int, int], Obj] = {}
        for task in state.tasks:
            meta = task["metadata"]
            if (meta.get("labels") or {}).get(LABEL_SCHEDULE_UID) != uid:
                continue
            notes: dict[str, Any] = meta.get("annotations") or {}
            when = _parse(notes.get(ANNOTATION_SCHEDULED_TIME))
            if when is None or when < start or (when - start) % timedelta(minutes=1):
                out.append(Violation("S2", _name(task), f"launched for an occurrence that is none: {when}"))
                continue
            index, attempt = int(notes.get(ANNOTATION_INDEX, "0")), int(notes.get(ANNOTATION_ATTEMPT, "0"))
            attempts[(when, index, attempt)] = task
            if attempt == 1:
                first[(when, index)] += 1
        for (when, index, attempt), task in sorted(attempts.items(), key=lambda kv: kv[0]):
            before = attempts.get((when, index, attempt - 1))
            failed = (
                before is not None and (before.get("status") or {}).get("stopCode") == "TaskFailedToStart"
            )
            if attempt > 1 and not failed:
                out.append(
                    Violation("S2", _name(task), f"retry {attempt} of a launch that did not fail to start")
                )
        occurrence = start
        while occurrence < watermark:
            for index in range(1, expected.schedule_task_count + 1):
                seen = first.get((occurrence, index), 0)
                if seen != 1:
                    out.append(
                        Violation("S2", name, f"occurrence {occurrence:%H:%M} index {index} launched {seen}×")
                    )
            occurrence += timedelta(minutes=1)
    return out


def nothing_deleting(state: State, expected: Expected) -> list[Violation]:
    """S3 for the kinds the invariants do not cover (they check instances and tasks)."""
    return [
        Violation("S3", _name(obj), "still deleting")
        for obj in [*state.schedules, *state.services, *state.taskdefs]
        if (obj.get("metadata") or {}).get("deletionTimestamp")
    ]
