"""Room held for DAEMON tasks (`handlers.daemons`): a task placed through the real handler code
does not take the CPU and memory a daemon of the cluster should have on an instance."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ecs_operator.handlers import daemons, tasks
from ecs_operator.kube.objects import GROUP, INSTANCES, TASKS
from ecs_operator.placement import make_task
from tests.support.fakestore import FakeStore
from tests.unit.kube.conftest import CLUSTER, World


@pytest.fixture(autouse=True)
def no_daemons(events: list[Any]) -> Iterator[None]:
    yield
    daemons.forget("ns/agent")


def _place(store: FakeStore, world: World, name: str) -> str | None:
    world.task(name)
    tasks.reconcile_task(world.get(TASKS.plural, name), store.all(GROUP, INSTANCES.plural))
    return (world.get(TASKS.plural, name).get("status") or {}).get("containerInstance")


def _agent(memory: int) -> None:
    request = make_task("agent").service("agent").cpu(256).memory(memory).build()
    daemons.record(CLUSTER, "ns/agent", request)


def test_a_replica_task_does_not_take_the_room_of_a_daemon(store: FakeStore, world: World) -> None:
    # one 4 GiB instance; the task needs 512 MiB; the daemon would need 3,800 MiB of it
    world.instance("n1")
    world.task_definition()
    _agent(3800)
    assert _place(store, world, "t1") is None  # no room left beside the daemon's reservation
    daemons.forget("ns/agent")
    assert _place(store, world, "t2") == f"{CLUSTER}.n1"  # without the daemon it fits


def test_the_daemon_itself_and_small_tasks_still_fit(store: FakeStore, world: World) -> None:
    world.instance("n1")
    world.task_definition()
    _agent(1024)
    assert _place(store, world, "t1") == f"{CLUSTER}.n1"
    assert daemons.groups(CLUSTER) == frozenset({"service:agent"})
    assert daemons.groups("elsewhere") == frozenset()
