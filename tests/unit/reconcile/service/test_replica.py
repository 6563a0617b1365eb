"""REPLICA: the worked examples of §3.3, scaling, replacement of stopped and unhealthy tasks,
the grace period, placement, and the blocked-deployment event (ecs-semantics §3.1, §3.3)."""

from __future__ import annotations

from collections import Counter

import pytest

from ecs_operator.api import DeploymentStatus, RolloutState
from ecs_operator.lifecycle import HealthStatus, StopCode, TaskStatus
from ecs_operator.placement import make_instance
from ecs_operator.reconcile.service import SchedulerState, ServiceTask

from .builders import (
    A1,
    A2,
    B1,
    C1,
    NEW,
    OLD,
    SCALING_NEW,
    SCALING_OLD,
    UNHEALTHY,
    MakeService,
    MakeTask,
    after,
    at,
    cluster,
    request,
    routine,
    run,
    summary,
)

STUCK = (
    "service web was unable to stop or start tasks during a deployment because of the service deployment "
    "configuration. Update the minimumHealthyPercent or maximumPercent value and try again."
)


def rolling(desired: int, minimum: int, maximum: int) -> MakeService:
    """A deployment of web:2 (NEW) in progress over web:1 (OLD)."""
    return (
        MakeService()
        .desired(desired)
        .min(minimum)
        .max(maximum)
        .deployment(NEW, "web:2", rollout=RolloutState.IN_PROGRESS, created=-60)
        .deployment(OLD, "web:1", status=DeploymentStatus.ACTIVE)
    )


def old_tasks(count: int) -> list[ServiceTask]:
    nodes = [A1, B1, C1, A2]
    return [MakeTask(f"old-{n}").healthy().on(nodes[n % 4]).build() for n in range(count)]


WORKED_EXAMPLES = [
    # (desired, min %, max %) → (tasks started, old tasks stopped, events)
    pytest.param(4, 50, 100, 0, 2, [], id="desired-4-min-50-stops-2-old-first"),
    pytest.param(2, 75, 100, 0, 0, [STUCK], id="desired-2-min-75-stops-none"),
    pytest.param(4, 100, 200, 4, 0, [], id="desired-4-max-200-starts-4-first"),
    pytest.param(3, 100, 125, 0, 0, [STUCK], id="desired-3-max-125-no-extra-room"),
    pytest.param(4, 50, 200, 4, 2, [], id="desired-4-min-50-max-200-both"),
    pytest.param(2, 75, 200, 2, 0, [], id="desired-2-min-75-max-200-starts-2"),
]


@pytest.mark.parametrize(("desired", "minimum", "maximum", "started", "stopped", "stuck"), WORKED_EXAMPLES)
def test_worked_examples_of_the_deployment_configuration(
    desired: int, minimum: int, maximum: int, started: int, stopped: int, stuck: list[str]
) -> None:
    tasks = old_tasks(desired)
    plan = run(rolling(desired, minimum, maximum).build(), tasks, "web:2")
    got = summary(plan)
    assert got["start"] == ({NEW: started} if started else {})
    assert [reason for _, reason in got["stop"]] == [SCALING_NEW] * stopped
    assert got["counts"] == (desired, desired, 0)
    assert got["deployments"] == [(NEW, "PRIMARY", "IN_PROGRESS", 0), (OLD, "ACTIVE", "COMPLETED", 0)]
    assert got["events"] == routine(plan) + stuck


def test_the_blocked_event_is_not_repeated_while_the_cause_lasts() -> None:
    tasks = old_tasks(2)
    svc = rolling(2, 100, 100).build()
    first = run(svc, tasks, "web:2")
    again = run(after(svc, first), tasks, "web:2", state=first.state, now=at(60))
    assert [e.message for e in first.events] == [STUCK]
    assert again.events == ()


def test_scale_out_starts_the_missing_tasks() -> None:
    svc = MakeService().desired(5).deployment(OLD, "web:1").build()
    tasks = [MakeTask("a").healthy().on(A1).build(), MakeTask("b").healthy().on(B1).build()]
    got = summary(run(svc, tasks, "web:1"))
    assert got["start"] == {OLD: 3}
    assert got["stop"] == []
    assert got["counts"] == (5, 2, 0)


