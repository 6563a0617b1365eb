"""The placement protocol (`reconcile.ledger`, `handlers.tasks.place_and_start`) against scripted
interleavings and faults: one placement per task whatever races or crashes.

Each test drives the real handler code through the fake store and ends with the shared invariant
checker (`ecs_operator.invariants`, settled: one claim per task, on the instance it names, with
its pod on that node; no claim of a stopped or gone task). I3 (every task RUNNING) is left out:
there is no kubelet here, so tasks stay PENDING.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from ecs_operator import invariants
from ecs_operator.handlers import batcher, snapshots, tasks
from ecs_operator.kube import claims
from ecs_operator.kube.errors import Conflict, KubeError
from ecs_operator.kube.objects import GROUP, INSTANCES, TASKS, Obj
from tests.support.fakestore import FakeStore
from tests.unit.kube.conftest import NAMESPACE, World


class Crash(BaseException):
    """The process dies at a crash point (BaseException: no `except Exception` catches it)."""


@pytest.fixture
def cluster(world: World, events: list[Any]) -> World:
    for node, zone in (("n1", "zone-a"), ("n2", "zone-b"), ("n3", "zone-c")):
        world.instance(node, zone)
    world.task_definition()
    return world


@pytest.fixture
def crash_at(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Name a crash point here and the next pass through it dies (once)."""
    armed: set[str] = set()

    def crashpoint(name: str) -> None:
        if name in armed:
            armed.discard(name)
            raise Crash(name)

    monkeypatch.setattr(tasks, "crashpoint", crashpoint)
    return armed


@contextlib.contextmanager
def another_process() -> Iterator[None]:
    """What runs inside is another replica: its own snapshot overlay, placement locks, queues and
    memory of the pods it has seen."""
    saved = snapshots._latest, snapshots._cluster_locks, batcher._queues
    mine = tasks._pods_seen, tasks._written, tasks._deleted, tasks._task_locks
    snapshots._latest, snapshots._cluster_locks, batcher._queues = {}, {}, {}
    tasks._pods_seen, tasks._written, tasks._deleted, tasks._task_locks = set(), {}, set(), {}
    try:
        yield
    finally:
        snapshots._latest, snapshots._cluster_locks, batcher._queues = saved
        tasks._pods_seen, tasks._written, tasks._deleted, tasks._task_locks = mine


def instances(store: FakeStore, without: str | None = None) -> list[Obj]:
    return [i for i in store.all(GROUP, INSTANCES.plural) if i["metadata"]["name"] != without]


def task(world: World, name: str = "t") -> Obj:
    return world.get(TASKS.plural, name)


def reconcile(store: FakeStore, world: World, name: str = "t", without: str | None = None) -> None:
    """One pass over the task, as its event would run it, with a fresh read of the instances."""
    tasks.reconcile_task(task(world, name), instances(store, without))


def claims_by_task(store: FakeStore) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for inst in store.all(GROUP, INSTANCES.plural):
        for claim in (inst.get("status") or {}).get("claims") or []:
            out.setdefault(claim["task"], []).append(inst["metadata"]["name"])
    return out


def violations(store: FakeStore) -> list[str]:
    found = invariants.check(
        store.all(GROUP, INSTANCES.plural),
        store.all(GROUP, TASKS.plural),
        store.all("", "pods"),
        settled=True,
    )
    return [str(v) for v in found if v.invariant != "I3"]


def placed_on(world: World, name: str = "t") -> str | None:
    return (task(world, name).get("status") or {}).get("containerInstance")


def node_of_pod(store: FakeStore) -> list[str]:
    return [p["spec"]["nodeName"] for p in store.all("", "pods", NAMESPACE)]


def test_a_task_is_claimed_then_recorded_then_its_pod_created(store: FakeStore, cluster: World) -> None:
    cluster.task("t")
    reconcile(store, cluster)
    where = placed_on(cluster)
    assert where is not None and claims_by_task(store) == {f"{NAMESPACE}/t": [where]}
    assert node_of_pod(store) == [where.split(".", 1)[1]]
    writes = [(c.verb, c.plural) for c in store.calls if c.verb in ("patch_status", "create")]
    assert writes[:3] == [
        ("patch_status", "ecscontainerinstances"),
        ("patch_status", "ecstasks"),
        ("create", "pods"),
    ]
    assert violations(store) == []


# ---- adoption after a crash ----


