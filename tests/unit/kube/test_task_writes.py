"""The writes and reads of the task path (`handlers.tasks`, `reconcile.task`): one status write
places a task (containerInstance, PENDING, podName and the first observation together), the first
look at its unreported pod writes nothing, no per-task Event is posted, and a pod's event reads
the task from the watch-fed index instead of the API server."""

from __future__ import annotations

from typing import Any

import kopf
import pytest

from ecs_operator.handlers import tasks
from ecs_operator.kube.objects import GROUP, INSTANCES, TASKS, Obj
from tests.support.fakestore import FakeStore
from tests.unit.kube.conftest import CLUSTER, NAMESPACE, World


@pytest.fixture
def cluster(world: World, events: list[Any]) -> World:
    for node, zone in (("n1", "zone-a"), ("n2", "zone-b")):
        world.instance(node, zone)
    world.task_definition()
    return world


def writes(store: FakeStore) -> list[tuple[str, str]]:
    return [
        (c.verb, c.plural or "") for c in store.calls if c.verb not in ("get", "list") and c.outcome == "ok"
    ]


def reconcile(store: FakeStore, world: World) -> None:
    tasks.reconcile_task(world.get(TASKS.plural, "t"), store.all(GROUP, INSTANCES.plural))


def test_a_task_is_placed_with_one_status_write_and_no_event(
    store: FakeStore, cluster: World, events: list[Any]
) -> None:
    cluster.task("t")
    reconcile(store, cluster)
    assert writes(store) == [
        ("patch_status", "ecscontainerinstances"),  # the claim
        ("patch_status", "ecstasks"),  # placement, PENDING, podName, first observation
        ("create", "pods"),
    ]
    status = cluster.get(TASKS.plural, "t")["status"]
    (pod,) = store.all("", "pods", NAMESPACE)
    assert status["podName"] == pod["metadata"]["name"]
    assert (status["lastStatus"], status["healthStatus"]) == ("PENDING", "UNKNOWN")
    assert events == []  # ECS has no per-task placement event
    store.calls.clear()
    reconcile(store, cluster)  # the pod's first event: bound, nothing reported yet
    assert writes(store) == []


def test_a_pod_missing_after_a_crash_past_the_placement_is_created_once(
    store: FakeStore, cluster: World
) -> None:
    """Crash point after-placement, as a restarted process sees it: placed, PENDING, no pod, never
    seen. The pod is created; its create is idempotent, so a second pass makes no second pod."""
    cluster.task("t")
    reconcile(store, cluster)
    (pod,) = store.all("", "pods", NAMESPACE)
    store.objects.pop(("", "pods", NAMESPACE, pod["metadata"]["name"]))
    tasks._pods_seen.clear()  # the restarted process never saw it
    store.calls.clear()
    reconcile(store, cluster)
    assert writes(store) == [("create", "pods")]
    reconcile(store, cluster)
    assert len(store.all("", "pods", NAMESPACE)) == 1


def test_a_pod_this_process_saw_and_lost_stops_the_task(store: FakeStore, cluster: World) -> None:
    cluster.task("t")
    reconcile(store, cluster)
    (pod,) = store.all("", "pods", NAMESPACE)
    store.objects.pop(("", "pods", NAMESPACE, pod["metadata"]["name"]))
    for _ in range(2):  # the cause, then STOPPED and the claim released
        reconcile(store, cluster)
    status = cluster.get(TASKS.plural, "t")["status"]
    assert (status["lastStatus"], status["stoppedReason"]) == ("STOPPED", "The task's pod was deleted")
    assert store.all("", "pods", NAMESPACE) == []


def _pod_event(store: FakeStore, world: World, index: dict[str, list[Obj]], type: str = "MODIFIED") -> None:
    (pod,) = store.all("", "pods", NAMESPACE)
    tasks.task_pod_changed(
        body=kopf.Body(pod),
        type=type,
        namespace=NAMESPACE,
        task_bodies=index,
        instance_objects={CLUSTER: store.all(GROUP, INSTANCES.plural)},
    )