def test_scale_out_is_bounded_by_maximum_percent() -> None:
    svc = MakeService().desired(4).max(100).deployment(OLD, "web:1").build()
    tasks = [MakeTask("a").healthy().on(A1).build(), MakeTask("b").pending().on(B1).build()]
    assert summary(run(svc, tasks, "web:1"))["start"] == {OLD: 2}


SCALE_IN = [
    pytest.param(
        [("p", "pending", C1), ("h1", "healthy", A1), ("h2", "healthy", B1)],
        2,
        ["p"],
        id="pending-before-running",
    ),
    pytest.param(
        [("s", "settling", C1), ("h1", "healthy", A1), ("h2", "healthy", B1)],
        2,
        ["s"],
        id="not-yet-healthy-before-healthy",
    ),
    pytest.param(
        [("g", "in-grace-unhealthy", C1), ("h1", "healthy", A1), ("h2", "healthy", B1)],
        2,
        ["g"],
        id="unhealthy-in-grace-may-still-be-stopped",
    ),
    pytest.param(
        [("a1", "healthy", A1), ("a2", "healthy", A2), ("b", "healthy", B1)],
        2,
        ["a1|a2"],
        id="spread-az-stops-from-the-fullest-zone",
    ),
    pytest.param(
        [("a", "healthy", A1), ("b", "healthy", B1), ("c", "healthy", C1)],
        0,
        ["a", "b", "c"],
        id="desired-0-stops-everything",
    ),
]


def _task(name: str, kind: str, where: str) -> MakeTask:
    task = MakeTask(name).of(OLD, "web:1").on(where)
    if kind == "pending":
        return task.pending()
    if kind == "settling":
        return task.running(since=-10)
    if kind == "in-grace-unhealthy":
        return task.running(since=-10).checked(HealthStatus.UNHEALTHY)
    return task.healthy()


@pytest.mark.parametrize(("tasks", "desired", "stopped"), SCALE_IN)
def test_scale_in_chooses_as_ecs_does(
    tasks: list[tuple[str, str, str]], desired: int, stopped: list[str]
) -> None:
    svc = MakeService().desired(desired).grace(60).deployment(OLD, "web:1").build()
    built = [_task(*t).build() for t in tasks]
    plan = run(svc, built, "web:1")
    assert len(plan.stops) == len(stopped)
    for stop, expected in zip(sorted(plan.stops, key=lambda s: s.name), stopped, strict=True):
        assert stop.name in expected.split("|")
        assert stop.reason == SCALING_OLD
    assert plan.starts == ()


def test_scale_in_follows_binpack() -> None:
    """binpack memory stops the task on the instance with the most memory free once it is gone."""
    svc = MakeService().desired(1).strategy("binpack", "memory").deployment(OLD, "web:1").build()
    tasks = [MakeTask("big").healthy().on(A1).build(), MakeTask("small").healthy().on(B1).build()]
    snapshot = cluster(
        tasks, make_instance(A1).zone("zone-a").memory(8192), make_instance(B1).zone("zone-b").memory(2048)
    )
    assert summary(run(svc, tasks, "web:1", snapshot=snapshot))["stop"] == [("big", SCALING_OLD)]


REPLACEMENT = [
    pytest.param(
        MakeService().desired(2),
        [
            MakeTask("ok").healthy().on(A1),
            MakeTask("dead").stopped(StopCode.ESSENTIAL_CONTAINER_EXITED, ran=True).on(B1),
        ],
        {OLD: 1},
        [],
        id="stopped-task-is-replaced",
    ),
    pytest.param(
        MakeService().desired(2),
        [MakeTask("ok").healthy().on(A1), MakeTask("sick").unhealthy().on(B1)],
        {OLD: 1},
        [],
        id="unhealthy-replacement-starts-first-when-max-allows",
    ),
    pytest.param(
        MakeService().desired(2).max(100),
        [MakeTask("ok").healthy().on(A1), MakeTask("sick").unhealthy().on(B1)],
        {},
        [("sick", UNHEALTHY)],
        id="unhealthy-stopped-first-when-max-is-100",
    ),
    pytest.param(
        MakeService().desired(3).max(100),
        [
            MakeTask("ok").healthy().on(A1),
            MakeTask("sick-1").unhealthy().on(B1),
            MakeTask("sick-2").unhealthy().on(C1),
        ],
        {},
        [("sick-1|sick-2", UNHEALTHY)],
        id="unhealthy-stopped-one-at-a-time",
    ),
    pytest.param(
        MakeService().desired(3).max(100),
        [
            MakeTask("ok").healthy().on(A1),
            MakeTask("going").unhealthy().stopping().on(B1),
            MakeTask("sick").unhealthy().on(C1),
        ],
        {},
        [],
        id="no-second-unhealthy-stop-while-one-is-stopping",
    ),
    pytest.param(
        MakeService().desired(2).grace(60),
        [MakeTask("ok").healthy().on(A1), MakeTask("young").unhealthy(since=-30).on(B1)],
        {},
        [],
        id="grace-period-ignores-health",
    ),
    pytest.param(
        MakeService().desired(2).grace(60),
        [MakeTask("ok").healthy().on(A1), MakeTask("old").unhealthy(since=-61).on(B1)],
        {OLD: 1},
        [],
        id="after-the-grace-period-health-counts",
    ),
]


