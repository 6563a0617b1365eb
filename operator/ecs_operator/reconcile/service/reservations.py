"""Capacity held back for DAEMON tasks, so replica tasks cannot take it (ecs-semantics §3.2).

Why: ECS places the daemon before replica tasks and reserves its CPU, memory and ports on every
instance that should run it. Here the daemon's claim only exists once its task is placed, so
between a new instance joining (or a daemon task being replaced) and the daemon's claim being
committed, a replica task could take the room. The handler that places every other task
subtracts these reservations first (`handlers.daemons.reserve`, with the requests the cluster's
DAEMON service passes recorded):

    snapshot = with_reservations(snapshot, daemon_reservations(snapshot, daemon_request))

**Not wired yet.** Nothing in the operator calls these two functions today (they are exported
from ``reconcile.service`` and covered by no handler): replica tasks and standalone RunTasks are
placed on the snapshot without any daemon reservation. So a replica task *can* take the room of a
daemon task that is not placed yet; the daemon service then reports ``unable to place`` on that
instance and retries every 30 s, and gets the room back only when the replica task stops. What
the functions would reserve, once a placer uses them:

| instance (standing from ``daemon.survey``)    | reservation                                       |
|-----------------------------------------------|---------------------------------------------------|
| eligible, no claim of the daemon's group yet  | the daemon's CPU, memory and static ports         |
| eligible, the daemon's claim is already there | none (the claim itself holds the room)            |
| disconnected, draining, unqualified           | none (released: the instance no longer qualifies) |

Reservation claims use the group ``reservation:<daemon group>``, so they never satisfy a
``task:group`` expression or count toward a spread of the daemon's own group. Pass the plain
snapshot (without reservations) to ``plan_daemon_service``.
"""

from __future__ import annotations

from collections.abc import Mapping

from ecs_operator.placement import Claim, ClusterSnapshot, TaskRequest

from .daemon import RESERVATION_PREFIX, Standing, survey


def daemon_reservations(snapshot: ClusterSnapshot, request: TaskRequest) -> dict[str, Claim]:
    """Per instance name, the claim to hold back for the daemon ``request`` (group service:<name>)."""
    group = f"{RESERVATION_PREFIX}{request.group}"
    out: dict[str, Claim] = {}
    for fit in survey(snapshot, request):
        inst = snapshot.instance(fit.name)
        if fit.standing is Standing.ELIGIBLE and request.group not in inst.group_counts:
            out[fit.name] = Claim(
                task_uid=f"{group}@{fit.name}",
                task=group,
                group=group,
                cpu=request.cpu,
                memory=request.memory,
                ports=tuple(sorted(request.ports)),
                ports_udp=tuple(sorted(request.ports_udp)),
            )
    return out


def with_reservations(snapshot: ClusterSnapshot, reservations: Mapping[str, Claim]) -> ClusterSnapshot:
    """``snapshot`` with each reservation added as a provisional claim on its instance."""
    for name, claim in sorted(reservations.items()):
        if name in snapshot:
            snapshot = snapshot.with_instance(snapshot.instance(name).with_claim(claim))
    return snapshot
