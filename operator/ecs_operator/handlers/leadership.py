"""Per-cluster leadership: which clusters this replica reconciles, kept with coordination Leases.

The decisions are pure (`reconcile.leadership`: membership, balanced rendezvous hashing, acquire /
renew / release); the Lease reads and compare-and-swap writes are in `kube.leases`. This module
runs them and gates the work:

- `owns(cluster)` is the one check every handler of task placement and lifecycle, service passes
  and scheduled fires makes at its entry point: a cluster this replica does not hold is another
  replica's work, and skipping it is what turns N racing replicas into N sharing ones. With
  `--leases=off` it is always True (every replica works on everything, as before: still safe).
- A thread ticks every `TICK` seconds: one list call reads every lease of the operator, the pure
  module decides, and the writes follow (a 409 is someone else winning: nothing to do). It also
  renews this replica's member lease. It is a thread, not a Kopf timer, because it must keep
  renewing while Kopf's executor is busy with a burst of placements.
- At startup (a Kopf startup handler, which runs before any watch starts) the replica takes what
  it can before its handlers see the first event, so nothing they skip needs a resync.
- A cluster acquired later (a failover, a handover) is resynced at once by that cluster's daemon:
  every not-STOPPED task and every service of the cluster is reconciled, and the schedule daemons
  are woken, so placing resumes without waiting for any timer. The daemon, an asyncio task per
  EcsCluster, runs the resync in a thread with the daemon's context, which is what lets the
  reconcilers post Kubernetes Events from there.
- At shutdown (SIGTERM) the replica releases its cluster leases and deletes its member lease, so
  the survivors take over within a tick instead of a lease duration.

Objects naming a cluster that has no EcsCluster get no lease: the member that cluster would prefer
(`owner_without_lease`) reports their failure, so it is reported once.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import kopf

from ecs_operator import metrics
from ecs_operator.kube import leases as kleases
from ecs_operator.kube import objects
from ecs_operator.kube.errors import Conflict, KubeError
from ecs_operator.kube.objects import CLUSTERS
from ecs_operator.names import GROUP, VERSION
from ecs_operator.reconcile import leadership as rl

SAFETY = 2.0  # seconds: stop acting on a lease this long before it could expire unrenewed
log = logging.getLogger(__name__)


@dataclass
class State:
    """The process's view: configuration, what it holds (monotonic deadlines), what it knows."""

    enabled: bool = False
    forbidden: bool = False  # the Lease API answered 403/404: work as with --leases=off meanwhile
    identity: str = ""
    namespace: str = "default"
    duration: float = rl.DURATION
    renew_every: float = rl.RENEW_EVERY
    tick: float = rl.TICK
    clusters: set[str] = field(default_factory=set)
    held: dict[str, float] = field(default_factory=dict)
    members: frozenset[str] = frozenset()
    member: rl.LeaseRecord | None = None
    epochs: dict[str, int] = field(default_factory=dict)  # acquisitions after startup, per cluster
    synced: dict[str, int] = field(default_factory=dict)  # the epoch each cluster's daemon resynced
    wakers: dict[str, asyncio.Event] = field(default_factory=dict)
    loop: asyncio.AbstractEventLoop | None = None
    poke: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


STATE = State()
# What a resync of one cluster runs (set by handlers.resync, which imports the task and service
# handlers; kept out of this module so that it stays below them).
RESYNC: list[Callable[[str], None]] = []


def configure(enabled: bool, identity: str | None = None, namespace: str | None = None) -> None:
    """Called by `ecs-operator run` before Kopf starts."""
    STATE.enabled = enabled
    raw = identity or os.environ.get("POD_ID") or f"{socket.gethostname()}-{os.getpid()}"
    STATE.identity = rl.sanitize_identity(raw)
    STATE.namespace = namespace or kleases.default_namespace()
    STATE.members = frozenset({STATE.identity})


def owns(cluster: str) -> bool:
    """Does this replica reconcile `cluster` now? The one gate of every handler entry point."""
    if not STATE.enabled or STATE.forbidden:
        return True
    deadline = STATE.held.get(cluster)
    if deadline is not None and time.monotonic() < deadline:
        return True
    if cluster not in STATE.clusters:
        return rl.owner_without_lease(cluster, STATE.members) == STATE.identity
    return False


def held() -> frozenset[str]:
    return frozenset(c for c, deadline in STATE.held.items() if time.monotonic() < deadline)


# -- the loop ------------------------------------------------------------------------------------