@pytest.mark.parametrize(("service", "tasks", "started", "stopped"), REPLACEMENT)
def test_replacement(
    service: MakeService, tasks: list[MakeTask], started: dict[str, int], stopped: list[tuple[str, str]]
) -> None:
    plan = run(service.deployment(OLD, "web:1").build(), [t.build() for t in tasks], "web:1")
    got = summary(plan)
    assert got["start"] == started
    assert len(got["stop"]) == len(stopped)
    for (name, reason), (names, expected) in zip(got["stop"], stopped, strict=True):
        assert name in names.split("|") and reason == expected


def _sick() -> MakeTask:
    return MakeTask("sick").unhealthy().on(B1)


# An unhealthy task of a REPLICA service is replaced first, then stopped (§3.1): desired 2, "ok"
# healthy on a1, "sick" UNHEALTHY past the grace period on b1, and its replacement "new" on c1.
REPLACED_FIRST = [
    pytest.param(
        MakeService().desired(2),
        [MakeTask("ok").healthy().on(A1), _sick(), MakeTask("new").pending().on(C1)],
        {},
        [],
        id="replacement-pending-keeps-the-unhealthy-task",
    ),
    pytest.param(
        MakeService().desired(2),
        [
            MakeTask("ok").healthy().on(A1),
            _sick(),
            MakeTask("new").running(since=-5).checked(HealthStatus.UNKNOWN).on(C1),
        ],
        {},
        [],
        id="replacement-running-not-yet-healthy-keeps-it",
    ),
    pytest.param(
        MakeService().desired(2),
        [
            MakeTask("ok").healthy().on(A1),
            _sick(),
            MakeTask("new").running(since=-5).checked(HealthStatus.HEALTHY).on(C1),
        ],
        {},
        [("sick", UNHEALTHY)],
        id="replacement-healthy-stops-the-unhealthy-task",
    ),
    pytest.param(
        MakeService().desired(2),
        [MakeTask("ok").healthy().on(A1), _sick(), MakeTask("new").unhealthy(since=-5).on(C1)],
        {OLD: 1},
        [("sick|new", UNHEALTHY)],
        id="replacement-unhealthy-too-one-of-the-two-stops-and-is-replaced",
    ),
    pytest.param(
        MakeService().desired(2).grace(60),
        [MakeTask("ok").healthy().on(A1), _sick(), MakeTask("new").unhealthy(since=-5).on(C1)],
        {},
        [],
        id="replacement-unhealthy-in-its-grace-period-keeps-both",
    ),
    pytest.param(
        MakeService().desired(2).max(150),
        [MakeTask("ok").healthy().on(A1), _sick(), MakeTask("new").pending().on(C1)],
        {},
        [],
        id="max-reached-by-the-replacement-itself-keeps-the-unhealthy-task",
    ),
    pytest.param(
        MakeService().desired(3).max(150),
        [
            MakeTask("ok").healthy().on(A1),
            MakeTask("sick-1").unhealthy().on(B1),
            MakeTask("sick-2").unhealthy().on(C1),
            MakeTask("new").pending().on(A2),
        ],
        {},
        [("sick-1|sick-2", UNHEALTHY)],
        id="no-room-for-the-second-replacement-stops-one-first",
    ),
    pytest.param(
        MakeService().desired(1),
        [MakeTask("ok").healthy().on(A1), _sick()],
        {},
        [("sick", UNHEALTHY)],
        id="more-tasks-than-desired-the-unhealthy-one-goes",
    ),
    pytest.param(
        MakeService().desired(2).max(100),
        [MakeTask("ok").healthy().on(A1), _sick().stopping()],
        {},
        [],
        id="max-100-waits-for-the-stopped-task-to-leave",
    ),
]


