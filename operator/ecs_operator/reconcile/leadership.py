"""Who reconciles which cluster: the pure decisions behind the per-cluster Leases.

Why leases at all, when correctness comes from compare-and-swap (architecture.md §2)? Because two
replicas that both work on every cluster do every piece of work twice and lose half of their
commits to 409s: the loser re-reads and re-plans, the winner's work is wasted on the other side.
With one replica per cluster at a time the races become rare and N replicas split the work. The
lease is an efficiency device only: a replica that holds a lease it should not (a paused process,
a skewed clock, a partition) is still safe, because every write it makes is a compare-and-swap
that the other replica's writes invalidate. Nothing here has to be perfect, only usually right.

The model (one `coordination.k8s.io/v1` Lease per cluster, `ecs-operator-cluster-<cluster>`, and
one per replica, `ecs-operator-member-<identity>`, all in the operator's namespace):

- **Members.** Each replica renews its member Lease. A member is live while its lease has not
  expired (renewTime + leaseDurationSeconds > now). This replica counts itself live always.
- **Preference.** Every replica computes the same assignment of clusters to live members from the
  same inputs: *balanced rendezvous hashing*. Each cluster ranks the members by
  sha256(member/cluster) (rendezvous, or highest-random-weight, hashing: adding or removing a member
  moves mostly the clusters that member wins or held); clusters are then assigned, in the order of
  their own hash, to their best-ranked member that still has room (every member gets
  floor(clusters/members), the remainder one more each). The cap is what makes 2 clusters on 2
  replicas split 1 + 1 rather than 2 + 0 half of the time.
- **Acquire.** A replica takes a cluster's lease when it is free (absent, released, or expired) and
  it is the cluster's preferred member. It also takes a lease that has stayed free for one more
  lease duration whatever the preference says, so a cluster is never left unowned because two
  replicas' views of the membership disagree. Taking is a write with the resourceVersion read
  (create for an absent lease): a 409 means another replica won, and that is the whole protocol.
- **Renew.** A held lease is renewed every `renew_every` seconds, long before it expires.
- **Hand over.** A held lease whose cluster prefers another live member is released (holder
  emptied): that member takes it on its next tick. This is how a replica that starts (or comes
  back) gets its share. A held lease of a cluster that no longer exists is released too.
- **Fail over.** A replica killed with SIGKILL renews nothing: its member lease and its cluster
  leases expire after the lease duration, the survivors drop it from the membership and the
  preferred survivor takes each of its clusters. The time to resume placing is at most the lease
  duration plus one tick plus the resync of the cluster (handlers/leadership.py). The numbers: a
  12 s duration renewed every 4 s (three chances to renew before it could lapse) and looked at
  every second put that under the 15 s goal; a shorter duration would make a slow API server
  (a renewal taking seconds) hand clusters around for nothing.

Time: expiry compares the holder's renewTime with this replica's clock, as client-go's
leaderelection does with its observed times. Clock skew between replicas only makes a takeover
earlier or later by the skew; it can never make a placement wrong (see above).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

CLUSTER_PREFIX = "ecs-operator-cluster-"
MEMBER_PREFIX = "ecs-operator-member-"
DURATION = 12.0  # seconds a lease lasts without renewal: the failover time, about
RENEW_EVERY = 4.0  # seconds between renewals of a held lease: three tries before it could expire
TICK = 1.0  # seconds between two looks at the leases (one list call per tick)


@dataclass(frozen=True)
class LeaseRecord:
    """A Lease as read: who holds it, when it was renewed, for how long, at which resourceVersion."""

    name: str
    holder: str  # "" when released
    renewed_at: datetime | None
    duration: float
    resource_version: str
    acquired_at: datetime | None = None
    transitions: int = 0

    def expires_at(self) -> datetime | None:
        if self.renewed_at is None:
            return None
        return self.renewed_at + timedelta(seconds=self.duration)

    def age(self, now: datetime) -> float:
        """Seconds since the last renewal (infinite when never renewed)."""
        if self.renewed_at is None:
            return math.inf
        return (now - self.renewed_at).total_seconds()

    def held(self, now: datetime) -> bool:
        """Someone holds it and it has not expired."""
        expires = self.expires_at()
        return bool(self.holder) and expires is not None and expires > now

    def free_since(self) -> datetime | None:
        """When it became free: its expiry, or its release (a released lease keeps the release time)."""
        if self.holder:
            return self.expires_at()
        return self.renewed_at


@dataclass(frozen=True)
class Decision:
    """What to write this tick; `keep` are the held leases that need no write yet."""

    acquire: tuple[str, ...] = ()
    renew: tuple[str, ...] = ()
    release: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()

    @property
    def holding(self) -> frozenset[str]:
        """The clusters this replica holds once the writes succeed."""
        return frozenset(self.acquire) | frozenset(self.renew) | frozenset(self.keep)


MAX_NAME = 253


def cluster_lease_name(cluster: str) -> str:
    """`ecs-operator-cluster-<cluster>`; a name too long for an object name keeps a prefix of the
    cluster's name and gets a digest of the whole (distinct, and the same on every replica)."""
    name = f"{CLUSTER_PREFIX}{cluster}"
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(cluster.encode()).hexdigest()[:16]
    return f"{name[: MAX_NAME - 17].rstrip('.-')}-{digest}"


