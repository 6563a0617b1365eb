"""`handlers.services._one_pass` against scripted answers: a 409 while applying a plan re-reads
the service and plans again from what is there, so the plan's effects happen once (no duplicate
task, no second stop, one status write), however many times it is planned."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_operator.handlers import services
from ecs_operator.kube.errors import KubeError
from ecs_operator.kube.objects import GROUP, INSTANCES, SERVICES, TASKS, Obj
from tests.support.fakestore import FakeStore
from tests.unit.kube.conftest import NAMESPACE, World


@pytest.fixture
def cluster(world: World, events: list[Any]) -> World:
    for node, zone in (("n1", "zone-a"), ("n2", "zone-b"), ("n3", "zone-c")):
        world.instance(node, zone)
    world.task_definition()
    return world


def one_pass(store: FakeStore) -> Any:
    return services._one_pass(NAMESPACE, "web", lambda cluster: store.all(GROUP, INSTANCES.plural))


def task_names(store: FakeStore) -> list[str]:
    return sorted(t["metadata"]["name"] for t in store.all(GROUP, TASKS.plural, NAMESPACE))


def running(store: FakeStore) -> None:
    """Every task is RUNNING on an instance, as the task handlers would have made it."""
    for i, task in enumerate(store.all(GROUP, TASKS.plural, NAMESPACE)):

        def change(obj: Obj, i: int = i) -> None:
            obj["status"] = {
                "lastStatus": "RUNNING",
                "desiredStatus": "RUNNING",
                "taskDefinition": "web:1",
                "containerInstance": f"prod.n{i % 3 + 1}",
                "availabilityZone": f"zone-{'abc'[i % 3]}",
                "createdAt": "2026-01-01T00:00:00Z",
                "startedAt": "2026-01-01T00:00:01Z",
            }

        store.mutate(GROUP, TASKS.plural, task["metadata"]["name"], change, NAMESPACE)


def scale(store: FakeStore, count: int) -> None:
    store.mutate(GROUP, SERVICES.plural, "web", lambda o: o["spec"].update(desiredCount=count), NAMESPACE)


def scheduler(world: World) -> Obj:
    return dict(world.get(SERVICES.plural, "web")["status"]["scheduler"])


@pytest.mark.parametrize(
    ("conflicts", "status_writes"),
    [(0, ("ok",)), (1, (409, "ok")), (2, (409, 409, "ok"))],
    ids=["no-conflict", "one-conflict", "two-conflicts"],
)
def test_a_conflict_while_applying_re_plans_and_the_tasks_are_created_once(
    store: FakeStore, cluster: World, conflicts: int, status_writes: tuple[Any, ...]
) -> None:
    cluster.service(desiredCount=2)
    store.fail(409, "patch_status", "web", plural=SERVICES.plural, times=conflicts)
    result = one_pass(store)
    assert result is not None
    assert len(task_names(store)) == 2
    creates = store.log("create", plural=TASKS.plural)
    assert [c.outcome for c in creates if c.outcome == "ok"] == ["ok", "ok"]
    assert len(store.log("get", "web", plural=SERVICES.plural)) >= conflicts + 1  # re-read each time
    assert tuple(c.outcome for c in store.log("patch_status", "web")) == status_writes
    assert cluster.get(SERVICES.plural, "web")["status"]["desiredCount"] == 2


def test_a_conflict_on_every_status_write_gives_up_after_its_passes_without_duplicates(
    store: FakeStore, cluster: World
) -> None:
    cluster.service(desiredCount=2)
    store.fail(409, "patch_status", "web", plural=SERVICES.plural, times=None)
    assert one_pass(store) is None
    assert len(task_names(store)) == 2
    assert len(store.log("patch_status", "web")) == services.PASSES
    assert "status" not in cluster.get(SERVICES.plural, "web")


def test_after_a_re_planned_pass_the_next_scale_out_starts_new_tasks_at_once(
    store: FakeStore, cluster: World
) -> None:
    """The re-plan saw the tasks the lost plan created and started none, so the scheduler's
    counter did not move: the next plan must not reuse their (deterministic) names, or its creates
    meet AlreadyExists and start nothing."""
    cluster.service(desiredCount=2)
    store.fail(409, "patch_status", "web", plural=SERVICES.plural)
    one_pass(store)
    first = task_names(store)
    running(store)
    scale(store, 4)
    store.calls.clear()
    one_pass(store)
    assert len(task_names(store)) == 4 and set(first) < set(task_names(store))
    assert [c.outcome for c in store.log("create", plural=TASKS.plural)] == ["ok", "ok"]
    assert scheduler(cluster)["tasksStarted"] == 4


def test_scale_in_with_a_conflict_on_the_task_stops_it_once(store: FakeStore, cluster: World) -> None:
    cluster.service(desiredCount=3)
    one_pass(store)
    running(store)
    scale(store, 2)
    store.calls.clear()
    names = task_names(store)
    # The task handler writes the victim's status at the moment the scheduler stops it.
    for name in names:
        store.fail(409, "patch_status", name, plural=TASKS.plural)
    store.fail(409, "patch_status", "web", plural=SERVICES.plural)  # and the service changed too
    result = one_pass(store)
    assert result is not None
    stopped = [
        t for t in store.all(GROUP, TASKS.plural, NAMESPACE) if t["status"].get("desiredStatus") == "STOPPED"
    ]
    assert len(stopped) == 1
    assert stopped[0]["status"]["stopCode"] == "ServiceSchedulerInitiated"
    victim = stopped[0]["metadata"]["name"]
    assert [c.outcome for c in store.log("patch_status", victim)] == [409, "ok"]  # written once
    assert [c.outcome for c in store.log("patch_status", "web")] == [409, "ok"]
    assert task_names(store) == names  # nothing started


def test_a_service_gone_meanwhile_is_left_alone(store: FakeStore, cluster: World) -> None:
    cluster.service(desiredCount=2)
    store.fail(409, "patch_status", "web", plural=SERVICES.plural)
    store.fail(404, "get", "web", plural=SERVICES.plural, at=2)
    assert one_pass(store) is None
    assert len(store.log("patch_status")) == 1


@pytest.mark.parametrize("answer", [500, 503, "timeout"], ids=["500", "503", "timeout"])
def test_an_api_error_while_creating_escapes_for_kopf_to_retry(
    store: FakeStore, cluster: World, answer: Any
) -> None:
    cluster.service(desiredCount=2)
    store.fail(answer, "create", plural=TASKS.plural, at=2)
    with pytest.raises(KubeError):
        one_pass(store)
    assert len(task_names(store)) == 1
    assert store.log("patch_status") == []  # no status claims what did not happen
    one_pass(store)  # Kopf's retry
    assert len(task_names(store)) == 2
    assert scheduler(cluster)["tasksStarted"] == 2


def test_the_service_finalizer_is_added_once_and_goes_when_the_service_is_inactive(
    store: FakeStore, cluster: World
) -> None:
    """The pass holds the service's own finalizer (one write, not one per pass); a deleted service
    stays DRAINING while its tasks stop, and is removed once every task has stopped."""
    from ecs_operator.kube import objects

    cluster.service(desiredCount=2)
    one_pass(store)
    running(store)
    one_pass(store)
    assert cluster.get(SERVICES.plural, "web")["metadata"]["finalizers"] == [services.FINALIZER]
    assert len(store.log("patch", "web", plural=SERVICES.plural)) == 1
    objects.delete(SERVICES, "web", NAMESPACE)
    result = one_pass(store)
    assert result is not None and result.status.status == "DRAINING"
    assert cluster.get(SERVICES.plural, "web")["metadata"]["finalizers"] == [services.FINALIZER]
    assert all(t["status"]["desiredStatus"] == "STOPPED" for t in store.all(GROUP, TASKS.plural, NAMESPACE))
    for task in store.all(GROUP, TASKS.plural, NAMESPACE):
        store.mutate(
            GROUP,
            TASKS.plural,
            task["metadata"]["name"],
            lambda o: o["status"].update(lastStatus="STOPPED", stoppedAt="2026-01-01T00:01:00Z"),
            NAMESPACE,
        )
    result = one_pass(store)
    assert result is not None and result.finished
    assert store.peek(GROUP, SERVICES.plural, "web", NAMESPACE) is None