@pytest.mark.parametrize(("service", "tasks", "started", "stopped"), REPLACED_FIRST)
def test_unhealthy_tasks_are_replaced_first_then_stopped(
    service: MakeService, tasks: list[MakeTask], started: dict[str, int], stopped: list[tuple[str, str]]
) -> None:
    test_replacement(service, tasks, started, stopped)


def test_a_replacement_that_cannot_be_placed_lets_one_unhealthy_task_stop_first() -> None:
    """ECS replaces first "as long as cluster capacity allows" (§3.1): no instance fits a
    replacement, so the unhealthy task is stopped first, with the event that says why."""
    svc = MakeService().desired(2).deployment(OLD, "web:1").build()
    tasks = [MakeTask("ok").healthy().on(A1).build(), _sick().build()]
    full = cluster(
        tasks, make_instance(A1).zone("zone-a").memory(512), make_instance(B1).zone("zone-b").memory(512)
    )
    plan = run(svc, tasks, "web:1", snapshot=full, task_request=request(memory=512))
    got = summary(plan)
    assert got["start"] == {}
    assert got["stop"] == [("sick", UNHEALTHY)]
    assert any("was unable to place a task" in m for m in got["events"])


def test_a_throttled_service_keeps_its_unhealthy_task_until_a_replacement_may_start() -> None:
    svc = MakeService().desired(2).deployment(OLD, "web:1").build()
    tasks = [MakeTask("ok").healthy().on(A1).build(), _sick().build()]
    throttled = SchedulerState(launch_not_before=at(60), backoff_task_definition="web:1", start_failures=3)
    plan = run(svc, tasks, "web:1", state=throttled)
    assert summary(plan)["start"] == {} and plan.stops == ()


def test_the_unhealthy_task_goes_once_its_replacement_is_healthy_never_below_desired() -> None:
    """Pass by pass: start the replacement, keep the unhealthy task while the replacement is
    PENDING and RUNNING without a verdict, stop it once the replacement is HEALTHY."""
    svc = MakeService().desired(2).deployment(OLD, "web:1").build()
    ok, sick = MakeTask("ok").healthy().on(A1).build(), _sick().build()
    first = run(svc, [ok, sick], "web:1")
    assert summary(first)["start"] == {OLD: 1} and first.stops == ()
    name = first.starts[0].name
    svc = after(svc, first)
    for new in (
        MakeTask(name).pending().on(C1),
        MakeTask(name).running(since=-1).checked(HealthStatus.UNKNOWN).on(C1),
    ):
        plan = run(svc, [ok, sick, new.build()], "web:1", state=first.state, now=at(1))
        assert (plan.starts, plan.stops) == ((), ())
    healthy = MakeTask(name).running(since=-1).checked(HealthStatus.HEALTHY).on(C1).build()
    last = run(svc, [ok, sick, healthy], "web:1", state=first.state, now=at(2))
    assert last.starts == () and summary(last)["stop"] == [("sick", UNHEALTHY)]


def test_grace_period_end_is_the_recheck_time() -> None:
    svc = MakeService().desired(2).grace(60).deployment(OLD, "web:1").build()
    tasks = [MakeTask("ok").healthy().on(A1).build(), MakeTask("young").unhealthy(since=-30).on(B1).build()]
    assert run(svc, tasks, "web:1").recheck_at == at(30)


def test_a_task_without_health_check_counts_after_40_seconds() -> None:
    """Old tasks may be stopped only once the new ones count as healthy: 40 s after RUNNING."""
    svc = rolling(1, 100, 200).build()
    tasks = [
        MakeTask("old").healthy().on(A1).build(),
        MakeTask("new").of(NEW, "web:2").running(since=-30).on(B1).build(),
    ]
    early = run(svc, tasks, "web:2")
    assert (early.stops, early.starts, early.recheck_at) == ((), (), at(10))
    late = run(svc, tasks, "web:2", now=at(10))
    assert summary(late)["stop"] == [("old", SCALING_NEW)]


