"""ScheduledTask planning (pure): launches, missed runs, the flexible window, retries, progress."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from ecs_operator.reconcile import scheduled as rs
from ecs_operator.reconcile.scheduled import Launch, Policy, TaskRun, plan_invocations
from ecs_operator.schedules import flexible_offset, occurrence_key, retry_delay
from tests.unit.schedules.builders import schedule, utc

UID = "0b4e8d5e-6f0a-4a8e-9d55-1c2f3a4b5c6d"
T = utc(2026, 1, 1, 10)
TICK = timedelta(microseconds=1)
EVERY_MINUTE = schedule("cron(* * * * ? *)")
QUARTERLY = schedule("cron(0/15 * * * ? *)")


def at(minute: int = 0, second: int = 0, hour: int = 10) -> datetime:
    return T.replace(hour=hour, minute=minute, second=second)


def run(
    occurrence: datetime,
    index: int = 1,
    attempt: int = 1,
    *,
    failed: bool = False,
    stopped_at: datetime | None = None,
    **extra: Any,
) -> TaskRun:
    name = rs.task_name("job", occurrence_key(UID, occurrence), index, attempt)
    return TaskRun(name, occurrence, index, attempt, failed, stopped_at, **extra)


# -- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule_name", "index", "attempt", "expected"),
    [
        pytest.param("backup", 1, 1, "backup-202601011000-abcdef-1", id="first-attempt"),
        pytest.param("backup", 10, 1, "backup-202601011000-abcdef-10", id="tenth-task"),
        pytest.param("backup", 2, 3, "backup-202601011000-abcdef-2-r2", id="second-retry"),
        pytest.param("x" * 300, 1, 186, "x" * 223 + "-202601011000-abcdef-1-r185", id="long-name-fits-253"),
        pytest.param(
            "a-" + "b" * 220 + "-c", 1, 1, "a-" + "b" * 220 + "-202601011000-abcdef-1", id="no-dash-run"
        ),
    ],
)
def test_task_name(schedule_name: str, index: int, attempt: int, expected: str) -> None:
    name = rs.task_name(schedule_name, "202601011000-abcdef", index, attempt)
    assert name == expected
    assert len(name) <= 253


@pytest.mark.parametrize(
    ("schedule_name", "expected"),
    [
        pytest.param("nightly", "ecs-sched/nightly", id="plain"),
        pytest.param("db.backup", "ecs-sched/db_backup", id="dots-are-not-allowed"),
        pytest.param("n" * 200, "ecs-sched/" + "n" * 118, id="at-most-128"),
    ],
)
def test_started_by(schedule_name: str, expected: str) -> None:
    assert rs.started_by(schedule_name) == expected


def test_label_value_is_at_most_63_and_ends_alphanumeric() -> None:
    assert rs.label_value("a" * 62 + "-b") == "a" * 62
    assert rs.label_value("nightly") == "nightly"


# -- observed tasks ------------------------------------------------------------------------------


def task_object(**annotations: str) -> dict[str, Any]:
    return {
        "metadata": {
            "name": "job-x-1",
            "resourceVersion": "42",
            "creationTimestamp": "2026-01-01T10:00:01Z",
            "annotations": annotations,
        },
        "status": {
            "lastStatus": "STOPPED",
            "stopCode": "TaskFailedToStart",
            "stoppedAt": "2026-01-01T10:00:02Z",
            "failures": [{"reason": "ATTRIBUTE", "arn": "c.worker-a1"}],
        },
    }


def test_task_run_from_a_launched_task() -> None:
    obj = task_object(
        **{
            rs.ANNOTATION_SCHEDULED_TIME: "2026-01-01T10:00:00Z",
            rs.ANNOTATION_INDEX: "2",
            rs.ANNOTATION_ATTEMPT: "3",
        }
    )
    assert rs.task_run(obj) == TaskRun(
        name="job-x-1",
        occurrence=at(0),
        index=2,
        attempt=3,
        failed_to_start=True,
        stopped_at=at(0, 2),
        failures=({"reason": "ATTRIBUTE", "arn": "c.worker-a1"},),
        resource_version="42",
        created_at=at(0, 1),
    )


@pytest.mark.parametrize(
    "annotations",
    [
        pytest.param({}, id="none"),
        pytest.param(
            {rs.ANNOTATION_SCHEDULED_TIME: "2026-01-01T10:00:00Z", rs.ANNOTATION_INDEX: "1"}, id="no-attempt"
        ),
        pytest.param(
            {rs.ANNOTATION_SCHEDULED_TIME: "yesterday", rs.ANNOTATION_INDEX: "1", rs.ANNOTATION_ATTEMPT: "1"},
            id="bad-time",
        ),
        pytest.param(
            {
                rs.ANNOTATION_SCHEDULED_TIME: "2026-01-01T10:00:00Z",
                rs.ANNOTATION_INDEX: "0",
                rs.ANNOTATION_ATTEMPT: "1",
            },
            id="index-0",
        ),
    ],
)
def test_task_run_ignores_tasks_without_launch_annotations(annotations: dict[str, str]) -> None:
    assert rs.task_run(task_object(**annotations)) is None


# -- launches and missed runs ----------------------------------------------------------------------


def test_on_time_launches_the_occurrence_and_sleeps_until_the_next() -> None:
    plan = plan_invocations(QUARTERLY, UID, Policy(), at(0) - TICK, at(0), [])
    assert plan.launches == (Launch(at(0), 1, (1,)),)
    assert (plan.skipped, plan.give_ups) == ((), ())
    assert plan.handled_through == at(0)
    assert plan.next_schedule_time == plan.wake_at == at(15)


def test_task_count_launches_every_index_and_only_the_missing_ones_after_a_crash() -> None:
    policy = Policy(task_count=3)
    assert plan_invocations(QUARTERLY, UID, policy, at(0) - TICK, at(0), []).launches == (
        Launch(at(0), 1, (1, 2, 3)),
    )
    partial = [run(at(0), 1), run(at(0), 3)]
    assert plan_invocations(QUARTERLY, UID, policy, at(0) - TICK, at(0, 5), partial).launches == (
        Launch(at(0), 1, (2,)),
    )


def test_an_occurrence_with_all_its_tasks_is_never_launched_again() -> None:
    runs = [run(at(0), 1), run(at(0), 2)]
    plan = plan_invocations(QUARTERLY, UID, Policy(task_count=2), at(0) - TICK, at(0, 1), runs)
    assert plan.launches == ()
    assert plan.next_schedule_time == at(15)


def test_outage_launches_what_is_deliverable_and_skips_the_rest() -> None:
    plan = plan_invocations(QUARTERLY, UID, Policy(maximum_event_age_seconds=1800), at(0, hour=9), at(5), [])
    assert plan.launches == (Launch(at(45, hour=9), 1, (1,)), Launch(at(0), 1, (1,)))
    assert plan.skipped == (
        rs.Skipped("older than maximumEventAgeInSeconds (1800)", at(15, hour=9), at(30, hour=9), 2),
    )
    assert plan.handled_through == at(5)
    assert plan.next_schedule_time == at(15)


def test_catch_up_is_capped_to_the_most_recent_occurrences() -> None:
    plan = plan_invocations(EVERY_MINUTE, UID, Policy(), at(0) - TICK, at(29), [])
    assert [launch.occurrence for launch in plan.launches] == [at(m) for m in range(20, 30)]
    assert plan.skipped == (rs.Skipped("beyond the catch-up limit of 10 occurrences", at(0), at(19), 20),)


def test_a_long_outage_is_counted_beyond_the_listed_occurrences() -> None:
    plan = plan_invocations(
        EVERY_MINUTE, UID, Policy(maximum_event_age_seconds=60), at(0) - TICK, at(0, hour=12), []
    )
    assert [launch.occurrence for launch in plan.launches] == [at(59, hour=11), at(0, hour=12)]
    (skipped,) = plan.skipped
    assert (skipped.first, skipped.last, skipped.count, skipped.more) == (at(0), at(58, hour=11), 119, False)


def test_a_schedule_never_handled_starts_at_its_creation_not_before() -> None:
    created = at(7, 30)
    plan = plan_invocations(schedule("cron(0/15 * * * ? *)", anchor=created), UID, Policy(), None, at(20), [])
    assert plan.launches == (Launch(at(15), 1, (1,)),)
    assert plan.skipped == ()


def test_at_fires_once_then_has_nothing_to_wait_for() -> None:
    once = schedule("at(2026-01-01T10:00:30)")
    first = plan_invocations(once, UID, Policy(), None, at(0, 30), [])
    assert first.launches == (Launch(at(0, 30), 1, (1,)),)
    assert first.next_schedule_time is None and first.wake_at is None
    again = plan_invocations(once, UID, Policy(), first.handled_through, at(5), [run(at(0, 30))])
    assert again.launches == again.skipped == ()


def test_at_before_the_schedule_existed_never_fires() -> None:
    plan = plan_invocations(schedule("at(2026-01-01T10:00:00)", anchor=at(1)), UID, Policy(), None, at(2), [])
    assert plan.launches == plan.skipped == ()
    assert plan.next_schedule_time is None


# -- flexible time window ------------------------------------------------------------------------


def offset(occurrence: datetime, window: int = 15) -> timedelta:
    return flexible_offset(UID, occurrence, window)


def test_flexible_occurrence_waits_for_its_invocation_and_holds_the_watermark() -> None:
    policy = Policy(window_minutes=15)
    invoked = at(0) + offset(at(0))
    assert invoked > at(0, 1), "the fixture's offset should be more than a second"
    early = plan_invocations(QUARTERLY, UID, policy, at(0) - TICK, at(0), [])
    assert early.launches == ()
    assert early.handled_through == at(0) - TICK
    assert early.next_schedule_time == at(0)
    assert early.wake_at == invoked
    on_time = plan_invocations(QUARTERLY, UID, policy, early.handled_through, invoked, [])
    assert on_time.launches == (Launch(at(0), 1, (1,)),)


def test_flexible_invocation_age_counts_from_the_invocation() -> None:
    policy = Policy(window_minutes=15, maximum_event_age_seconds=60)
    invoked = at(0) + offset(at(0))
    assert invoked - at(0) > timedelta(seconds=60)
    plan = plan_invocations(QUARTERLY, UID, policy, at(0) - TICK, invoked + timedelta(seconds=30), [])
    assert plan.launches == (Launch(at(0), 1, (1,)),)
    late = plan_invocations(QUARTERLY, UID, policy, at(0) - TICK, invoked + timedelta(seconds=61), [])
    assert late.launches == ()
    assert [(s.first, s.count) for s in late.skipped] == [(at(0), 1)]


def test_flexible_out_of_order_invocations_are_recognised_by_their_tasks() -> None:
    policy = Policy(window_minutes=15)
    now = at(9, 30)
    occurrences = list(EVERY_MINUTE.occurrences_between(at(0) - TICK, now))
    invoked = [o for o in occurrences if o + offset(o) <= now]
    pending = [o for o in occurrences if o + offset(o) > now]
    assert invoked == [at(0), at(4), at(6), at(9)], "fixture: 04, 06, 09 invoked while 01 is pending"
    plan = plan_invocations(EVERY_MINUTE, UID, policy, at(0) - TICK, now, [run(o) for o in invoked])
    assert plan.launches == ()
    assert plan.handled_through == at(1) - TICK
    assert plan.next_schedule_time == at(1)
    assert plan.wake_at == min([at(10), *(o + offset(o) for o in pending)])
    missing = plan_invocations(EVERY_MINUTE, UID, policy, at(0) - TICK, now, [run(at(0)), run(at(6))])
    assert missing.launches == (Launch(at(4), 1, (1,)), Launch(at(9), 1, (1,)))


# -- retries -------------------------------------------------------------------------------------


KEY = occurrence_key(UID, at(0))


def failed(attempt: int, stopped: datetime, index: int = 1, **extra: Any) -> TaskRun:
    return run(at(0), index, attempt, failed=True, stopped_at=stopped, **extra)


def test_a_task_that_failed_to_start_is_retried_after_the_backoff() -> None:
    stopped = at(0, 1)
    retry_at = stopped + retry_delay(1, seed=KEY)
    before = plan_invocations(QUARTERLY, UID, Policy(), at(0), retry_at - TICK, [failed(1, stopped)])
    assert before.launches == ()
    assert before.wake_at == retry_at
    due = plan_invocations(QUARTERLY, UID, Policy(), at(0), retry_at, [failed(1, stopped)])
    assert due.launches == (Launch(at(0), 2, (1,)),)
    assert rs.task_name("job", KEY, 1, 2).endswith("-1-r1")


def test_retries_are_per_task_index() -> None:
    runs = [run(at(0), 1), failed(1, at(0, 1), index=2), run(at(0), 3)]
    plan = plan_invocations(QUARTERLY, UID, Policy(task_count=3), at(0), at(5), runs)
    assert plan.launches == (Launch(at(0), 2, (2,)),)


def test_only_the_latest_attempt_of_an_index_counts() -> None:
    runs = [failed(1, at(0, 1)), run(at(0), 1, 2)]  # the retry is running
    assert plan_invocations(QUARTERLY, UID, Policy(), at(0), at(5), runs).launches == ()


@pytest.mark.parametrize(
    ("policy", "last"),
    [
        pytest.param(Policy(maximum_retry_attempts=2), failed(3, at(0, 10)), id="attempts"),
        pytest.param(Policy(maximum_event_age_seconds=60), failed(8, at(0, 59)), id="event-age"),
    ],
)
def test_exhausted_retries_give_up(policy: Policy, last: TaskRun) -> None:
    plan = plan_invocations(QUARTERLY, UID, policy, at(0), at(14), [last])
    assert plan.launches == ()
    assert plan.give_ups == (rs.GiveUp(at(0), last),)


def test_without_retries_a_failure_is_neither_retried_nor_reported_as_exhausted() -> None:
    plan = plan_invocations(
        QUARTERLY, UID, Policy(maximum_retry_attempts=0), at(0), at(14), [failed(1, at(0, 1))]
    )
    assert (plan.launches, plan.give_ups) == ((), ())


def test_a_chain_reported_as_exhausted_is_left_alone() -> None:
    last = failed(3, at(0, 10), retries_exhausted=True)
    plan = plan_invocations(QUARTERLY, UID, Policy(maximum_retry_attempts=2), at(0), at(14), [last])
    assert (plan.launches, plan.give_ups) == ((), ())


def test_a_retry_overdue_beyond_the_event_age_after_an_outage_gives_up() -> None:
    policy = Policy(maximum_event_age_seconds=120)
    plan = plan_invocations(QUARTERLY, UID, policy, at(0), at(10), [failed(1, at(0, 1))])
    assert plan.launches == ()
    assert len(plan.give_ups) == 1


# -- progress in status --------------------------------------------------------------------------


def status(generation: int | None, reason: str = rs.SCHEDULED, **fields: Any) -> dict[str, Any]:
    ready = {"type": "Ready", "status": "True", "reason": reason, "message": "", "lastTransitionTime": "x"}
    if generation is not None:
        ready["observedGeneration"] = generation
    return {"conditions": [ready], **fields}


NOW = at(7, 30)


@pytest.mark.parametrize(
    ("current", "remembered", "expected"),
    [
        pytest.param({}, None, None, id="never-handled"),
        pytest.param(status(2, nextScheduleTime="2026-01-01T10:15:00Z"), None, at(15) - TICK, id="next-time"),
        pytest.param(
            status(1, nextScheduleTime="2026-01-01T10:15:00Z"), None, NOW - TICK, id="edited-starts-now"
        ),
        pytest.param(status(2, reason=rs.COMPLETED), None, NOW - TICK, id="completed"),
        pytest.param(
            status(1, nextScheduleTime="2026-01-01T10:15:00Z"), at(3), at(3), id="own-progress-first"
        ),
        pytest.param(
            status(2, nextScheduleTime="2026-01-01T10:15:00Z"), at(3), at(15) - TICK, id="later-of-both"
        ),
        pytest.param({}, at(3), at(3), id="status-not-written-yet"),
    ],
)
def test_watermark(current: dict[str, Any], remembered: datetime | None, expected: datetime | None) -> None:
    assert rs.watermark(current, 2, NOW, remembered) == expected


def obj(generation: int = 2, **status_fields: Any) -> dict[str, Any]:
    return {"metadata": {"generation": generation}, "status": status_fields}


READY = rs.Ready(True, rs.SCHEDULED, "cron(0/15 * * * ? *) in UTC.")


def test_status_patch_writes_progress_and_the_ready_condition() -> None:
    outcome = rs.Outcome(2, READY, at(15), at(0), {"scheduledTime": "2026-01-01T10:00:00Z", "tasks": ["a"]})
    patch = rs.status_patch(obj(), outcome, NOW)
    assert patch is not None
    assert patch["nextScheduleTime"] == "2026-01-01T10:15:00Z"
    assert patch["lastScheduleTime"] == "2026-01-01T10:00:00Z"
    assert patch["lastRun"] == {"scheduledTime": "2026-01-01T10:00:00Z", "tasks": ["a"]}
    assert [(c["type"], c["reason"], c["observedGeneration"]) for c in patch["conditions"]] == [
        ("Ready", "Scheduled", 2)
    ]
    written = obj(**patch)
    assert rs.status_patch(written, outcome, NOW) is None  # nothing changes: nothing written


def test_status_patch_never_moves_progress_back_within_a_generation() -> None:
    ahead = obj(
        **status(2, nextScheduleTime="2026-01-01T10:30:00Z", lastScheduleTime="2026-01-01T10:15:00Z"),
    )
    ahead["status"]["conditions"][0].update(message=READY.message, reason=READY.reason)
    stale = rs.Outcome(2, READY, at(15), at(0))
    assert rs.status_patch(ahead, stale, NOW) is None


def test_status_patch_skips_a_spec_edited_since_the_round_read_it() -> None:
    assert rs.status_patch(obj(generation=3), rs.Outcome(2, READY, at(15)), NOW) is None


def test_status_patch_clears_next_time_when_completed() -> None:
    current = obj(**status(2, nextScheduleTime="2026-01-01T10:15:00Z"))
    done = rs.Outcome(2, rs.Ready(True, rs.COMPLETED, "done"), None, at(15))
    patch = rs.status_patch(current, done, NOW)
    assert patch is not None and patch["nextScheduleTime"] is None


def test_last_run_tasks_accumulate_and_keep_the_first_launch_time() -> None:
    current = obj(
        lastRun={
            "scheduledTime": "2026-01-01T10:00:00Z",
            "launchedAt": "2026-01-01T10:00:00.010Z",
            "tasks": ["a"],
        }
    )
    wanted = {
        "scheduledTime": "2026-01-01T10:00:00Z",
        "launchedAt": "2026-01-01T10:00:01Z",
        "tasks": ["a", "b"],
    }
    patch = rs.status_patch(current, rs.Outcome(2, READY, last_run=wanted), NOW)
    assert patch is not None
    assert patch["lastRun"]["tasks"] == ["a", "b"]
    assert patch["lastRun"]["launchedAt"] == "2026-01-01T10:00:00.010Z"


def test_last_run_lists_every_attempt_and_the_latest_failures() -> None:
    runs = [
        failed(1, at(0, 1), failures=({"reason": "ATTRIBUTE"},), created_at=at(0)),
        replace(failed(2, at(0, 3), failures=({"reason": "RESOURCE:MEMORY"},)), created_at=at(0, 2)),
        run(at(0), 2, created_at=at(0)),
        run(at(15)),
    ]
    result = rs.last_run(at(0), runs, NOW)
    assert result == {
        "scheduledTime": "2026-01-01T10:00:00Z",
        "launchedAt": "2026-01-01T10:00:00Z",
        "tasks": [
            rs.task_name("job", KEY, 1, 1),
            rs.task_name("job", KEY, 1, 2),
            rs.task_name("job", KEY, 2, 1),
        ],
        "failures": [{"reason": "RESOURCE:MEMORY"}],
    }
    retried = rs.last_run(at(0), [*runs, run(at(0), 1, 3)], NOW)  # a third attempt was just launched
    assert retried["failures"] == []
    assert retried["tasks"][2] == rs.task_name("job", KEY, 1, 3)


def test_a_failed_first_launch_holds_the_watermark_just_before_it() -> None:
    plan = plan_invocations(QUARTERLY, UID, Policy(maximum_event_age_seconds=1800), at(0, hour=9), at(5), [])
    held = rs.hold(plan, [at(0)])
    assert (held.handled_through, held.next_schedule_time) == (at(0) - TICK, at(0))
    assert held.launches == plan.launches and held.skipped == plan.skipped
    assert rs.hold(plan, []) == plan
    again = plan_invocations(
        QUARTERLY,
        UID,
        Policy(maximum_event_age_seconds=1800),
        held.handled_through,
        at(6),
        [run(at(45, hour=9))],
    )
    assert again.launches == (Launch(at(0), 1, (1,)),)
