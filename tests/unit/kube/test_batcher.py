"""`handlers.batcher` against the fake store: the tasks waiting in a cluster are planned together
and their claims committed with one compare-and-swap write per instance, with the protocol's
branches (a 409 on one instance of the batch, an instance deleted meanwhile, a task that fits
nowhere, adoption of an earlier claim, one task queued twice)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest

from ecs_operator.handlers import batcher, snapshots
from ecs_operator.handlers import task_launch as tl
from ecs_operator.kube import claims
from ecs_operator.kube.claims import _with_claims
from ecs_operator.kube.objects import GROUP, INSTANCES, Obj
from tests.support.fakestore import FakeStore
from tests.unit.kube.conftest import CLUSTER, NAMESPACE, World

Outcome = tl.Launched | Exception


@pytest.fixture
def cluster(world: World) -> World:
    for node, zone in (("n1", "zone-a"), ("n2", "zone-b"), ("n3", "zone-c")):
        world.instance(node, zone)  # 2 vCPU = 2048 units, 4 GiB each
    world.task_definition()  # 256 CPU units, 512 MiB
    return world


def instances(store: FakeStore) -> list[Obj]:
    return store.all(GROUP, INSTANCES.plural)


def burst(store: FakeStore, tasks: list[Obj]) -> dict[str, Outcome]:
    """Launch every task from its own thread, as Kopf's handler threads would, all in ONE batch:
    the cluster's placement lock is held until every caller waits in the queue."""
    outcomes: dict[str, Outcome] = {}
    cached = instances(store)

    def one(task: Obj) -> None:
        try:
            outcomes[task["metadata"]["name"]] = batcher.launch(task, cached)
        except Exception as exc:
            outcomes[task["metadata"]["name"]] = exc

    threads = [threading.Thread(target=one, args=(t,)) for t in tasks]
    with snapshots.placement_lock(CLUSTER):
        for thread in threads:
            thread.start()
        while batcher.waiting(CLUSTER) < len(tasks):
            threading.Event().wait(0.01)
    for thread in threads:
        thread.join()
    return outcomes


def instance_writes(store: FakeStore) -> list[tuple[str, object]]:
    return [(c.name, c.outcome) for c in store.log("patch_status", plural=INSTANCES.plural)]


def ledger(store: FakeStore) -> dict[str, list[str]]:
    return {
        i["metadata"]["name"]: [c["task"] for c in (i.get("status") or {}).get("claims") or []]
        for i in instances(store)
    }


def within_capacity(store: FakeStore) -> bool:
    return all(
        sum(int(c["cpu"]) for c in (i["status"].get("claims") or []))
        <= int(i["status"]["registeredResources"]["cpu"])
        for i in instances(store)
    )


def placed(outcomes: dict[str, Outcome]) -> dict[str, str]:
    return {
        name: o.instance["metadata"]["name"] for name, o in outcomes.items() if isinstance(o, tl.Launched)
    }


def test_a_burst_is_one_plan_and_one_write_per_instance(store: FakeStore, cluster: World) -> None:
    # A service's tasks: spread across zones, as one RunTask with a count of 6 would be.
    tasks = [cluster.task(f"t{n}", group="service:web") for n in range(6)]
    outcomes = burst(store, tasks)
    where = placed(outcomes)
    assert len(where) == 6
    assert Counter(where.values()) == {"prod.n1": 2, "prod.n2": 2, "prod.n3": 2}
    assert sorted(instance_writes(store)) == [("prod.n1", "ok"), ("prod.n2", "ok"), ("prod.n3", "ok")]
    assert {n: sorted(ts) for n, ts in ledger(store).items()} == {
        inst: sorted(f"{NAMESPACE}/{t}" for t, i in where.items() if i == inst) for inst in where.values()
    }
    launched = outcomes["t0"]
    assert isinstance(launched, tl.Launched)
    assert launched.claim["taskUid"] == tasks[0]["metadata"]["uid"] and launched.claim["cpu"] == 256
    assert launched.task.family == "web"