def test_a_pod_event_reads_its_task_from_the_index(store: FakeStore, cluster: World) -> None:
    cluster.task("t")
    reconcile(store, cluster)
    task = cluster.get(TASKS.plural, "t")
    store.calls.clear()
    _pod_event(store, cluster, {task["metadata"]["uid"]: [tasks.slim(task)]})
    assert [c for c in store.calls if c.plural == TASKS.plural] == []  # no GET, nothing to write


@pytest.mark.parametrize("copy", ["missing", "before-placement"])
@pytest.mark.parametrize("placed_by", ["this-process", "a-peer"])
def test_a_pod_event_reads_the_task_when_the_index_is_behind(
    store: FakeStore, cluster: World, copy: str, placed_by: str
) -> None:
    """Behind the pod, the index's copy is not used: this process's own last write serves when it
    made it; a placement a peer recorded is read from the API server."""
    unplaced = cluster.task("t")
    reconcile(store, cluster)
    if placed_by == "a-peer":
        tasks._written.clear()
    index = {} if copy == "missing" else {unplaced["metadata"]["uid"]: [tasks.slim(unplaced)]}
    store.calls.clear()
    _pod_event(store, cluster, index)
    reads = [(c.verb, c.plural) for c in store.calls if c.plural == TASKS.plural]
    assert reads == ([] if placed_by == "this-process" else [("get", "ecstasks")])
    assert writes(store) == []  # the copy used is placed and names the pod: nothing to do


def test_the_index_keeps_a_compact_copy() -> None:
    body = {
        "apiVersion": f"{GROUP}/v1alpha1",
        "kind": "EcsTask",
        "metadata": {
            "name": "t",
            "namespace": NAMESPACE,
            "uid": "u",
            "resourceVersion": "7",
            "managedFields": [{"manager": "kubectl"}],
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}", f"{GROUP}/x": "1"},
        },
        "spec": {"cluster": CLUSTER},
        "status": {"lastStatus": "RUNNING"},
    }
    slim = tasks.slim(body)
    assert slim["metadata"] == {
        "name": "t",
        "namespace": NAMESPACE,
        "uid": "u",
        "resourceVersion": "7",
        "annotations": {f"{GROUP}/x": "1"},
    }
    assert (slim["spec"], slim["status"], slim["kind"]) == (body["spec"], body["status"], "EcsTask")


def test_an_observation_from_a_stale_copy_is_recomputed_from_the_fresh_task(
    store: FakeStore, cluster: World
) -> None:
    """A pod event handled with an index copy older than this process's last write: the 409
    recomputes from the fresh task, so a recorded stoppingAt is not moved to now."""
    cluster.task("t")
    reconcile(store, cluster)
    store.mutate(GROUP, TASKS.plural, "t", lambda o: o["spec"].update(desiredStatus="STOPPED"), NAMESPACE)
    stale = cluster.get(TASKS.plural, "t")  # StopTask, still PENDING, as the index may hold it
    (pod,) = store.all("", "pods", NAMESPACE)
    name = pod["metadata"]["name"]
    earlier = "2026-01-01T00:00:00Z"

    def running_and_deleting(obj: Obj) -> None:
        obj["metadata"]["deletionTimestamp"] = earlier
        obj["status"] = {
            "phase": "Running",
            "containerStatuses": [{"name": "web", "state": {"running": {"startedAt": earlier}}}],
        }

    store.mutate("", "pods", name, running_and_deleting, NAMESPACE)
    store.mutate(
        GROUP,
        TASKS.plural,
        "t",
        lambda o: o["status"].update(lastStatus="STOPPING", stoppingAt=earlier, desiredStatus="STOPPED"),
        NAMESPACE,
    )
    tasks.reconcile_task(stale, store.all(GROUP, INSTANCES.plural), store.all("", "pods", NAMESPACE)[0], True)
    status = cluster.get(TASKS.plural, "t")["status"]
    assert (status["lastStatus"], status["stoppingAt"]) == ("STOPPING", earlier)