def _renew_member(records: list[rl.LeaseRecord], now: datetime) -> None:
    name = rl.member_lease_name(STATE.identity)
    mine = next((r for r in records if r.name == name), None)
    if mine is not None and mine.holder == STATE.identity and mine.age(now) < STATE.renew_every:
        STATE.member = mine
        return
    try:
        STATE.member = kleases.write(
            STATE.namespace, name, "member", STATE.identity, now, STATE.duration, mine
        )
    except Conflict:
        STATE.member = None  # changed meanwhile: next tick


def _write(cluster: str, holder: str, now: datetime, lease: rl.LeaseRecord | None) -> bool:
    started = time.monotonic()
    name = rl.cluster_lease_name(cluster)
    try:
        kleases.write(STATE.namespace, name, "cluster", holder, now, STATE.duration, lease)
    except Conflict:
        return False
    if holder:
        STATE.held[cluster] = started + STATE.duration - SAFETY
    return True


def tick(startup: bool = False, now: datetime | None = None) -> None:
    """One look at the leases and the writes it calls for (`now` is injected by tests)."""
    now = now or datetime.now(UTC)
    records = kleases.list_leases(STATE.namespace)
    _renew_member(records, now)
    members = [r for r in records if r.name.startswith(rl.MEMBER_PREFIX)]
    STATE.members = rl.live_members(members, STATE.identity, now)
    with STATE.lock:
        clusters = set(STATE.clusters)
    by_cluster = rl.leases_by_cluster(clusters, records)
    decision = rl.decide(STATE.identity, now, clusters, by_cluster, STATE.members, STATE.renew_every)
    before = set(STATE.held)
    for cluster in list(STATE.held):
        if cluster not in decision.holding:
            STATE.held.pop(cluster, None)  # taken by someone else, or about to be released
    for cluster in decision.release:
        lease = by_cluster[cluster]
        with _one_cluster(cluster):
            if cluster in clusters:
                _write(cluster, "", now, lease)
            else:
                kleases.delete(STATE.namespace, lease)
            log.info(f"leases: released cluster {cluster}")
    for cluster in decision.renew:
        with _one_cluster(cluster):
            if not _write(cluster, STATE.identity, now, by_cluster.get(cluster)):
                STATE.held.pop(cluster, None)
            elif cluster not in before:
                # A lease that names this identity but that this process did not hold: its
                # previous incarnation's (a restart within the lease's duration). Taking it is an
                # acquisition: without the wake, a schedule whose first round found the cluster
                # not owned slept on, and an occurrence was never launched (make chaos, seed 8).
                log.info(f"leases: acquired cluster {cluster}, held by this identity before a restart")
                if not startup:
                    _acquired(cluster)
    for cluster in decision.acquire:
        with _one_cluster(cluster):
            if _write(cluster, STATE.identity, now, by_cluster.get(cluster)):
                log.info(f"leases: acquired cluster {cluster} (members: {sorted(STATE.members)})")
                if not startup:
                    _acquired(cluster)
    metrics.clusters_held(len(held()))


@contextlib.contextmanager
def _one_cluster(cluster: str) -> Iterator[None]:
    """A write the API server refuses for one cluster (422, 5xx) must not stop the others'."""
    try:
        yield
    except KubeError as exc:
        if exc.status in (403, 404):
            raise
        log.warning(f"leases: cluster {cluster}: {exc}")


def _acquired(cluster: str) -> None:
    """Wake the cluster's daemon to resync it (thread-safe: the daemon lives on Kopf's loop)."""
    STATE.epochs[cluster] = STATE.epochs.get(cluster, 0) + 1
    waker, loop = STATE.wakers.get(cluster), STATE.loop
    if waker is not None and loop is not None:
        loop.call_soon_threadsafe(waker.set)


def _forbidden(exc: KubeError) -> bool:
    """Leases this replica cannot use (403: an older chart's role, or a RoleBinding not in effect
    yet; 404: no such namespace): work like --leases=off, loudly, until they work. Safety never
    depended on them; doing nothing until someone fixes the setup would be worse."""
    if exc.status not in (403, 404):
        return False
    if not STATE.forbidden:
        log.error(f"leases: forbidden ({exc}); reconciling every cluster, as with --leases=off")
    STATE.forbidden = True
    return True


def checked_tick(startup: bool = False) -> None:
    """`tick`, and what a 403 means (above)."""
    try:
        tick(startup=startup)
    except KubeError as exc:
        if not _forbidden(exc):
            raise
        return
    if STATE.forbidden:
        log.warning("leases: allowed again; sharing the clusters")
        STATE.forbidden = False