@pytest.mark.parametrize("point", ["after-claim", "after-placement", "after-pod"])
def test_a_crash_between_two_writes_is_repaired_by_the_next_pass(
    store: FakeStore, cluster: World, crash_at: set[str], point: str
) -> None:
    cluster.task("t")
    crash_at.add(point)
    with pytest.raises(Crash):
        reconcile(store, cluster)
    claimed = claims_by_task(store)[f"{NAMESPACE}/t"]
    with another_process():  # the restarted operator, or the peer that takes over
        reconcile(store, cluster)
    assert claims_by_task(store) == {f"{NAMESPACE}/t": claimed}  # adopted, not planned again
    assert placed_on(cluster) == claimed[0]
    assert len(node_of_pod(store)) == 1
    assert (task(cluster).get("status") or {}).get("podName")
    assert violations(store) == []


def test_claims_of_several_crashed_attempts_are_adopted_once_and_the_rest_released(
    store: FakeStore, cluster: World
) -> None:
    """Two attempts each committed a claim (on different instances) and died before recording."""
    uid = cluster.task("t")["metadata"]["uid"]
    for inst in ("prod.n2", "prod.n3"):
        claims.commit(
            inst, {"taskUid": uid, "task": f"{NAMESPACE}/t", "cpu": 256, "memory": 512}, lambda o: None
        )
    reconcile(store, cluster)
    assert placed_on(cluster) == "prod.n2"  # the first in instance-name order
    assert claims_by_task(store) == {f"{NAMESPACE}/t": ["prod.n2"]}
    assert violations(store) == []


# ---- two schedulers racing ----


def race(store: FakeStore, world: World, b_without: str | None, b_then: str = "place") -> None:
    """Scheduler A places the task; between A's claim and A's placement record, scheduler B
    (another replica, whose snapshot lacks `b_without`) runs a whole pass over the same task."""
    seen_unplaced = task(world)

    def b() -> None:
        with another_process():
            if b_then == "place":
                tasks.reconcile_task(seen_unplaced, instances(store, b_without))
            else:  # StopTask: the user stops the task while it is unplaced
                store.mutate(
                    GROUP, TASKS.plural, "t", lambda o: o["spec"].update(desiredStatus="STOPPED"), NAMESPACE
                )
                tasks.reconcile_task(task(world), instances(store))

    store.before(b, "patch_status", "t", plural=TASKS.plural)  # A's record_placement is the first
    tasks.reconcile_task(seen_unplaced, instances(store))


def test_the_loser_of_a_race_on_different_instances_rolls_its_claim_back(
    store: FakeStore, cluster: World
) -> None:
    cluster.task("t")
    with another_process():
        probe = instances(store)
    first_choice = _first_choice(store, cluster, probe)
    race(store, cluster, b_without=first_choice)
    winner = placed_on(cluster)
    assert winner is not None and winner != first_choice
    assert claims_by_task(store) == {f"{NAMESPACE}/t": [winner]}  # A's claim on first_choice rolled back
    assert node_of_pod(store) == [winner.split(".", 1)[1]]
    task_writes = [c.outcome for c in store.log("patch_status", "t")]
    assert 409 in task_writes  # A's record met B's and did not overwrite it
    assert violations(store) == []


def test_racing_schedulers_that_chose_the_same_instance_share_one_claim(
    store: FakeStore, cluster: World
) -> None:
    cluster.task("t")
    race(store, cluster, b_without=None)
    where = placed_on(cluster)
    assert claims_by_task(store) == {f"{NAMESPACE}/t": [where]}
    assert len(node_of_pod(store)) == 1
    assert violations(store) == []


def test_a_task_stopped_while_being_placed_releases_the_claim(store: FakeStore, cluster: World) -> None:
    cluster.task("t")
    race(store, cluster, b_without=None, b_then="stop")
    status = task(cluster)["status"]
    assert status["lastStatus"] == "STOPPED" and not status.get("containerInstance")
    assert claims_by_task(store) == {}
    assert node_of_pod(store) == []
    assert violations(store) == []


def _first_choice(store: FakeStore, world: World, snapshot: list[Obj]) -> str:
    """Where the task would go from this snapshot (placement is deterministic per task uid)."""
    from ecs_operator.handlers import task_launch as tl

    t = task(world)
    effective = tl.resolve_task(t)
    request = tl._request(t, effective)
    import random

    from ecs_operator.placement import snapshot_from_objects

    name, _ = tl._choose(
        snapshot_from_objects(snapshot, cluster="prod"), request, None, random.Random(t["metadata"]["uid"])
    )
    return name


# ---- status writes never move a placement ----


