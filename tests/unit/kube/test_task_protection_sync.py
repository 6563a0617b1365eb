"""`handlers.task_protection.sync` against the fake store: the answer to spec.protection is
written once, with the resourceVersion read (re-decided after a 409), fields that no longer apply
are removed (a merge patch keeps what it does not name), and the Events say what happened."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ecs_operator.api.meta import owner_reference
from ecs_operator.handlers import task_launch as tl
from ecs_operator.handlers import task_protection
from ecs_operator.kube.objects import GROUP, TASKS, Obj
from tests.support.fakestore import FakeStore
from tests.unit.kube.conftest import NAMESPACE, World

T0 = datetime(2026, 12, 3, 7, 0, 0, 400000, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    now = [T0]
    monkeypatch.setattr(tl, "now", lambda: now[0])
    return now


def service_task(world: World, protection: dict[str, Any] | None) -> Obj:
    spec = {"protection": protection} if protection else {}
    task = world.task("web-1", {"lastStatus": "RUNNING"}, **spec)

    def own(obj: Obj) -> None:
        obj["metadata"]["ownerReferences"] = [owner_reference("EcsService", "web", "uid-web")]

    world.store.mutate(GROUP, TASKS.plural, task["metadata"]["name"], own, NAMESPACE)
    return world.get(TASKS.plural, "web-1")


def set_protection(world: World, protection: dict[str, Any] | None) -> Obj:
    def change(obj: Obj) -> None:
        if protection is None:
            obj["spec"].pop("protection", None)
        else:
            obj["spec"]["protection"] = protection

    world.store.mutate(GROUP, TASKS.plural, "web-1", change, NAMESPACE)
    return world.get(TASKS.plural, "web-1")


def protection_status(world: World) -> Any:
    return world.get(TASKS.plural, "web-1")["status"].get("protection")


def test_enable_renew_disable_remove(world: World, events: list[Any], clock: list[datetime]) -> None:
    task = service_task(world, {"enabled": True, "expiresInMinutes": 60})
    task_protection.sync(task)
    assert protection_status(world) == {
        "enabled": True,
        "expirationDate": "2026-12-03T08:00:00Z",
        "updatedAt": "2026-12-03T07:00:00Z",
        "applied": {"enabled": True, "expiresInMinutes": 60},
        "failures": [],
    }
    assert events == [
        ("Normal", "TaskProtectionUpdated", "Scale-in protection enabled until 2026-12-03T08:00:00Z.")
    ]

    clock[0] = datetime(2026, 12, 3, 7, 30, tzinfo=UTC)
    task_protection.sync(world.get(TASKS.plural, "web-1"))  # the same request: nothing written
    assert protection_status(world)["expirationDate"] == "2026-12-03T08:00:00Z"

    task_protection.sync(set_protection(world, {"enabled": True, "expiresInMinutes": 60, "renew": "r1"}))
    assert protection_status(world)["expirationDate"] == "2026-12-03T08:30:00Z"

    task_protection.sync(set_protection(world, {"enabled": False, "expiresInMinutes": 60, "renew": "r2"}))
    assert protection_status(world) == {
        "enabled": False,
        "updatedAt": "2026-12-03T07:30:00Z",
        "applied": {"enabled": False, "expiresInMinutes": 60, "renew": "r2"},
        "failures": [],
    }

    task_protection.sync(set_protection(world, None))
    assert protection_status(world) == {"enabled": False, "updatedAt": "2026-12-03T07:30:00Z", "failures": []}
    assert [reason for _, reason, _ in events] == ["TaskProtectionUpdated"] * 4


def test_expiry_turns_it_off(world: World, events: list[Any], clock: list[datetime]) -> None:
    task_protection.sync(service_task(world, {"enabled": True, "expiresInMinutes": 1}))
    clock[0] = datetime(2026, 12, 3, 7, 1, 0, tzinfo=UTC)
    task_protection.sync(world.get(TASKS.plural, "web-1"))
    status = protection_status(world)
    assert status["enabled"] is False and "expirationDate" not in status
    assert events[-1] == ("Normal", "TaskProtectionUpdated", "Scale-in protection expired.")


def test_a_standalone_task_is_refused(world: World, events: list[Any], clock: list[datetime]) -> None:
    task = world.task("solo", {"lastStatus": "RUNNING"}, protection={"enabled": True})
    task_protection.sync(task)
    status = world.get(TASKS.plural, "solo")["status"]["protection"]
    assert status["enabled"] is False
    assert [(f["arn"], f["reason"]) for f in status["failures"]] == [(f"{NAMESPACE}/solo", "TASK_NOT_VALID")]
    assert [(kind, reason) for kind, reason, _ in events] == [("Warning", "UpdateTaskProtectionFailed")]
    task_protection.sync(world.get(TASKS.plural, "solo"))
    assert len(events) == 1  # said once


def test_a_conflict_re_reads_and_decides_again(
    world: World, store: FakeStore, events: list[Any], clock: list[datetime]
) -> None:
    stale = service_task(world, {"enabled": True, "expiresInMinutes": 60})
    set_protection(world, {"enabled": True, "expiresInMinutes": 10})  # written after `stale` was read
    task_protection.sync(stale)
    status = protection_status(world)
    assert status["applied"] == {"enabled": True, "expiresInMinutes": 10}
    assert status["expirationDate"] == "2026-12-03T07:10:00Z"