def _run() -> None:
    failures = 0
    while not STATE.stop.is_set():
        try:
            checked_tick()
            failures = 0
        except KubeError as exc:
            failures += 1
            if failures in (1, 10) or failures % 60 == 0:
                log.warning(f"leases: {exc}")
        except OSError as exc:
            failures += 1
            if failures in (1, 10) or failures % 60 == 0:
                log.warning(f"leases: {exc}")
        except Exception:  # a bug must not end leadership: log it and keep ticking
            log.exception("leases: unexpected error")
        STATE.poke.wait(STATE.tick)
        STATE.poke.clear()


def _release_all() -> None:
    """Graceful exit: stop acting, then let every lease go so the survivors take over at once."""
    mine = set(STATE.held)
    STATE.held.clear()
    try:
        records = kleases.list_leases(STATE.namespace)
        now = datetime.now(UTC)
        for record in records:
            if record.holder != STATE.identity:
                continue
            if record.name.startswith(rl.MEMBER_PREFIX):
                kleases.delete(STATE.namespace, record)
            elif record.name.removeprefix(rl.CLUSTER_PREFIX) in mine:
                kleases.write(STATE.namespace, record.name, "cluster", "", now, STATE.duration, record)
    except (KubeError, OSError) as exc:
        log.warning(f"leases: not released at exit ({exc}); they expire in {STATE.duration:.0f}s")
    metrics.clusters_held(0)


@kopf.on.startup()
async def start_leadership(**_: Any) -> None:
    """Take this replica's share before any watch starts, then keep it from a thread."""
    if not STATE.enabled:
        return
    loop = asyncio.get_running_loop()
    STATE.loop = loop
    names = await loop.run_in_executor(
        None, lambda: [c["metadata"]["name"] for c in objects.list_objects(CLUSTERS)]
    )
    with STATE.lock:
        STATE.clusters.update(names)
    try:
        await loop.run_in_executor(None, lambda: checked_tick(startup=True))
    except (KubeError, OSError) as exc:
        log.warning(f"leases: first look failed ({exc}); the loop tries again")
    STATE.stop.clear()
    STATE.thread = threading.Thread(target=_run, name="ecs-operator-leases", daemon=True)
    STATE.thread.start()
    log.info(
        f"leases: {STATE.identity} in namespace {STATE.namespace} holds {sorted(held())} "
        f"of {len(names)} cluster(s)"
    )


@kopf.on.cleanup()
async def stop_leadership(**_: Any) -> None:
    if not STATE.enabled or STATE.thread is None:
        return
    STATE.stop.set()
    STATE.poke.set()
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, STATE.thread.join, 5.0)
    await loop.run_in_executor(None, _release_all)


@kopf.on.event(GROUP, VERSION, "ecsclusters")
async def cluster_seen(name: str, type: str, **_: Any) -> None:
    """Keep the set of clusters to lead; a new one is taken at once (the loop is poked)."""
    if not STATE.enabled:
        return
    with STATE.lock:
        if type == "DELETED":
            STATE.clusters.discard(name)
        elif name not in STATE.clusters:
            STATE.clusters.add(name)
        else:
            return
    STATE.poke.set()


@kopf.daemon(GROUP, VERSION, "ecsclusters", cancellation_timeout=5.0)
async def cluster_takeover_resync(name: str, stopped: kopf.DaemonStopped, **_: Any) -> None:
    """Resync the cluster each time this replica acquires it after startup (see the docstring)."""
    if not STATE.enabled:
        return
    wake = asyncio.Event()
    STATE.wakers[name] = wake
    loop = asyncio.get_running_loop()
    try:
        while not stopped:
            epoch = STATE.epochs.get(name, 0)
            if epoch > STATE.synced.get(name, 0):
                STATE.synced[name] = epoch
                if owns(name):
                    context = contextvars.copy_context()
                    for resync in RESYNC:
                        try:
                            await loop.run_in_executor(None, context.copy().run, resync, name)
                        except Exception:
                            log.exception(f"leases: resync of cluster {name} failed; timers catch up")
            waiter = asyncio.ensure_future(wake.wait())
            stopper = asyncio.ensure_future(stopped.wait())
            await asyncio.wait({waiter, stopper}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()
            wake.clear()
    finally:
        if STATE.wakers.get(name) is wake:
            del STATE.wakers[name]
