"""`objects.update_status`, the compare-and-swap loop every status write goes through, branch by
branch: each row scripts what the API server answers and asserts what was written and how often."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from ecs_operator.kube import objects
from ecs_operator.kube.errors import Conflict, KubeError, NotFound
from ecs_operator.kube.objects import TASKS, Obj
from tests.support.fakestore import FakeStore
from tests.unit.kube.conftest import NAMESPACE, World


def other_writer(store: FakeStore, status: Obj) -> Callable[[], None]:
    """Another process writes the task's status (a new resourceVersion) before our write lands."""

    def write() -> None:
        store.mutate(
            "ecs-operator.dev",
            TASKS.plural,
            "t",
            lambda o: o.__setitem__("status", {**(o.get("status") or {}), **status}),
            NAMESPACE,
        )

    return write


@dataclass(frozen=True)
class Case:
    script: Callable[[FakeStore], None]
    attempts: int = 8
    raises: type[Exception] | None = None
    status: Obj = field(default_factory=dict)  # the task's status afterwards
    outcomes: tuple[Any, ...] = ()  # what the status patches were answered
    gets: int = 0
    conflicts: int = 0


def add_pending(obj: Obj) -> Obj | None:
    """Set PENDING unless it is set; keep whatever else is there (a merge, as the handlers do)."""
    return None if (obj.get("status") or {}).get("lastStatus") == "PENDING" else {"lastStatus": "PENDING"}


CASES = {
    "written-at-once": Case(lambda s: None, status={"lastStatus": "PENDING"}, outcomes=("ok",)),
    "409-then-success": Case(
        lambda s: s.fail(409, "patch_status", "t"),
        status={"lastStatus": "PENDING"},
        outcomes=(409, "ok"),
        gets=1,
        conflicts=1,
    ),
    "another-writer-in-between-is-kept": Case(
        lambda s: s.before(other_writer(s, {"podName": "p"}), "patch_status", "t"),
        status={"lastStatus": "PENDING", "podName": "p"},
        outcomes=(409, "ok"),
        gets=1,
        conflicts=1,
    ),
    "another-writer-did-it-already": Case(
        lambda s: s.before(other_writer(s, {"lastStatus": "PENDING"}), "patch_status", "t"),
        status={"lastStatus": "PENDING"},
        outcomes=(409,),  # the re-read shows nothing left to write
        gets=1,
        conflicts=1,
    ),
    "409-every-time": Case(
        lambda s: s.fail(409, "patch_status", "t", times=None),
        attempts=3,
        raises=Conflict,
        outcomes=(409, 409, 409),
        gets=3,
        conflicts=3,
    ),
    "500-propagates": Case(lambda s: s.fail(500, "patch_status", "t"), raises=KubeError, outcomes=(500,)),
    "503-propagates": Case(lambda s: s.fail(503, "patch_status", "t"), raises=KubeError, outcomes=(503,)),
    "timeout-is-a-kube-error": Case(
        lambda s: s.fail("timeout", "patch_status", "t"), raises=KubeError, outcomes=("timeout",)
    ),
    "404-on-re-read": Case(
        lambda s: (s.fail(409, "patch_status", "t"), s.fail(404, "get", "t")),
        raises=NotFound,
        outcomes=(409,),
        gets=1,
        conflicts=1,
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_update_status(store: FakeStore, world: World, case: Case) -> None:
    current = world.task("t")
    case.script(store)
    conflicts: list[int] = []
    if case.raises is not None:
        with pytest.raises(case.raises) as caught:
            objects.update_status(
                TASKS, "t", add_pending, NAMESPACE, current, case.attempts, lambda: conflicts.append(1)
            )
        assert not (case.raises is KubeError and isinstance(caught.value, Conflict))
    else:
        result = objects.update_status(
            TASKS, "t", add_pending, NAMESPACE, current, case.attempts, lambda: conflicts.append(1)
        )
        assert result == world.get("ecstasks", "t")  # the object as stored, at its new version
        assert world.get("ecstasks", "t").get("status") == case.status
    assert tuple(c.outcome for c in store.log("patch_status")) == case.outcomes
    assert len(store.log("get")) == case.gets
    assert len(conflicts) == case.conflicts


def test_compute_returning_none_writes_nothing(store: FakeStore, world: World) -> None:
    current = world.task("t", status={"lastStatus": "PENDING"})
    assert objects.update_status(TASKS, "t", add_pending, NAMESPACE, current) == current
    assert store.calls == []


def test_without_a_copy_the_object_is_read_first(store: FakeStore, world: World) -> None:
    world.task("t")
    objects.update_status(TASKS, "t", add_pending, NAMESPACE)
    assert [c.verb for c in store.calls] == ["get", "patch_status"]


def test_a_stale_copy_costs_one_conflict_and_a_re_read(store: FakeStore, world: World) -> None:
    stale = world.task("t")
    other_writer(store, {"podName": "p"})()
    seen: list[Obj] = []

    def compute(obj: Obj) -> Obj | None:
        seen.append(obj)
        return add_pending(obj)

    objects.update_status(TASKS, "t", compute, NAMESPACE, stale)
    assert [c.outcome for c in store.log("patch_status")] == [409, "ok"]
    assert [(o.get("status") or {}).get("podName") for o in seen] == [
        None,
        "p",
    ]  # recomputed on the fresh copy
    assert world.get("ecstasks", "t")["status"] == {"podName": "p", "lastStatus": "PENDING"}
