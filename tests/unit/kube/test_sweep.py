"""The orphan-claim sweep (`handlers.sweep.sweep_instance`) against the fake store: it releases the
claims of tasks that are gone, STOPPED or placed elsewhere, confirming each with a fresh read of
the task (the watch index may lag), and keeps claims of live tasks (placed here, or in flight)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from ecs_operator.handlers import sweep
from ecs_operator.kube import claims
from ecs_operator.kube.objects import GROUP, INSTANCES, TASKS, Obj
from ecs_operator.reconcile.ledger import TaskView
from tests.support.fakestore import FakeStore
from tests.unit.kube.conftest import NAMESPACE, World

HERE = "prod.n1"


def claim_of(task: Obj) -> dict[str, Any]:
    meta = task["metadata"]
    return {"taskUid": meta["uid"], "task": f"{NAMESPACE}/{meta['name']}", "cpu": 256, "memory": 512}


@dataclass(frozen=True)
class Case:
    """`fresh`: the task as stored now (None: deleted); `cached`: what the watch index shows
    (None: nothing indexed for that uid); `kept`: the claim survives the sweep; `reads`: GETs."""

    fresh: Callable[[World], Obj | None]
    cached: Callable[[Obj], TaskView | None]
    kept: bool
    reads: int


def placed(where: str | None, last: str = "RUNNING") -> Callable[[World], Obj]:
    def make(world: World) -> Obj:
        status: Obj = {"lastStatus": last}
        if where:
            status["containerInstance"] = where
        return world.task("t", status=status)

    return make


def as_stored(task: Obj) -> TaskView:
    return TaskView.of(task)


def in_flight_view(task: Obj) -> TaskView:
    return TaskView(task["metadata"]["uid"], None, stopped=False)


def nothing(task: Obj) -> None:
    return None


CASES = {
    "placed-here-kept": Case(placed(HERE), as_stored, kept=True, reads=0),
    "in-flight-kept": Case(placed(None, "PENDING"), as_stored, kept=True, reads=0),
    "stopped-released": Case(placed(HERE, "STOPPED"), as_stored, kept=False, reads=1),
    "placed-elsewhere-released": Case(placed("prod.n2"), as_stored, kept=False, reads=1),
    "gone-released": Case(lambda w: None, nothing, kept=False, reads=1),
    "index-lags-task-is-in-flight-kept": Case(placed(None, "PENDING"), nothing, kept=True, reads=1),
    "index-lags-task-now-placed-here-kept": Case(placed(HERE), in_flight_view, kept=True, reads=0),
    "index-says-stopped-but-fresh-read-in-flight-kept": Case(
        placed(None, "PENDING"),
        lambda t: TaskView(t["metadata"]["uid"], None, stopped=True),
        kept=True,
        reads=1,
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_sweep_instance(store: FakeStore, world: World, case: Case) -> None:
    world.instance("n1")
    world.task_definition()
    stored = case.fresh(world)
    task = stored if stored is not None else world.task("t")
    claims.commit(HERE, claim_of(task), lambda o: None)
    if stored is None:
        store.objects.pop((GROUP, TASKS.plural, NAMESPACE, "t"))
    view = case.cached(task)
    views = {task["metadata"]["uid"]: [view]} if view is not None else {}
    store.calls.clear()
    released = sweep.sweep_instance(world.get(INSTANCES.plural, HERE, None), views)  # type: ignore[arg-type]
    assert [c["taskUid"] for c in world.claims(HERE)] == ([task["metadata"]["uid"]] if case.kept else [])
    assert released == (0 if case.kept else 1)
    assert len(store.log("get", plural=TASKS.plural)) == case.reads


def test_a_name_reused_by_another_task_is_gone(store: FakeStore, world: World) -> None:
    """The claim's task was deleted and a new task took its name: the claim is the old one's."""
    world.instance("n1")
    old = world.task("t", status={"lastStatus": "PENDING"})
    claims.commit(HERE, claim_of(old), lambda o: None)
    store.objects.pop((GROUP, TASKS.plural, NAMESPACE, "t"))
    world.task("t", status={"lastStatus": "PENDING"})  # same name, new uid
    assert sweep.sweep_instance(world.get(INSTANCES.plural, HERE, None), {}) == 1  # type: ignore[arg-type]
    assert world.claims(HERE) == []


def test_the_sweep_keeps_in_flight_claims_and_releases_the_rest_in_one_pass(
    store: FakeStore, world: World
) -> None:
    world.instance("n1")
    keep = [world.task("live", status={"lastStatus": "RUNNING", "containerInstance": HERE})]
    keep.append(world.task("flight", status={"lastStatus": "PENDING"}))
    drop = [world.task("stopped", status={"lastStatus": "STOPPED", "containerInstance": HERE})]
    drop.append(world.task("moved", status={"lastStatus": "RUNNING", "containerInstance": "prod.n2"}))
    for t in [*keep, *drop]:
        claims.commit(HERE, claim_of(t), lambda o: None)
    # another scheduler commits a claim while the sweep runs: the releases must keep it
    late = world.task("late", status={"lastStatus": "PENDING"})
    store.before(lambda: claims.commit(HERE, claim_of(late), lambda o: None), "patch_status", HERE)
    views = {t["metadata"]["uid"]: [TaskView.of(t)] for t in [*keep, *drop]}
    assert sweep.sweep_instance(world.get(INSTANCES.plural, HERE, None), views) == 2  # type: ignore[arg-type]
    left = {c["task"] for c in world.claims(HERE)}
    assert left == {f"{NAMESPACE}/live", f"{NAMESPACE}/flight", f"{NAMESPACE}/late"}


def test_an_instance_gone_meanwhile_is_skipped(store: FakeStore, world: World) -> None:
    world.instance("n1")
    gone = world.task("t", status={"lastStatus": "STOPPED", "containerInstance": HERE})
    claims.commit(HERE, claim_of(gone), lambda o: None)
    inst = world.get(INSTANCES.plural, HERE, None)
    store.objects.pop((GROUP, INSTANCES.plural, "", HERE))
    assert sweep.sweep_instance(inst, {}) == 0  # type: ignore[arg-type]