def leases_by_cluster(clusters: Iterable[str], leases: Iterable[LeaseRecord]) -> dict[str, LeaseRecord]:
    """The cluster leases keyed by cluster name; a lease of no known cluster keeps its name as key
    (only its holder cares: it releases it)."""
    by_name = {lease.name: lease for lease in leases if lease.name.startswith(CLUSTER_PREFIX)}
    out: dict[str, LeaseRecord] = {}
    for cluster in clusters:
        found = by_name.pop(cluster_lease_name(cluster), None)
        if found is not None:
            out[cluster] = found
    for name, lease in by_name.items():
        out[name] = lease
    return out


def member_lease_name(identity: str) -> str:
    return f"{MEMBER_PREFIX}{identity}"


def sanitize_identity(raw: str) -> str:
    """An identity usable in a Lease name (a DNS subdomain label run): lower case, [a-z0-9-.]."""
    out = "".join(c if c.isalnum() or c in "-." else "-" for c in raw.lower()).strip("-.")
    return out[:200] or "ecs-operator"


def live_members(members: Iterable[LeaseRecord], me: str, now: datetime) -> frozenset[str]:
    """The identities whose member lease has not expired, and this replica's own."""
    return frozenset({m.holder for m in members if m.held(now)} | {me})


def _weight(member: str, cluster: str) -> bytes:
    return hashlib.sha256(f"{member}/{cluster}".encode()).digest()


def assignment(clusters: Iterable[str], members: Iterable[str]) -> dict[str, str]:
    """Balanced rendezvous hashing: cluster → its preferred member (see the module docstring).

    Deterministic in its inputs (sets, not their order), so replicas with the same view agree.
    """
    live = sorted(set(members))
    names = sorted(set(clusters), key=lambda c: (hashlib.sha256(c.encode()).digest(), c))
    if not live:
        return {}
    base, extra = divmod(len(names), len(live))
    load = dict.fromkeys(live, 0)
    bigs = 0  # members holding base + 1: at most `extra` of them

    def room(member: str) -> bool:
        return load[member] < base or (load[member] == base and bigs < extra)

    out: dict[str, str] = {}
    for cluster in names:
        ranked = sorted(live, key=lambda m: _weight(m, cluster), reverse=True)
        chosen = next(m for m in ranked if room(m))  # total room is exactly len(names)
        load[chosen] += 1
        bigs += load[chosen] == base + 1
        out[cluster] = chosen
    return out


def decide(
    me: str,
    now: datetime,
    clusters: Iterable[str],
    leases: Mapping[str, LeaseRecord],
    members: frozenset[str],
    renew_every: float = RENEW_EVERY,
) -> Decision:
    """What this replica writes this tick, given the leases by cluster name (absent: no lease)."""
    wanted = set(clusters)
    preferred = assignment(wanted, members)
    acquire: list[str] = []
    renew: list[str] = []
    release: list[str] = []
    keep: list[str] = []
    for cluster in sorted(wanted | set(leases)):
        lease = leases.get(cluster)
        mine = lease is not None and lease.holder == me
        if cluster not in wanted:
            if mine:
                release.append(cluster)  # the cluster is gone: let its lease go
            continue
        if mine and lease is not None:
            if preferred[cluster] != me:
                release.append(cluster)  # hand over to the member the cluster prefers
            elif not lease.held(now) or lease.age(now) >= renew_every:
                renew.append(cluster)
            else:
                keep.append(cluster)
            continue
        if lease is not None and lease.held(now):
            continue  # someone else holds it
        if preferred.get(cluster) == me:
            acquire.append(cluster)
            continue
        since = lease.free_since() if lease is not None else None
        if since is not None and (now - since).total_seconds() > lease_duration(lease):
            acquire.append(cluster)  # free too long: the preferred member is not taking it
    return Decision(tuple(acquire), tuple(renew), tuple(release), tuple(keep))


def lease_duration(lease: LeaseRecord | None) -> float:
    return lease.duration if lease is not None and lease.duration > 0 else DURATION


def owner_without_lease(cluster: str, members: frozenset[str]) -> str | None:
    """Who handles objects naming a cluster that does not exist (no lease is kept for it): the
    member the cluster would prefer, so that exactly one replica reports their failures."""
    return assignment([cluster], members).get(cluster)
