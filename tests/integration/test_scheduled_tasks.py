"""Scheduled tasks end to end (issue 6): at()/cron() schedules launch EcsTasks through the real API
server, once per occurrence across restarts and replicas, with retries, missed runs and reports.

Timing: schedules fire a few seconds after they are created (at() takes seconds; a cron() test
uses an endDate so that exactly one minute fires). Nothing asserts a duration: every wait polls.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ecs_operator.schedules import flexible_offset
from tests.support.cluster import Kube, opt_out_of_webhook, wait_for
from tests.support.ecs import manifest
from tests.support.operator import OperatorProcess

UID_LABEL = "ecs-operator.dev/scheduled-task-uid"


@pytest.fixture
def job(kube: Kube, operator: OperatorProcess, namespace: str) -> str:
    """A small task definition `job` (revision 1) in the test's namespace."""
    container = {"name": "main", "image": "busybox:1.37", "cpu": 64, "memory": 64}
    kube.apply(manifest("EcsTaskDefinition", "job", {"containerDefinitions": [container]}, namespace))
    wait_for(
        lambda: (kube.get_json("ecstd", "job", "-n", namespace).get("status") or {}).get("revision") == 1,
        what="task definition registered",
    )
    return "job"


# -- helpers -------------------------------------------------------------------------------------


def at_in(seconds: float, zone: str = "UTC") -> tuple[str, datetime]:
    """at(...) `seconds` from now on `zone`'s clocks, and that instant in UTC."""
    local = (datetime.now(ZoneInfo(zone)) + timedelta(seconds=seconds)).replace(microsecond=0)
    return f"at({local:%Y-%m-%dT%H:%M:%S})", local.astimezone(UTC)


def schedule(
    kube: Kube, namespace: str, name: str, cluster: str, expression: str, **spec: Any
) -> dict[str, Any]:
    target = {"taskDefinition": "job", **spec.pop("target", {})}
    body = {"cluster": cluster, "scheduleExpression": expression, "target": target, **spec}
    kube.apply(manifest("ScheduledTask", name, body, namespace))
    return dict(kube.get_json("ecssched", name, "-n", namespace))


def tasks_of(kube: Kube, namespace: str, uid: str) -> list[dict[str, Any]]:
    items = kube.get_json("ecstask", "-n", namespace, "-l", f"{UID_LABEL}={uid}")["items"]
    return sorted(items, key=lambda t: t["metadata"]["name"])


def sched_status(kube: Kube, namespace: str, name: str) -> dict[str, Any]:
    """The status; the operator writes it a few seconds after a launch (after the burst)."""
    return dict(kube.get_json("ecssched", name, "-n", namespace).get("status") or {})


def ready(kube: Kube, namespace: str, name: str) -> dict[str, Any] | None:
    conditions = sched_status(kube, namespace, name).get("conditions") or []
    return next((c for c in conditions if c["type"] == "Ready"), None)


def wait_ready_reason(
    kube: Kube, namespace: str, name: str, reason: str, timeout: float = 60
) -> dict[str, Any]:
    return wait_for(
        lambda: (c := ready(kube, namespace, name)) is not None and c["reason"] == reason and c,
        timeout=timeout,
        what=f"{name} Ready reason {reason}",
    )


def events(kube: Kube, namespace: str, name: str, reason: str) -> list[dict[str, Any]]:
    items = kube.get_json("events", "-n", namespace, "--field-selector", f"involvedObject.name={name}")[
        "items"
    ]
    return [e for e in items if e.get("reason") == reason]


def wait_tasks(kube: Kube, namespace: str, uid: str, count: int, timeout: float = 60) -> list[dict[str, Any]]:
    return wait_for(
        lambda: len(ts := tasks_of(kube, namespace, uid)) >= count and ts,
        timeout=timeout,
        what=f"{count} task(s) of schedule {uid}",
    )


