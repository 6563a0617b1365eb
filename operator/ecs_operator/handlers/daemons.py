"""The DAEMON services of each cluster, as this process last planned them (process-local).

Why: ECS places a daemon before replica tasks and holds its CPU, memory and ports on every instance
that should run it, so other tasks cannot take that room, and it stops the daemon after them on a
draining instance (ecs-semantics §3.2; `reconcile.service.reservations`, `reconcile.service.daemon`).
Both need to know the cluster's daemons: the reservation needs a daemon's placement request, which
only its service pass resolves. The replica that holds a cluster's lease runs both the service
passes and the task placements of that cluster (`handlers.leadership`), so a record in the process
is where the two meet, without a read per placement.

It is a preference, not a safety property: until a daemon service's first pass in this process (at
start-up every service gets one), nothing is reserved for it, as if it had no reservation; claims
and their compare-and-swap still decide what fits.
"""

from __future__ import annotations

import threading

from ecs_operator.placement import ClusterSnapshot, TaskRequest
from ecs_operator.reconcile.service import daemon_reservations, with_reservations

_lock = threading.Lock()
_daemons: dict[str, dict[str, TaskRequest]] = {}
"""cluster → service (namespace/name) → the placement request of its task."""


def record(cluster: str, service: str, request: TaskRequest) -> None:
    """`service` is a DAEMON service of `cluster` whose task needs `request`."""
    with _lock:
        for members in _daemons.values():
            members.pop(service, None)
        _daemons.setdefault(cluster, {})[service] = request


def forget(service: str) -> None:
    """`service` is no DAEMON service (any more): deleted, or its strategy is REPLICA."""
    with _lock:
        for members in _daemons.values():
            members.pop(service, None)


def requests(cluster: str) -> tuple[TaskRequest, ...]:
    with _lock:
        return tuple(request for _, request in sorted((_daemons.get(cluster) or {}).items()))


def groups(cluster: str) -> frozenset[str]:
    """The task groups (`service:<name>`) of the cluster's DAEMON services."""
    return frozenset(r.group for r in requests(cluster))


def reserve(snapshot: ClusterSnapshot, cluster: str, group: str) -> ClusterSnapshot:
    """`snapshot` as a task of `group` sees it: with each daemon's room held back, unless it is a daemon."""
    daemons = requests(cluster)
    if any(r.group == group for r in daemons):
        return snapshot
    for request in daemons:
        snapshot = with_reservations(snapshot, daemon_reservations(snapshot, request))
    return snapshot
