"""The cluster's sweep of its live tasks (`handlers.task_sweep`) against the fake store: a task
whose event pass never happened is passed once it has been quiet for `IDLE` seconds; a settled
RUNNING task whose task, pod and instance are unchanged since its last pass is not passed again;
a change of any of them makes it due again."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_operator.handlers import task_sweep, tasks
from ecs_operator.kube.objects import GROUP, INSTANCES, TASKS, Obj
from tests.support.fakestore import FakeStore
from tests.unit.kube.conftest import CLUSTER, NAMESPACE, World

STARTED = "2026-01-01T00:00:00Z"


@pytest.fixture
def cluster(world: World, events: list[Any], monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setattr(task_sweep, "_seen", {})
    monkeypatch.setattr(task_sweep, "_checks_health", {})
    for node, zone in (("n1", "zone-a"), ("n2", "zone-b")):
        world.instance(node, zone)
    world.task_definition()
    return world


def kwargs(store: FakeStore) -> dict[str, Any]:
    """The indexes a Kopf handler gets, as the watch would hold them now."""
    bodies: dict[str, list[Obj]] = {}
    for task in store.all(GROUP, TASKS.plural, NAMESPACE):
        bodies[task["metadata"]["uid"]] = [tasks.slim(task)]
    pods: dict[str, list[Obj]] = {}
    for pod in store.all("", "pods", NAMESPACE):
        pods.setdefault(pod["metadata"]["labels"][tasks.MANAGED_LABEL], []).append(pod)
    return {
        "task_bodies": bodies,
        "task_pods": pods,
        "instance_objects": {CLUSTER: store.all(GROUP, INSTANCES.plural)},
    }


def task_writes(store: FakeStore) -> int:
    return sum(1 for c in store.calls if c.plural == TASKS.plural and c.verb not in ("get", "list"))


def run_pod(store: FakeStore) -> None:
    """KWOK's part: the task's pod is bound and running."""
    (pod,) = store.all("", "pods", NAMESPACE)

    def running(obj: Obj) -> None:
        obj["status"] = {
            "phase": "Running",
            "containerStatuses": [
                {"name": "web", "ready": True, "state": {"running": {"startedAt": STARTED}}}
            ],
        }

    store.mutate("", "pods", pod["metadata"]["name"], running, NAMESPACE)


def test_a_task_missed_by_its_events_is_placed_once_it_has_been_quiet(
    store: FakeStore, cluster: World
) -> None:
    cluster.task("t")  # its ADDED event's pass failed (an API error): only the sweep is left
    assert task_sweep.sweep(CLUSTER, kwargs(store), now=0.0) == 0  # first seen: its event just ran
    assert task_sweep.sweep(CLUSTER, kwargs(store), now=task_sweep.IDLE - 1) == 0
    assert task_sweep.sweep(CLUSTER, kwargs(store), now=task_sweep.IDLE) == 1
    status = cluster.get(TASKS.plural, "t")["status"]
    assert status["lastStatus"] == "PENDING" and status["containerInstance"]


def test_a_settled_task_is_passed_once_then_left_alone_until_something_changes(
    store: FakeStore, cluster: World
) -> None:
    cluster.task("t")
    tasks.reconcile_task(cluster.get(TASKS.plural, "t"), store.all(GROUP, INSTANCES.plural))
    run_pod(store)
    clock = 0.0
    for _ in range(3):  # first seen; the pass that records RUNNING; the new version seen
        task_sweep.sweep(CLUSTER, kwargs(store), now=clock)
        clock += task_sweep.IDLE
    assert cluster.get(TASKS.plural, "t")["status"]["lastStatus"] == "RUNNING"
    task_sweep.sweep(CLUSTER, kwargs(store), now=clock)  # RUNNING, quiet: passed once
    clock += task_sweep.IDLE
    store.calls.clear()
    for _ in range(3):
        assert task_sweep.sweep(CLUSTER, kwargs(store), now=clock) == 0
        clock += task_sweep.IDLE
    assert store.calls == []  # not a read, not a write
    # its pod changes (deleted behind the operator's back, the event lost): due again
    (pod,) = store.all("", "pods", NAMESPACE)
    store.objects.pop(("", "pods", NAMESPACE, pod["metadata"]["name"]))
    task_sweep.sweep(CLUSTER, kwargs(store), now=clock)
    assert task_sweep.sweep(CLUSTER, kwargs(store), now=clock + task_sweep.IDLE) == 1
    assert task_writes(store) >= 1
    assert cluster.get(TASKS.plural, "t")["status"]["desiredStatus"] == "STOPPED"


def test_a_running_task_whose_health_check_is_still_starting_is_not_settled(
    store: FakeStore, cluster: World
) -> None:
    task = {
        "metadata": {"name": "t", "namespace": NAMESPACE, "uid": "u"},
        "spec": {"cluster": CLUSTER, "taskDefinition": "web"},
        "status": {"lastStatus": "RUNNING", "desiredStatus": "RUNNING", "healthStatus": "UNKNOWN"},
    }
    task_sweep._checks_health[""] = True
    assert not task_sweep.settled(task)
    task["status"]["healthStatus"] = "HEALTHY"
    assert task_sweep.settled(task)
    task["status"]["desiredStatus"] = "STOPPED"
    assert not task_sweep.settled(task)


def test_other_clusters_tasks_are_not_passed(store: FakeStore, cluster: World) -> None:
    cluster.task("t")
    for clock in (0.0, task_sweep.IDLE, 2 * task_sweep.IDLE):
        assert task_sweep.sweep("elsewhere", kwargs(store), now=clock) == 0
    assert "containerInstance" not in (cluster.get(TASKS.plural, "t").get("status") or {})