def handled(log: Path) -> int:
    """How many schedule events the operator writing `log` has handled (its log names no object)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return text.count("Handler 'scheduled_task_changed' succeeded")


def last_status(task: dict[str, Any]) -> str | None:
    return (task.get("status") or {}).get("lastStatus")


def created(task: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(task["metadata"]["creationTimestamp"])


# -- tests ---------------------------------------------------------------------------------------


def test_at_fires_task_count_tasks_that_run(kube: Kube, namespace: str, cluster: str, job: str) -> None:
    # Far enough ahead that nextScheduleTime is written (and read here) before the fire, which
    # removes it, even when the operator is slow to start the schedule's daemon on a busy machine.
    expression, fire_at = at_in(12, zone="Europe/Berlin")
    obj = schedule(
        kube,
        namespace,
        "nightly",
        cluster,
        expression,
        scheduleExpressionTimezone="Europe/Berlin",
        target={"taskCount": 2},
    )
    uid = obj["metadata"]["uid"]
    nxt = wait_for(lambda: sched_status(kube, namespace, "nightly").get("nextScheduleTime"), what="next time")
    assert datetime.fromisoformat(nxt) == fire_at

    tasks = wait_tasks(kube, namespace, uid, 2)
    wait_for(
        lambda: all(last_status(t) == "RUNNING" for t in tasks_of(kube, namespace, uid)), what="tasks RUNNING"
    )
    tasks = tasks_of(kube, namespace, uid)
    assert len(tasks) == 2
    for index, task in enumerate(tasks, start=1):
        assert task["metadata"]["name"].startswith("nightly-") and task["metadata"]["name"].endswith(
            f"-{index}"
        )
        assert task["spec"]["startedBy"] == "ecs-sched/nightly"
        assert task["spec"]["group"] == "family:job"
        assert task["spec"]["cluster"] == cluster
        assert task["metadata"]["labels"]["ecs-operator.dev/scheduled-task"] == "nightly"
        (owner,) = task["metadata"]["ownerReferences"]
        assert (owner["kind"], owner["name"], owner["uid"]) == ("ScheduledTask", "nightly", uid)
        assert created(task) >= fire_at
    done = wait_ready_reason(kube, namespace, "nightly", "Completed")
    assert done["status"] == "True"
    status = sched_status(kube, namespace, "nightly")
    assert datetime.fromisoformat(status["lastScheduleTime"]) == fire_at
    assert status["lastRun"]["tasks"] == [t["metadata"]["name"] for t in tasks]
    assert status["lastRun"]["failures"] == []
    assert "nextScheduleTime" not in status


def test_group_placement_and_overrides_come_from_the_target(
    kube: Kube, namespace: str, cluster: str, job: str
) -> None:
    expression, _ = at_in(3)
    target = {
        "group": "nightly-batch",
        "placementStrategy": [{"type": "binpack", "field": "memory"}],
        "placementConstraints": [
            {"type": "memberOf", "expression": "attribute:ecs.availability-zone == zone-b"}
        ],
        "overrides": {"containerOverrides": [{"name": "main", "command": ["sh", "-c", "echo hi"]}]},
    }
    uid = schedule(kube, namespace, "batch", cluster, expression, target=target)["metadata"]["uid"]
    (task,) = wait_tasks(kube, namespace, uid, 1)
    for field in ("group", "placementStrategy", "placementConstraints", "overrides"):
        assert task["spec"][field] == target[field]
    placed = wait_for(
        lambda: (s := tasks_of(kube, namespace, uid)[0].get("status") or {}).get("availabilityZone") and s,
        what="task placed",
    )
    assert placed["availabilityZone"] == "zone-b"


def test_two_operators_at_once_launch_each_task_once(
    kube: Kube, namespace: str, cluster: str, job: str, operator: OperatorProcess, tmp_path: Path
) -> None:
    """A second replica (no peering: both act) plans the same occurrence; names make it safe.
    cron() with an endDate just past the next minute: exactly one occurrence fires."""
    second = OperatorProcess(operator.kubeconfig, tmp_path / "second.log").start()
    try:
        # Choose the minute only once the second operator handles schedules (it takes a while to
        # start on a loaded machine): a disabled schedule it has seen proves that.
        schedule(kube, namespace, "warmup", cluster, "rate(1 hour)", state="DISABLED")
        wait_for(lambda: handled(tmp_path / "second.log"), timeout=90, what="the second operator up")
        seen = handled(tmp_path / "second.log")
        now = datetime.now(UTC)
        minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        if minute - now < timedelta(seconds=25):  # leave the second operator time to start
            minute += timedelta(minutes=1)
        obj = schedule(
            kube,
            namespace,
            "minutely",
            cluster,
            "cron(* * * * ? *)",
            startDate=(minute - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            endDate=(minute + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            target={"taskCount": 3},
        )
        uid = obj["metadata"]["uid"]
        wait_for(
            lambda: handled(tmp_path / "second.log") > seen, what="the second operator sees the schedule"
        )
        assert datetime.now(UTC) < minute, "too slow to start the second operator before the minute"
        wait_ready_reason(kube, namespace, "minutely", "Completed", timeout=90)
        tasks = wait_tasks(kube, namespace, uid, 3)
        time.sleep(2)  # let a late duplicate, if there were one, show up
        tasks = tasks_of(kube, namespace, uid)
        assert len(tasks) == 3
        assert {t["metadata"]["annotations"]["ecs-operator.dev/scheduled-time"] for t in tasks} == {
            minute.strftime("%Y-%m-%dT%H:%M:%SZ")
        }
        assert second.alive()
    finally:
        second.stop()


def test_no_duplicate_after_restarting_the_operator(
    kube: Kube, namespace: str, cluster: str, job: str, operator: OperatorProcess
) -> None:
    expression, _ = at_in(4)
    uid = schedule(kube, namespace, "once", cluster, expression, target={"taskCount": 2})["metadata"]["uid"]
    names = [t["metadata"]["name"] for t in wait_tasks(kube, namespace, uid, 2)]
    wait_ready_reason(kube, namespace, "once", "Completed")
    before = sched_status(kube, namespace, "once")

    operator.stop()
    operator.start()
    # A probe fired by the restarted operator proves it planned every schedule again.
    probe_expression, _ = at_in(6)
    probe_uid = schedule(kube, namespace, "probe", cluster, probe_expression)["metadata"]["uid"]
    wait_tasks(kube, namespace, probe_uid, 1)
    assert [t["metadata"]["name"] for t in tasks_of(kube, namespace, uid)] == names
    after = sched_status(kube, namespace, "once")
    assert after["lastRun"] == before["lastRun"]


def test_missed_runs_while_the_operator_is_down(
    kube: Kube, namespace: str, cluster: str, job: str, operator: OperatorProcess
) -> None:
    """Within maximumEventAgeInSeconds: launched once, late. Beyond it: skipped with an Event.
    Never an occurrence from before the schedule existed."""
    operator.stop()
    try:
        expression, fire_at = at_in(3)
        recent = schedule(kube, namespace, "recent", cluster, expression)
        stale = schedule(
            kube, namespace, "stale", cluster, expression, retryPolicy={"maximumEventAgeInSeconds": 60}
        )
        past_expression, _ = at_in(-30)
        before_creation = schedule(kube, namespace, "before-creation", cluster, past_expression)
        wait_for(lambda: datetime.now(UTC) > fire_at + timedelta(seconds=62), timeout=90, what="the outage")
    finally:
        operator.start()

    (task,) = wait_tasks(kube, namespace, recent["metadata"]["uid"], 1)
    assert created(task) > fire_at + timedelta(seconds=60)
    run = wait_for(lambda: sched_status(kube, namespace, "recent").get("lastRun"), what="lastRun")
    assert datetime.fromisoformat(run["scheduledTime"]) == fire_at

    wait_for(lambda: events(kube, namespace, "stale", "MissedRunsSkipped"), what="skip event")
    (event,) = events(kube, namespace, "stale", "MissedRunsSkipped")
    assert event["type"] == "Warning"
    assert "Skipped 1 invocation(s)" in event["message"]
    assert "maximumEventAgeInSeconds (60)" in event["message"]
    wait_ready_reason(kube, namespace, "stale", "Completed")
    wait_ready_reason(kube, namespace, "before-creation", "Completed")
    assert tasks_of(kube, namespace, stale["metadata"]["uid"]) == []
    assert tasks_of(kube, namespace, before_creation["metadata"]["uid"]) == []
    assert len(tasks_of(kube, namespace, recent["metadata"]["uid"])) == 1


def test_a_launch_that_cannot_be_placed_is_retried_until_it_can(
    kube: Kube, namespace: str, cluster: str, job: str, unique: str
) -> None:
    expression, _ = at_in(3)
    constraint = {"type": "memberOf", "expression": f"attribute:sched-test == {unique}"}
    uid = schedule(
        kube, namespace, "retried", cluster, expression, target={"placementConstraints": [constraint]}
    )["metadata"]["uid"]
    wait_for(
        lambda: any(t["metadata"]["name"].endswith("-r1") for t in tasks_of(kube, namespace, uid)),
        what="a first retry",
    )
    first = tasks_of(kube, namespace, uid)[0]
    assert (first["status"]["lastStatus"], first["status"]["stopCode"]) == ("STOPPED", "TaskFailedToStart")

    instance = f"{cluster}.worker-b1"
    patch = f'{{"spec":{{"attributes":[{{"name":"sched-test","value":"{unique}"}}]}}}}'
    kube.kubectl("patch", "ecsci", instance, "--type=merge", "-p", patch)
    running = wait_for(
        lambda: next((t for t in tasks_of(kube, namespace, uid) if last_status(t) == "RUNNING"), None),
        timeout=120,
        what="a retry placed and RUNNING",
    )
    assert running["status"]["containerInstance"] == instance
    assert "-1-r" in running["metadata"]["name"]
    tasks = tasks_of(kube, namespace, uid)
    attempts = sorted(int(t["metadata"]["annotations"]["ecs-operator.dev/attempt"]) for t in tasks)
    assert attempts == list(range(1, len(tasks) + 1)), "one task per attempt, none twice"
    assert [last_status(t) for t in tasks].count("RUNNING") == 1
    last_run = wait_for(
        lambda: (
            (r := sched_status(kube, namespace, "retried").get("lastRun") or {}).get("failures") == []
            and running["metadata"]["name"] in r.get("tasks", [])
            and r
        ),
        what="lastRun with the successful retry",
    )
    assert set(last_run["tasks"]) == {t["metadata"]["name"] for t in tasks}


def test_exhausted_retries_are_reported(kube: Kube, namespace: str, cluster: str, job: str) -> None:
    expression, _ = at_in(3)
    constraint = {"type": "memberOf", "expression": "attribute:sched-test == nowhere"}
    uid = schedule(
        kube,
        namespace,
        "hopeless",
        cluster,
        expression,
        retryPolicy={"maximumRetryAttempts": 2},
        target={"placementConstraints": [constraint]},
    )["metadata"]["uid"]
    event = wait_for(lambda: events(kube, namespace, "hopeless", "RetriesExhausted"), what="give-up event")[0]
    assert event["type"] == "Warning"
    assert "failed to start 3 time(s)" in event["message"]
    tasks = tasks_of(kube, namespace, uid)
    assert [t["metadata"]["name"].rsplit("-", 1)[-1] for t in tasks] == ["1", "r1", "r2"]
    assert all(t["status"]["stopCode"] == "TaskFailedToStart" for t in tasks)
    assert tasks[-1]["metadata"]["annotations"]["ecs-operator.dev/retries-exhausted"] == "true"
    last_run = wait_for(
        lambda: (sched_status(kube, namespace, "hopeless").get("lastRun") or {}).get("failures"),
        what="the placement failures of the last attempt in lastRun",
    )
    assert all(f["reason"] for f in last_run)
    # Reported once, and nothing more is launched (a fresh probe proves the operator moved on).
    probe_expression, _ = at_in(3)
    probe_uid = schedule(kube, namespace, "probe", cluster, probe_expression)["metadata"]["uid"]
    wait_tasks(kube, namespace, probe_uid, 1)
    assert len(tasks_of(kube, namespace, uid)) == 3
    assert len(events(kube, namespace, "hopeless", "RetriesExhausted")) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"scheduleExpression": "cron(0 25 * * ? *)"}, "(field 2, column 7)", id="cron-hour-25"),
        pytest.param(
            {"scheduleExpression": "rate(5 minutes)", "scheduleExpressionTimezone": "Mars/Olympus_Mons"},
            "Mars/Olympus_Mons",
            id="unknown-time-zone",
        ),
    ],
)
def test_an_invalid_schedule_is_reported_not_retried(
    kube: Kube, namespace: str, cluster: str, job: str, fields: dict[str, str], message: str
) -> None:
    opt_out_of_webhook(kube, namespace)  # the webhook would refuse it at admission: test the backstop
    expression = fields.pop("scheduleExpression")
    schedule(kube, namespace, "broken", cluster, expression, **fields)
    condition = wait_ready_reason(kube, namespace, "broken", "InvalidSchedule")
    assert condition["status"] == "False"
    assert message in condition["message"]
    (event,) = wait_for(lambda: events(kube, namespace, "broken", "InvalidSchedule"), what="Warning event")
    assert event["type"] == "Warning" and message in event["message"]
    assert "nextScheduleTime" not in sched_status(kube, namespace, "broken")


def test_a_disabled_schedule_launches_nothing(kube: Kube, namespace: str, cluster: str, job: str) -> None:
    expression, _ = at_in(3)
    disabled = schedule(kube, namespace, "off", cluster, expression, state="DISABLED")
    witness = schedule(kube, namespace, "on", cluster, expression)
    condition = wait_ready_reason(kube, namespace, "off", "Disabled")
    assert condition["status"] == "False"
    wait_tasks(kube, namespace, witness["metadata"]["uid"], 1)
    wait_ready_reason(kube, namespace, "on", "Completed")
    assert tasks_of(kube, namespace, disabled["metadata"]["uid"]) == []


def test_a_flexible_window_launches_at_the_occurrence_plus_its_offset(
    kube: Kube, namespace: str, cluster: str, job: str
) -> None:
    expression, fire_at = at_in(2)
    obj = schedule(
        kube,
        namespace,
        "flexible",
        cluster,
        expression,
        flexibleTimeWindow={"mode": "FLEXIBLE", "maximumWindowInMinutes": 1},
    )
    invoked = fire_at + flexible_offset(obj["metadata"]["uid"], fire_at, 1)
    (task,) = wait_tasks(kube, namespace, obj["metadata"]["uid"], 1, timeout=120)
    assert created(task) >= invoked.replace(microsecond=0)
    assert task["metadata"]["annotations"]["ecs-operator.dev/scheduled-time"] == fire_at.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
