"""Placement in batches per cluster (issue 15 item 2): one plan and one write per instance per batch.

Why: `task_launch.launch` placed one task at a time under a cluster lock: a snapshot, an engine
pass and a claim write (a compare-and-swap round trip) per task, while every other task of the
burst waited for the lock. Here the handler threads that want a task placed (kopf runs sync
handlers on a thread pool) queue it for its cluster and block; one worker per cluster takes
*everything* waiting and:

1. reads one snapshot (the watch cache overlaid with this process's own writes, `snapshots`);
2. adopts the claims earlier attempts committed (a crash between claim and record, a peer);
3. plans the rest together (`reconcile.batch`: one engine call per group of equal requests, on
   one snapshot that carries the batch's earlier placements, so a burst spreads as one RunTask
   with a count would; StartTask targets, capacity providers, the daemons' reservations);
4. commits the claims grouped by instance, the instances' writes at once (`fanout`): one
   compare-and-swap write per instance carrying all
   the batch's claims there, with the resourceVersion read (`kube.claims.commit_many`); on 409
   that instance is re-read and each claim re-checked (`reconcile.ledger.refit`): what still fits
   is written, the rest is planned again with the fresh copy (at most `PLAN_ROUNDS` plans);
5. hands each caller its `Launched` (or its `LaunchFailed`, or `Conflict` when every plan lost).

There is no artificial delay: a task alone is a batch of one; the tasks that arrive while a batch
runs form the next one. The callers then record their placements and create their pods on their
own threads, concurrently. Safety is unchanged: the claims are still compare-and-swap writes
(architecture.md §2); the batch only decides how many claims one write carries.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ecs_operator.handlers import daemons, snapshots
from ecs_operator.handlers import task_launch as tl
from ecs_operator.handlers.fanout import Fanout
from ecs_operator.handlers.task_launch import Launched
from ecs_operator.kube import claims, objects
from ecs_operator.kube.errors import Conflict, NotFound
from ecs_operator.kube.objects import INSTANCES, Obj
from ecs_operator.names import CLUSTER_LABEL
from ecs_operator.placement import Claim, TaskRequest, snapshot_from_objects
from ecs_operator.reconcile.batch import Want, plan_batch
from ecs_operator.reconcile.launch import EffectiveTask
from ecs_operator.reconcile.ledger import claims_of, refit

PLAN_ROUNDS = tl.PLAN_ROUNDS


@dataclass
class _Ticket:
    """One caller waiting: its task as prepared on its own thread, and the answer it gets."""

    task: Obj
    instances: list[Obj]
    effective: EffectiveTask
    request: TaskRequest
    capacity: tl.Capacity
    wake: threading.Event = field(default_factory=threading.Event)
    lead: bool = False  # woken to place the next batch, not with an answer
    answered: bool = False
    result: Launched | None = None
    error: Exception | None = None

    @property
    def uid(self) -> str:
        return str(self.task["metadata"]["uid"])

    def answer(self, result: Launched | None = None, error: Exception | None = None) -> None:
        if not self.answered:
            self.result, self.error, self.answered = result, error, True
            self.wake.set()


@dataclass
class _Queue:
    waiting: list[_Ticket] = field(default_factory=list)
    busy: bool = False  # a caller is placing a batch of this cluster


_guard = threading.Lock()
_queues: dict[str, _Queue] = {}
_committers = Fanout("claim-commit")  # a batch's claim writes, one per instance


def launch(task: Obj, instances: list[Obj]) -> Launched:
    """Place the task with whatever else waits in its cluster; `task_launch.launch`'s contract.

    Returns the committed (or adopted) claim; raises `NotYet` (its task definition is not
    registered yet), `LaunchFailed` (it fits nowhere, or its spec cannot be placed) or `Conflict`
    (every plan lost its race: not failed, just not placed yet).

    The worker of a cluster is one of its callers (leader and followers, as a group commit): the
    caller that finds nobody placing places the batch on its own thread, then wakes the first
    caller that arrived meanwhile to place the next one. So no thread is started for a batch;
    only the claim writes of a batch spread over several instances go to the committers' pool.
    """
    effective = tl.resolve_task(task)  # per task, on the caller's thread: these raise directly
    chosen = tl.capacity(task)
    request = tl._request(task, effective, chosen.launch_type)
    ticket = _Ticket(task, instances, effective, request, chosen)
    cluster = str(task["spec"]["cluster"])
    with _guard:
        queue = _queues.setdefault(cluster, _Queue())
        queue.waiting.append(ticket)
        ticket.lead = not queue.busy
        queue.busy = True
    while not ticket.answered:
        if ticket.lead:
            ticket.lead = False
            _lead(cluster, queue)
        else:
            ticket.wake.wait()
            ticket.wake.clear()
    if ticket.error is not None:
        raise ticket.error
    assert ticket.result is not None
    return replace(ticket.result, capacity_provider=chosen.provider)


def waiting(cluster: str) -> int:
    """How many tasks wait for the cluster's next batch (for tests and debugging)."""
    with _guard:
        queue = _queues.get(cluster)
        return len(queue.waiting) if queue is not None else 0


def _lead(cluster: str, queue: _Queue) -> None:
    """Place every task waiting now as one batch; then hand the cluster to the next caller."""
    batch: list[_Ticket] = []
    try:
        # The cluster's placement lock: one planner of the cluster in this process at a time; the
        # tasks that arrive while it is held join the batch.
        with snapshots.placement_lock(cluster):
            with _guard:
                batch, queue.waiting = queue.waiting, []
            _place(cluster, batch)
    except Exception as exc:  # a read failed (500, timeout): every caller gets it, to retry
        for ticket in batch:
            ticket.answer(error=exc)
    finally:
        for ticket in batch:  # never leave a caller waiting
            ticket.answer(error=Conflict("placement batch ended without an answer", 409))
        with _guard:
            if queue.waiting:
                queue.waiting[0].lead = True
                queue.waiting[0].wake.set()
            else:
                queue.busy = False


