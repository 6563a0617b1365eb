"""AZ rebalancing (pure): one move at a time, start first, within the bounds, in ECS's words."""

from __future__ import annotations

from typing import Any

from ecs_operator.api import AvailabilityZoneRebalancing
from ecs_operator.lifecycle import StopCode
from ecs_operator.reconcile.service import SchedulerState, ServiceTask

from .builders import A1, A2, B1, OLD, SCALING_OLD, MakeService, MakeTask, cluster, request, run, summary

UNBALANCED = "service (web) is not AZ balanced with 4 tasks in zone-a, 0 in zone-b, and 0 in zone-c. AZ Rebalancing in progress."


def svc(**spec: Any) -> MakeService:
    service = MakeService().desired(4).deployment(OLD, "web:1")
    service._spec.update(spec)
    return service


def lopsided() -> list[ServiceTask]:
    """Four healthy tasks in zone-a (two on a1, two on a2); b1 and c1 came back empty."""
    return [MakeTask(f"r{i}").healthy().on(A1 if i <= 2 else A2).build() for i in range(1, 5)]


def plan(service: MakeService, tasks: list[ServiceTask], moving: str | None = None) -> Any:
    return run(
        service.build(),
        tasks,
        "web:1",
        snapshot=cluster(tasks),
        task_request=request(),
        state=SchedulerState(rebalancing_task=moving),
    )


def test_a_lopsided_service_starts_a_move_to_the_emptiest_zone() -> None:
    result = plan(svc(), lopsided())
    got = summary(result)
    assert got["start"] == {OLD: 1} and got["stop"] == []
    assert UNBALANCED in got["events"]
    assert result.state.rebalancing_task == "r1"  # fullest instance first, then by name


def test_the_moved_task_stops_once_its_replacement_is_healthy() -> None:
    tasks = [*lopsided(), MakeTask("n1").healthy().on(B1).build()]
    result = plan(svc(), tasks, moving="r1")
    got = summary(result)
    assert got["stop"] == [("r1", SCALING_OLD)] and got["start"] == {}
    assert (
        "service web has stopped 1 running tasks in zone-a due to AZ rebalancing: task r1." in got["events"]
    )
    assert result.state.rebalancing_task == "r1"


def test_while_the_replacement_starts_the_moved_task_stays() -> None:
    tasks = [*lopsided(), MakeTask("n1").pending().on(B1).build()]
    result = plan(svc(), tasks, moving="r1")
    got = summary(result)
    assert got["stop"] == [] and got["start"] == {}  # nothing stopped below 4 healthy, nothing more started
    assert result.state.rebalancing_task == "r1"


def test_moves_go_on_until_balanced_then_ecs_says_so() -> None:
    moved = MakeTask("r1").stopped(StopCode.SERVICE_SCHEDULER_INITIATED, ran=True).on(A1).build()
    tasks = [moved, *lopsided()[1:], MakeTask("n1").healthy().on(B1).build()]
    again = plan(svc(), tasks, moving="r1")  # 3 in zone-a, 1 in zone-b, 0 in zone-c: one more move
    assert summary(again)["start"] == {OLD: 1}
    assert again.state.rebalancing_task == "r3"  # a2 holds two, a1 one
    balanced = [
        MakeTask("r1").healthy().on(A1).build(),
        MakeTask("r3").healthy().on(A2).build(),
        MakeTask("n1").healthy().on(B1).build(),
        MakeTask("n2").healthy().on("prod.c1").build(),
    ]
    done = plan(svc(), balanced, moving="gone")
    events = summary(done)["events"]
    assert (
        "service (web) is AZ balanced with 2 tasks in zone-a, 1 tasks in zone-b, and 1 tasks in zone-c."
        in events
    )
    assert done.state.rebalancing_task is None
    assert summary(plan(svc(), balanced))["events"] == ["service web has reached a steady state."]


def test_no_move_when_disabled_binpacked_or_without_room() -> None:
    disabled = svc(availability_zone_rebalancing=AvailabilityZoneRebalancing.DISABLED)
    for service in (disabled, svc().strategy("binpack", "memory"), svc().max(100)):
        result = plan(service, lopsided())
        assert summary(result)["start"] == {}, service
        assert result.state.rebalancing_task is None
    spread = svc().strategy("spread", "attribute:ecs.availability-zone").strategy("binpack", "memory")
    assert summary(plan(spread, lopsided()))["start"] == {OLD: 1}


def test_every_field_of_the_scheduler_state_survives_the_crd_schema() -> None:
    """The API server prunes what status.scheduler's schema does not declare: all must be declared."""
    from datetime import UTC, datetime

    from ecs_operator.api.service import SchedulerMemory

    moment = datetime(2026, 12, 3, tzinfo=UTC)
    state = SchedulerState(
        deployments_created=2,
        tasks_started=9,
        counted_failures=("u1",),
        start_failures=1,
        last_start_failure_at=moment,
        launch_not_before=moment,
        backoff_task_definition="web:2",
        last_task_failure_at=moment,
        rolled_back_from=("web:2", "x"),
        active_messages=("d1",),
        last_completed=("ecs-svc/1", "web:1", None),
        rebalancing_task="r1",
    )
    wire = state.to_object()
    kept = SchedulerMemory.model_validate(wire).model_dump(mode="json", by_alias=True, exclude_none=True)
    assert set(wire) <= set(kept), set(wire) - set(kept)
    assert SchedulerState.from_object(kept) == state
