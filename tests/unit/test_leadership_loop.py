"""The leadership loop (handlers.leadership.tick) against an in-memory Lease store with the API
server's compare-and-swap rules: two replicas ticking in turn split the clusters, hand one over
when the second joins, and the survivor takes everything over once a killed one's leases expire.

The pure decisions have their own tables (reconcile/test_leadership.py); this checks the loop
that applies them: CAS outcomes, what `owns` answers, and which acquisitions ask for a resync.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ecs_operator.handlers import leadership
from ecs_operator.kube import leases as kleases
from ecs_operator.kube.errors import AlreadyExists, Conflict, KubeError
from ecs_operator.reconcile.leadership import LeaseRecord

T0 = datetime(2026, 12, 2, 18, 0, 0, tzinfo=UTC)


class Store:
    """Leases by name; a write must name the resourceVersion it read (create: none)."""

    def __init__(self) -> None:
        self.leases: dict[str, LeaseRecord] = {}
        self.version = 0

    def list(self, namespace: str) -> list[LeaseRecord]:
        return list(self.leases.values())

    def write(
        self,
        namespace: str,
        name: str,
        kind: str,
        holder: str,
        now: datetime,
        duration: float,
        previous: LeaseRecord | None,
    ) -> LeaseRecord:
        current = self.leases.get(name)
        if previous is None and current is not None:
            raise AlreadyExists(f"{name} exists", 409)
        if previous is not None and (
            current is None or current.resource_version != previous.resource_version
        ):
            raise Conflict(f"{name} changed", 409)
        self.version += 1
        record = LeaseRecord(name, holder, now, duration, str(self.version))
        self.leases[name] = record
        return record

    def delete(self, namespace: str, lease: LeaseRecord) -> None:
        if (current := self.leases.get(lease.name)) and current.resource_version == lease.resource_version:
            del self.leases[lease.name]

    def holder(self, cluster: str) -> str:
        lease = self.leases.get(f"ecs-operator-cluster-{cluster}")
        return lease.holder if lease else ""


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    fake = Store()
    monkeypatch.setattr(kleases, "list_leases", fake.list)
    monkeypatch.setattr(kleases, "write", fake.write)
    monkeypatch.setattr(kleases, "delete", fake.delete)
    saved = leadership.STATE
    yield fake
    leadership.STATE = saved


def replica(identity: str, clusters: set[str]) -> leadership.State:
    return leadership.State(enabled=True, identity=identity, namespace="ops", clusters=set(clusters))


def tick(state: leadership.State, now: datetime, startup: bool = False) -> leadership.State:
    leadership.STATE = state
    leadership.tick(startup=startup, now=now)
    return state


def owns(state: leadership.State, cluster: str) -> bool:
    leadership.STATE = state
    return leadership.owns(cluster)


CLUSTERS = {"alpha", "beta", "gamma", "delta"}


def test_two_replicas_split_then_the_survivor_takes_over(store: Store) -> None:
    a, b = replica("op-a", CLUSTERS), replica("op-b", CLUSTERS)
    tick(a, T0, startup=True)
    assert {store.holder(c) for c in CLUSTERS} == {"op-a"}
    assert all(owns(a, c) for c in CLUSTERS) and a.epochs == {}  # startup: Kopf's first listing covers it

    # B joins: it takes nothing held; A hands over B's share; B takes it and asks for resyncs.
    tick(b, T0 + timedelta(seconds=1))
    assert not any(owns(b, c) for c in CLUSTERS)
    tick(a, T0 + timedelta(seconds=2))
    tick(b, T0 + timedelta(seconds=3))
    mine_b = {c for c in CLUSTERS if store.holder(c) == "op-b"}
    assert len(mine_b) == 2 and {store.holder(c) for c in CLUSTERS - mine_b} == {"op-a"}
    assert set(b.epochs) == mine_b
    assert {c for c in CLUSTERS if owns(a, c)} == CLUSTERS - mine_b
    assert {c for c in CLUSTERS if owns(b, c)} == mine_b

    # Both renew for a while: nothing moves.
    for second in range(4, 30, 2):
        tick(a, T0 + timedelta(seconds=second))
        tick(b, T0 + timedelta(seconds=second + 1))
    assert {c for c in CLUSTERS if store.holder(c) == "op-b"} == mine_b

    # A is SIGKILLed after its tick at 28 s: B waits for the leases to expire, then takes all.
    tick(b, T0 + timedelta(seconds=35))
    assert {c for c in CLUSTERS if store.holder(c) == "op-a"} == CLUSTERS - mine_b
    tick(b, T0 + timedelta(seconds=41))
    assert {store.holder(c) for c in CLUSTERS} == {"op-b"}
    assert set(b.epochs) == CLUSTERS  # every cluster it took over is resynced


def test_a_restarted_replica_takes_its_former_leases_as_acquisitions(store: Store) -> None:
    """Restarted within the leases' duration (SIGKILL, same identity): the leases still name it.
    It does not own them until it renews them, and the renewal is an acquisition: it asks for the
    resync that wakes the clusters' sleeping schedules (make chaos seed 8: an occurrence missed)."""
    tick(replica("op-a", CLUSTERS), T0, startup=True)
    again = replica("op-a", CLUSTERS)  # the new process: nothing held, no epochs
    tick(again, T0 + timedelta(seconds=1), startup=True)  # its first look, before the daemons run
    tick(again, T0 + timedelta(seconds=20))
    assert all(owns(again, c) for c in CLUSTERS)
    assert set(again.epochs) == CLUSTERS
    epochs = dict(again.epochs)
    tick(again, T0 + timedelta(seconds=40))  # a plain renewal later: no new resync
    assert again.epochs == epochs


def test_a_lost_compare_and_swap_means_not_holding(store: Store) -> None:
    a = replica("op-a", {"alpha"})
    tick(a, T0, startup=True)
    lease = store.leases["ecs-operator-cluster-alpha"]
    # Someone else wrote the lease meanwhile (a new resourceVersion, another holder).
    store.leases[lease.name] = replace(lease, holder="op-z", resource_version="999", renewed_at=T0)
    tick(a, T0 + timedelta(seconds=5))
    assert not owns(a, "alpha")
    assert store.holder("alpha") == "op-z"


def test_a_deleted_cluster_lease_is_deleted_and_unknown_clusters_have_one_owner(store: Store) -> None:
    a = replica("op-a", {"alpha"})
    tick(a, T0, startup=True)
    a.clusters.discard("alpha")
    tick(a, T0 + timedelta(seconds=1))
    assert "ecs-operator-cluster-alpha" not in store.leases
    assert owns(a, "alpha")  # no EcsCluster: the member it prefers (the only one) reports failures


def test_leases_off_owns_everything(store: Store) -> None:
    assert owns(leadership.State(enabled=False), "anything")


@pytest.mark.parametrize("status", [403, 404], ids=["forbidden", "no-namespace"])
def test_unusable_leases_mean_working_as_with_leases_off_until_they_work(
    store: Store, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    a = replica("op-a", {"alpha"})
    leadership.STATE = a

    def forbidden(namespace: str) -> list[LeaseRecord]:
        raise KubeError(f"{status}: leases unusable", status)

    monkeypatch.setattr(kleases, "list_leases", forbidden)
    leadership.checked_tick(startup=True)
    assert a.forbidden and owns(a, "alpha")
    monkeypatch.setattr(kleases, "list_leases", store.list)
    leadership.STATE = a
    leadership.checked_tick()
    assert not a.forbidden and owns(a, "alpha") and store.holder("alpha") == "op-a"