def test_placement_failure_starts_what_fits_and_names_the_closest_match() -> None:
    """a1 has room for one more task, b1 for one: of the three missing tasks, two start."""
    svc = MakeService().desired(4).deployment(OLD, "web:1").build()
    tasks = [MakeTask("a").healthy().on(A1).build()]
    snapshot = cluster(
        tasks, make_instance(A1).zone("zone-a").memory(1024), make_instance(B1).zone("zone-b").memory(512)
    )
    plan = run(svc, tasks, "web:1", snapshot=snapshot, task_request=request(memory=512))
    got = summary(plan)
    assert got["start"] == {OLD: 2}
    assert got["events"] == [
        f"service web has started 2 tasks: task {plan.starts[0].name} task {plan.starts[1].name}.",
        "service web was unable to place a task because no container instance met all of its requirements. "
        "The closest matching container-instance prod.a1 has insufficient memory available. "
        "For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
    ]
    assert plan.recheck_at == at(30)


def test_counters_count_every_state_before_running_as_pending() -> None:
    svc = MakeService().desired(4).deployment(OLD, "web:1").build()
    tasks = [
        MakeTask("prov").build(),
        MakeTask("pend").pending().on(A1).build(),
        MakeTask("act").status(TaskStatus.ACTIVATING).on(B1).build(),
        MakeTask("run").healthy().on(C1).build(),
        MakeTask("gone").stopped(StopCode.ESSENTIAL_CONTAINER_EXITED, ran=True).on(C1).build(),
    ]
    plan = run(svc, tasks, "web:1")
    assert summary(plan)["counts"] == (4, 1, 3)
    assert (plan.status.deployments[0].running_count, plan.status.deployments[0].pending_count) == (1, 3)
    assert plan.starts == ()  # four in flight already


@pytest.mark.parametrize(
    ("held", "desired", "kept"),
    [
        pytest.param({"od": 3, "spot": 6}, 5, {"od": 2, "spot": 3}, id="9-to-5-keeps-base-then-1-to-3"),
        pytest.param({"od": 3, "spot": 6}, 1, {"od": 1, "spot": 0}, id="the-base-stays-last"),
        pytest.param({"od": 5, "spot": 1}, 4, {"od": 3, "spot": 1}, id="an-off-split-sheds-the-surplus"),
    ],
)
def test_scale_in_keeps_the_capacity_provider_split(
    held: dict[str, int], desired: int, kept: dict[str, int]
) -> None:
    svc = (
        MakeService().desired(desired).capacity(("od", 1, 1), ("spot", 0, 3)).deployment(OLD, "web:1").build()
    )
    places = [A1, A2, B1, C1]
    tasks = [
        MakeTask(f"{provider}-{i}").of(OLD, "web:1").on(places[i % 4]).provider(provider).healthy().build()
        for provider, count in held.items()
        for i in range(count)
    ]
    plan = run(svc, tasks, "web:1")
    stopped = {s.name for s in plan.stops}
    assert Counter(t.capacity_provider for t in tasks if t.name not in stopped) == Counter(kept)
    assert plan.starts == ()


def test_scale_in_keeps_the_split_when_the_snapshot_misses_claims() -> None:
    """Claims not seen yet (a stale watch) make tasks look unplaced; the provider still comes first."""
    svc = MakeService().desired(5).capacity(("od", 1, 1), ("spot", 0, 3)).deployment(OLD, "web:1").build()
    places = [A1, A2, B1, C1]
    tasks = [
        MakeTask(f"{provider}-{i}").of(OLD, "web:1").on(places[i % 4]).provider(provider).healthy()
        for provider, count in (("od", 3), ("spot", 6))
        for i in range(count)
    ]
    built = [t.build() for t in tasks]
    seen = [t for t in built if t.capacity_provider == "od"]  # the spot claims are not in the snapshot
    plan = run(svc, built, "web:1", snapshot=cluster(seen))
    stopped = {s.name for s in plan.stops}
    assert Counter(t.capacity_provider for t in built if t.name not in stopped) == Counter(
        {"od": 2, "spot": 3}
    )