def test_a_failure_decided_on_an_unplaced_copy_never_stops_a_task_a_peer_placed(
    store: FakeStore, cluster: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A's snapshot says nothing fits (TaskFailedToStart); meanwhile B placed the task. A's
    STOPPED write meets a 409, re-reads, sees the placement and writes nothing."""
    from ecs_operator.handlers import task_launch as tl

    seen = task(cluster) if cluster.task("t") else None
    assert seen is not None

    def nothing_fits(t: Obj, instances: list[Obj]) -> Any:
        raise tl.LaunchFailed("TaskFailedToStart: RESOURCE:CPU", [{"reason": "RESOURCE:CPU"}])

    def b() -> None:
        with another_process(), monkeypatch.context() as m:
            m.setattr(batcher, "launch", real_launch)
            tasks.reconcile_task(seen, instances(store))

    real_launch = batcher.launch
    monkeypatch.setattr(batcher, "launch", nothing_fits)
    store.before(b, "patch_status", "t", plural=TASKS.plural)
    tasks.reconcile_task(seen, instances(store))
    status = task(cluster)["status"]
    assert status.get("lastStatus") != "STOPPED" and status.get("containerInstance")
    assert claims_by_task(store) == {f"{NAMESPACE}/t": [status["containerInstance"]]}
    assert violations(store) == []


@pytest.mark.parametrize(
    "fields",
    [{"lastStatus": "RUNNING"}, {"podName": "x"}, {"desiredStatus": "STOPPED", "stopCode": "UserInitiated"}],
    ids=["last-status", "pod-name", "stop"],
)
def test_a_status_retry_never_overwrites_a_placement(store: FakeStore, cluster: World, fields: Obj) -> None:
    """A status write from a copy made before a peer placed the task: the 409 re-read keeps the
    peer's placement (the retry writes only its own fields)."""
    stale = cluster.task("t")
    with another_process():
        reconcile(store, cluster)
    where = placed_on(cluster)
    tasks.write_status(stale, fields)
    assert placed_on(cluster) == where
    assert [c.outcome for c in store.log("patch_status", "t")][-2:] == [409, "ok"]


def test_a_placement_is_never_written_through_write_status(store: FakeStore, cluster: World) -> None:
    stale = cluster.task("t")
    with pytest.raises(AssertionError):
        tasks.write_status(stale, {"containerInstance": "prod.n1"})


@pytest.mark.parametrize(
    ("answer", "times", "applied"),
    [(409, 1, False), (500, 1, False), ("timeout", 1, True), ("timeout", 1, False), (409, None, False)],
    ids=["409-unrelated-write", "500", "timeout-after-write", "timeout-before-write", "409-exhausted"],
)
def test_a_failed_placement_record_is_completed_by_the_next_pass(
    store: FakeStore, cluster: World, answer: Any, times: int | None, applied: bool
) -> None:
    cluster.task("t")
    fault = store.fail(answer, "patch_status", "t", plural=TASKS.plural, times=times, applied=applied)
    with contextlib.suppress(KubeError, Conflict):  # Kopf retries the handler
        reconcile(store, cluster)
    fault.times = 0  # the API server recovers
    with another_process():
        reconcile(store, cluster)
        if not (task(cluster).get("status") or {}).get("podName"):
            reconcile(store, cluster)
    where = placed_on(cluster)
    assert where is not None
    assert claims_by_task(store) == {f"{NAMESPACE}/t": [where]}
    assert len(node_of_pod(store)) == 1
    assert violations(store) == []


def test_a_pod_created_by_a_pass_that_died_is_recorded_so_its_loss_stops_the_task(
    store: FakeStore, cluster: World, crash_at: set[str]
) -> None:
    """Crash after the pod's create, before podName: the next pass records the pod; when the pod
    is later lost, the task stops (ECS: a lost task) instead of getting a second pod."""
    cluster.task("t")
    crash_at.add("after-pod")
    with pytest.raises(Crash):
        reconcile(store, cluster)
    with another_process():
        reconcile(store, cluster)
    pod = store.all("", "pods", NAMESPACE)[0]["metadata"]["name"]
    assert task(cluster)["status"]["podName"] == pod
    store.objects.pop(("", "pods", NAMESPACE, pod))  # the node died with it
    for _ in range(3):  # the passes its events would run: stop cause, STOPPED, claim released
        reconcile(store, cluster)
        assert store.all("", "pods", NAMESPACE) == []  # never a second pod
    assert task(cluster)["status"]["lastStatus"] == "STOPPED"
    assert claims_by_task(store) == {}


# ---- the ledger repaired from the task's side ----


@pytest.mark.parametrize(("others_cpu", "fits"), [(0, True), (2048, False)], ids=["fits", "no-longer-fits"])
def test_a_placed_task_whose_claim_the_ledger_lost_commits_it_again_or_fails(
    store: FakeStore, cluster: World, others_cpu: int, fits: bool
) -> None:
    """The task names prod.n1 but its claim is gone (an instance object re-created, a claim
    released by hand): it is committed again with the fit re-checked before the pod is created;
    a task that no longer fits is failed rather than started uncounted."""
    cluster.task("t")
    with another_process():
        reconcile(store, cluster)
    where = placed_on(cluster)
    assert where is not None
    pod = store.all("", "pods", NAMESPACE)[0]["metadata"]["name"]
    store.objects.pop(("", "pods", NAMESPACE, pod))

    def lose_the_claim(obj: Obj) -> None:
        kept = [{"taskUid": "other", "task": f"{NAMESPACE}/other", "cpu": others_cpu, "memory": 0}]
        obj["status"]["claims"] = kept if others_cpu else []

    store.mutate(GROUP, INSTANCES.plural, where, lose_the_claim)
    store.mutate(GROUP, TASKS.plural, "t", lambda o: o["status"].pop("podName"), NAMESPACE)
    reconcile(store, cluster)
    held = claims_by_task(store).get(f"{NAMESPACE}/t")
    if fits:
        assert held == [where] and len(node_of_pod(store)) == 1
        assert violations(store) == []
    else:
        assert held is None and node_of_pod(store) == []
        status = task(cluster)["status"]
        assert (status["desiredStatus"], status["stopCode"]) == ("STOPPED", "TaskFailedToStart")


def test_a_pod_off_its_tasks_instance_is_a_lost_task(store: FakeStore, cluster: World) -> None:
    """A pod on another node than its task's instance (made by hand, or by an older version) is
    stopped and its task with it, so the ledger describes the nodes again (invariant I6)."""
    cluster.task("t")
    reconcile(store, cluster)
    pod = store.all("", "pods", NAMESPACE)[0]
    elsewhere = "n3" if pod["spec"]["nodeName"] != "n3" else "n1"
    store.mutate(
        "", "pods", pod["metadata"]["name"], lambda o: o["spec"].update(nodeName=elsewhere), NAMESPACE
    )
    reconcile(store, cluster)
    assert store.all("", "pods", NAMESPACE) == []
    status = task(cluster)["status"]
    assert status["desiredStatus"] == "STOPPED" and "Task lost" in status["stoppedReason"]


def test_a_scale_in_stop_written_while_the_placement_is_recorded_stands(
    store: FakeStore, cluster: World
) -> None:
    """The service scheduler stops the task (status desiredStatus STOPPED) between A's claim and
    A's placement record: the record lands without undoing the stop, and the task ends STOPPED
    with the scheduler's reason, its claim released and no pod left."""
    cluster.task("t")

    def scale_in() -> None:
        stop = {
            "desiredStatus": "STOPPED",
            "stopCode": "ServiceSchedulerInitiated",
            "stoppedReason": "scale-in",
        }
        store.mutate(GROUP, TASKS.plural, "t", lambda o: o.setdefault("status", {}).update(stop), NAMESPACE)

    store.before(scale_in, "patch_status", "t", plural=TASKS.plural)
    reconcile(store, cluster)
    status = task(cluster)["status"]
    assert status["containerInstance"] and status["desiredStatus"] == "STOPPED"
    for _ in range(3):  # the passes the task's events would run
        reconcile(store, cluster)
    status = task(cluster)["status"]
    assert (status["lastStatus"], status["stopCode"]) == ("STOPPED", "ServiceSchedulerInitiated")
    assert claims_by_task(store) == {} and node_of_pod(store) == []
    assert violations(store) == []


def test_a_pod_created_late_for_a_task_stopped_meanwhile_goes_with_its_event(
    store: FakeStore, cluster: World
) -> None:
    """A recorded the placement; before A's pod create lands, the user stops the task and another
    pass ends it STOPPED (claim released). A's late pod is deleted by its own event's pass."""
    cluster.task("t")

    def stop_meanwhile() -> None:
        with another_process():
            store.mutate(
                GROUP, TASKS.plural, "t", lambda o: o["spec"].update(desiredStatus="STOPPED"), NAMESPACE
            )
            for _ in range(2):
                reconcile(store, cluster)

    store.before(stop_meanwhile, "create", plural="pods")
    reconcile(store, cluster)
    assert task(cluster)["status"]["lastStatus"] == "STOPPED"
    (late,) = store.all("", "pods", NAMESPACE)  # A's create landed after the stop
    tasks.reconcile_task(task(cluster), instances(store), late, pod_known=True)  # the pod's ADDED event
    assert store.all("", "pods", NAMESPACE) == []
    assert claims_by_task(store) == {}
    assert violations(store) == []