def test_a_409_on_one_instance_keeps_what_still_fits_and_plans_the_rest_again(
    store: FakeStore, cluster: World
) -> None:
    def peer_takes_most_of_n1() -> None:
        def change(obj: Obj) -> None:
            peer = {"taskUid": "peer", "task": "other/peer", "group": "x", "cpu": 1792, "memory": 256}
            obj["status"].update(_with_claims(obj, [*obj["status"].get("claims", []), peer]))

        store.mutate(GROUP, INSTANCES.plural, "prod.n1", change)

    store.before(peer_takes_most_of_n1, "patch_status", "prod.n1", plural=INSTANCES.plural)
    outcomes = burst(store, [cluster.task(f"t{n}", group="service:web") for n in range(6)])  # 2 each
    where = placed(outcomes)
    assert len(where) == 6  # every task placed: one still fitted on n1, the other went elsewhere
    assert Counter(where.values())["prod.n1"] == 1
    n1_writes = [o for n, o in instance_writes(store) if n == "prod.n1"]
    assert n1_writes == [409, "ok"]  # re-read and written once with what still fits
    assert within_capacity(store)
    assert sorted(c for cs in ledger(store).values() for c in cs) == sorted(
        ["other/peer", *(f"{NAMESPACE}/t{n}" for n in range(6))]
    )


def test_an_instance_deleted_since_the_snapshot_loses_its_tasks_to_the_others(
    store: FakeStore, cluster: World
) -> None:
    def delete_n2() -> None:
        del store.objects[(GROUP, INSTANCES.plural, "", "prod.n2")]

    store.before(delete_n2, "patch_status", "prod.n2", plural=INSTANCES.plural)
    outcomes = burst(store, [cluster.task(f"t{n}", group="service:web") for n in range(6)])
    where = placed(outcomes)
    assert len(where) == 6 and "prod.n2" not in where.values()
    assert (("prod.n2", 404)) in instance_writes(store)
    assert within_capacity(store)


def test_a_task_that_fits_nowhere_fails_and_the_others_are_placed(store: FakeStore, cluster: World) -> None:
    cluster.task_definition("huge", cpu=4096, memory=512)
    tasks = [cluster.task("t0"), cluster.task("big", taskDefinition="huge"), cluster.task("t1")]
    outcomes = burst(store, tasks)
    failed = outcomes["big"]
    assert isinstance(failed, tl.LaunchFailed)
    assert failed.reason == "TaskFailedToStart: RESOURCE:CPU"
    assert set(placed(outcomes)) == {"t0", "t1"}
    assert "team/big" not in [c for cs in ledger(store).values() for c in cs]


def test_a_claim_an_earlier_attempt_committed_is_adopted_without_a_write(
    store: FakeStore, cluster: World
) -> None:
    task = cluster.task("t")
    uid = task["metadata"]["uid"]
    claim = {"taskUid": uid, "task": f"{NAMESPACE}/t", "cpu": 256, "memory": 512}
    for name in ("prod.n3", "prod.n2"):
        claims.commit(name, claim, lambda _: None)
    before = len(instance_writes(store))
    outcomes = burst(store, [task, cluster.task("u")])
    adopted = outcomes["t"]
    assert isinstance(adopted, tl.Launched)
    assert adopted.instance["metadata"]["name"] == "prod.n2" and adopted.others == ("prod.n3",)
    assert len(instance_writes(store)) == before + 1  # only u's claim was written


def test_a_task_queued_twice_in_one_batch_is_placed_once(store: FakeStore, cluster: World) -> None:
    task = cluster.task("t")
    outcomes: list[Outcome] = []
    copies = [dict(task), dict(task)]
    lock = threading.Lock()

    def one(t: Obj) -> None:
        result = batcher.launch(t, instances(store))
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=one, args=(t,)) for t in copies]
    with snapshots.placement_lock(CLUSTER):
        for thread in threads:
            thread.start()
        while batcher.waiting(CLUSTER) < 2:
            threading.Event().wait(0.01)
    for thread in threads:
        thread.join()
    assert len(outcomes) == 2
    names = {o.instance["metadata"]["name"] for o in outcomes if isinstance(o, tl.Launched)}
    assert len(names) == 1
    assert sum(len(cs) for cs in ledger(store).values()) == 1


def test_a_task_alone_is_placed_at_once_on_the_callers_thread(
    store: FakeStore, cluster: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    original = claims.commit_many

    def spy(*args: Any, **kwargs: Any) -> claims.Committed:
        seen.append(threading.current_thread().name)
        return original(*args, **kwargs)

    monkeypatch.setattr(claims, "commit_many", spy)
    launched = batcher.launch(cluster.task("t"), instances(store))
    assert seen == [threading.current_thread().name]
    assert launched.instance["metadata"]["name"] in ("prod.n1", "prod.n2", "prod.n3")
    assert store.log("list", plural=INSTANCES.plural) == []  # the cached snapshot was complete
    assert batcher.waiting(CLUSTER) == 0 and not batcher._queues[CLUSTER].busy
