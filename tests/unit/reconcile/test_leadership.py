"""Per-cluster leadership decisions (pure): membership, balanced rendezvous hashing, and what a
replica writes each tick given the leases as read."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from ecs_operator.reconcile.leadership import (
    Decision,
    LeaseRecord,
    assignment,
    cluster_lease_name,
    decide,
    leases_by_cluster,
    live_members,
    owner_without_lease,
    sanitize_identity,
)

NOW = datetime(2026, 12, 2, 18, 0, 0, tzinfo=UTC)
DURATION = 12.0
ME, OTHER = "op-a", "op-b"
BOTH = frozenset({ME, OTHER})


def lease(holder: str, age: float, name: str = "x", duration: float = DURATION) -> LeaseRecord:
    """A lease renewed `age` seconds before NOW."""
    return LeaseRecord(name, holder, NOW - timedelta(seconds=age), duration, "7")


def preferring(member: str, members: frozenset[str] = BOTH) -> str:
    """A cluster name that `member` wins among `members` (a single cluster: plain rendezvous)."""
    return next(c for i in itertools.count() if assignment([c := f"c{i}"], members)[c] == member)


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        pytest.param([], {ME}, id="alone-counts-itself"),
        pytest.param([lease(OTHER, 1)], {ME, OTHER}, id="fresh-member-live"),
        pytest.param([lease(OTHER, 13)], {ME}, id="expired-member-dropped"),
        pytest.param([lease("", 1)], {ME}, id="released-member-dropped"),
        pytest.param([lease(OTHER, 11.9), lease("op-c", 12.1)], {ME, OTHER}, id="at-the-boundary"),
    ],
)
def test_live_members(members: list[LeaseRecord], expected: set[str]) -> None:
    assert live_members(members, ME, NOW) == expected


@pytest.mark.parametrize(
    ("clusters", "members", "loads"),
    [
        pytest.param(2, 2, [1, 1], id="two-on-two-split"),
        pytest.param(3, 2, [1, 2], id="three-on-two"),
        pytest.param(10, 3, [3, 3, 4], id="ten-on-three"),
        pytest.param(1, 3, [0, 0, 1], id="one-on-three"),
        pytest.param(5, 1, [5], id="single-replica-takes-all"),
        pytest.param(0, 2, [0, 0], id="no-clusters"),
    ],
)
def test_assignment_is_balanced(clusters: int, members: int, loads: list[int]) -> None:
    names = [f"cluster-{i}" for i in range(clusters)]
    ids = [f"op-{i}" for i in range(members)]
    chosen = assignment(names, ids)
    assert set(chosen) == set(names)
    per_member = Counter(chosen.values())
    assert sorted(per_member.get(m, 0) for m in ids) == loads


def test_assignment_does_not_depend_on_input_order() -> None:
    names = [f"cluster-{i}" for i in range(7)]
    ids = ["op-a", "op-b", "op-c"]
    first = assignment(names, ids)
    for perm in itertools.islice(itertools.permutations(names), 20):
        assert assignment(list(perm), list(reversed(ids))) == first


def test_a_new_member_takes_clusters_only_for_itself() -> None:
    """Rendezvous: a cluster either stays where it was or moves to the member that joined."""
    for i in range(40):
        before = assignment([f"c{i}"], ["op-a", "op-b"])[f"c{i}"]
        after = assignment([f"c{i}"], ["op-a", "op-b", "op-c"])[f"c{i}"]
        assert after in (before, "op-c")


MINE = preferring(ME)
THEIRS = preferring(OTHER)


@pytest.mark.parametrize(
    ("cluster", "record", "members", "expected"),
    [
        pytest.param(MINE, None, BOTH, Decision(acquire=(MINE,)), id="absent-preferred-creates"),
        pytest.param(THEIRS, None, BOTH, Decision(), id="absent-not-preferred-waits"),
        pytest.param(MINE, lease(OTHER, 3), BOTH, Decision(), id="held-by-other-left-alone"),
        pytest.param(MINE, lease(OTHER, 13), BOTH, Decision(acquire=(MINE,)), id="expired-preferred-takes"),
        pytest.param(THEIRS, lease(OTHER, 13), BOTH, Decision(), id="expired-not-preferred-waits"),
        pytest.param(
            THEIRS, lease(OTHER, 25), BOTH, Decision(acquire=(THEIRS,)), id="free-too-long-anyone-takes"
        ),
        pytest.param(MINE, lease("", 0.5), BOTH, Decision(acquire=(MINE,)), id="released-preferred-takes"),
        pytest.param(THEIRS, lease("", 0.5), BOTH, Decision(), id="released-for-the-other"),
        pytest.param(MINE, lease(ME, 1), BOTH, Decision(keep=(MINE,)), id="mine-fresh-kept"),
        pytest.param(MINE, lease(ME, 5), BOTH, Decision(renew=(MINE,)), id="mine-due-renewed"),
        pytest.param(MINE, lease(ME, 20), BOTH, Decision(renew=(MINE,)), id="mine-expired-renewed"),
        pytest.param(THEIRS, lease(ME, 1), BOTH, Decision(release=(THEIRS,)), id="handed-over"),
        pytest.param(
            THEIRS, lease(ME, 1), frozenset({ME}), Decision(keep=(THEIRS,)), id="alone-keeps-everything"
        ),
        pytest.param(
            THEIRS, lease(OTHER, 13), frozenset({ME}), Decision(acquire=(THEIRS,)), id="failover-to-survivor"
        ),
    ],
)
def test_decide(
    cluster: str, record: LeaseRecord | None, members: frozenset[str], expected: Decision
) -> None:
    leases = {} if record is None else {cluster: record}
    assert decide(ME, NOW, [cluster], leases, members, renew_every=4.0) == expected


def test_the_lease_of_a_deleted_cluster_is_released_and_others_ignored() -> None:
    leases = {"gone": lease(ME, 1), "theirs-gone": lease(OTHER, 1)}
    assert decide(ME, NOW, [], leases, BOTH) == Decision(release=("gone",))


def test_holding_is_what_the_replica_will_hold() -> None:
    decision = Decision(acquire=("a",), renew=("b",), release=("c",), keep=("d",))
    assert decision.holding == {"a", "b", "d"}


def test_two_replicas_with_the_same_view_never_both_acquire() -> None:
    """Same leases, same membership: each free cluster is acquired by exactly one of them."""
    clusters = [f"cluster-{i}" for i in range(9)]
    a = decide("op-a", NOW, clusters, {}, BOTH | {"op-a"})
    b = decide("op-b", NOW, clusters, {}, frozenset({"op-a", "op-b"}))
    assert not set(a.acquire) & set(b.acquire)
    assert set(a.acquire) | set(b.acquire) == set(clusters)


def test_a_cluster_without_an_ecscluster_has_one_owner() -> None:
    owners = {m: owner_without_lease("nowhere", frozenset({"op-a", "op-b", "op-c"})) for m in "abc"}
    assert len(set(owners.values())) == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("ecs-operator-7d9f-x2", "ecs-operator-7d9f-x2", id="pod-name"),
        pytest.param("Host_Name-123", "host-name-123", id="host-pid"),
        pytest.param("--", "ecs-operator", id="nothing-left"),
    ],
)
def test_sanitize_identity(raw: str, expected: str) -> None:
    assert sanitize_identity(raw) == expected


@pytest.mark.parametrize(
    ("cluster", "expected"),
    [
        pytest.param("prod", "ecs-operator-cluster-prod", id="short"),
        pytest.param("a" * 232, "ecs-operator-cluster-" + "a" * 232, id="longest-kept"),
    ],
)
def test_cluster_lease_name(cluster: str, expected: str) -> None:
    assert cluster_lease_name(cluster) == expected


def test_a_cluster_name_too_long_for_a_lease_gets_a_digest() -> None:
    long_a, long_b = "a" * 240 + "x", "a" * 240 + "y"
    names = {cluster_lease_name(long_a), cluster_lease_name(long_b)}
    assert len(names) == 2 and all(len(n) <= 253 for n in names)


def test_leases_are_keyed_by_cluster_and_strangers_by_name() -> None:
    long = "b" * 250
    known = lease(ME, 1, name=cluster_lease_name(long))
    stranger = lease(ME, 1, name="ecs-operator-cluster-gone")
    member = lease(ME, 1, name="ecs-operator-member-op-a")
    assert leases_by_cluster([long, "absent"], [known, stranger, member]) == {
        long: known,
        "ecs-operator-cluster-gone": stranger,
    }