def _complete(instances: list[Obj]) -> bool:
    return bool(instances) and all((i.get("status") or {}).get("registeredResources") for i in instances)


def _read_all(cluster: str) -> dict[str, Obj]:
    fresh = objects.list_objects(INSTANCES, label_selector=f"{CLUSTER_LABEL}={cluster}")
    for obj in fresh:
        snapshots.remember(obj)
    return {str(i["metadata"]["name"]): i for i in snapshots.merged(fresh, cluster)}


def _place(cluster: str, batch: list[_Ticket]) -> None:
    merged = snapshots.merged(batch[-1].instances, cluster)  # the newest cache read of the batch
    if not _complete(merged):
        # The watch has not caught up (a cluster or instance just registered), or the cluster
        # has no instances: read them all.
        merged = list(_read_all(cluster).values())
    by_name = {str(i["metadata"]["name"]): i for i in merged}
    # One task may be queued twice (its event and the sweep at once): it is placed once.
    same: dict[str, list[_Ticket]] = {}
    for ticket in batch:
        same.setdefault(ticket.uid, []).append(ticket)
    pending: list[_Ticket] = []
    for uid, tickets in same.items():
        held = claims_of(list(by_name.values()), uid)
        if held:  # a crash (or a peer) committed a claim and did not record it: adopt the first
            name, claim = held[0]
            adopted = Launched(by_name[name], claim, tickets[0].effective, tuple(n for n, _ in held[1:]))
            _answer(tickets, adopted)
        else:
            pending.append(tickets[0])
    for _ in range(PLAN_ROUNDS):
        if not pending:
            return
        pending, by_name = _round(cluster, pending, same, by_name)
    for ticket in pending:
        error = Conflict(
            f"could not commit a claim for {ticket.task['metadata']['name']} after {PLAN_ROUNDS} plans", 409
        )
        _answer(same[ticket.uid], error=error)


def _answer(
    tickets: Sequence[_Ticket], result: Launched | None = None, error: Exception | None = None
) -> None:
    for ticket in tickets:
        ticket.answer(result, error)


def _round(
    cluster: str, pending: list[_Ticket], same: dict[str, list[_Ticket]], by_name: dict[str, Obj]
) -> tuple[list[_Ticket], dict[str, Obj]]:
    """One plan of the pending tasks and its grouped commits; the tasks to plan again, and the
    instances as now known."""
    wants = [
        Want(
            t.request,
            allowed=None
            if t.capacity.provider is None
            else frozenset(n for n, i in by_name.items() if t.capacity.keep(i)),
            target=t.task["spec"].get("containerInstance") or None,
        )
        for t in pending
    ]
    snapshot = snapshot_from_objects(list(by_name.values()), cluster=cluster)
    plan = plan_batch(snapshot, wants, lambda view, group: daemons.reserve(view, cluster, group))
    tickets = {t.uid: t for t in pending}
    for uid, unplaced in plan.unplaced.items():
        failures = [dict(f) for f in unplaced.failures]
        _answer(same[uid], error=tl.Unplaced(unplaced.reason, failures, tickets[uid].capacity.provider))
    again: list[_Ticket] = []
    reread = False
    groups = list(plan.by_instance().items())

    def commit(group: tuple[str, list[str]]) -> claims.Committed:
        name, uids = group
        planned = {uid: plan.placements[uid][1] for uid in uids}
        return claims.commit_many(
            name,
            [_claim_object(tickets[uid], claim) for uid, claim in planned.items()],
            _refit(tickets, planned),
            current=by_name[name],
        )

    for (name, uids), outcome in zip(groups, _committers.each(commit, groups), strict=True):
        if isinstance(outcome, NotFound):  # deleted since the snapshot: plan its tasks again without it
            snapshots.forget(name)
            by_name.pop(name, None)
            again += [tickets[uid] for uid in uids]
            continue
        if isinstance(outcome, Conflict):  # every attempt lost: read the cluster again and plan these again
            reread = True
            again += [tickets[uid] for uid in uids]
            continue
        if isinstance(outcome, Exception):  # a 500, a timeout: these callers get it, to retry
            _answer([t for uid in uids for t in same[uid]], error=outcome)
            continue
        snapshots.remember(outcome.instance)  # the next batch must see these claims
        by_name[name] = outcome.instance
        for uid in uids:
            if uid in outcome.claims:
                ticket = tickets[uid]
                _answer(same[uid], Launched(outcome.instance, outcome.claims[uid], ticket.effective))
            else:
                again.append(tickets[uid])
    if reread:
        by_name = _read_all(cluster)
    return again, by_name


def _claim_object(ticket: _Ticket, claim: Claim) -> dict[str, Any]:
    meta = ticket.task["metadata"]
    return {**claim.to_object(), "taskUid": meta["uid"], "task": f"{meta['namespace']}/{meta['name']}"}


def _refit(tickets: dict[str, _Ticket], planned: dict[str, Claim]) -> claims.Refit:
    """The re-check on a fresh copy of the instance (after a 409): `reconcile.ledger.refit`."""

    def recheck(obj: Obj, pending: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
        instance = snapshot_from_objects([obj]).instances[0]
        wanted = [(tickets[c["taskUid"]].request, planned[c["taskUid"]]) for c in pending]
        result = refit(instance, wanted)
        kept = {c.task_uid for c in result.kept}
        return [c for c in pending if c["taskUid"] in kept], result.refused

    return recheck
