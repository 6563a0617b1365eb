"""A batch of tasks waiting in one cluster, planned together on one snapshot (issue 15 item 2).

Why: placing the tasks of a burst one by one, each on its own snapshot and each with its own
claim write, costs a snapshot, an engine pass and an instance write per task. ECS places the
tasks of one RunTask with a count one at a time on one view of the cluster, each seeing the
earlier ones (ecs-semantics §1.1). This module does that for whatever is waiting in a cluster:

- tasks whose placement requests are equal but for the task's identity (the tasks of a service, of
  a `run-task --count`, of a schedule) go through ONE engine call with a count, so the engine's
  batch ranking (`placement.ranking`) is used and a burst spreads as one RunTask with a count;
- the groups follow each other on the same snapshot, each seeing the claims of the groups before
  it (a snapshot with provisional claims, never written until the handler commits them);
- a StartTask (the caller chose the instance: `target`) is checked there, on the same snapshot;
- a capacity provider narrows the snapshot to its instances (`allowed`); the daemons' room is
  held back on the view of each group (`reserve`), never in the claims carried forward.

It returns where each task goes, or why it cannot go anywhere; committing is the caller's work
(`kube.claims.commit_many`, grouped by instance).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from ecs_operator.placement import Claim, ClusterSnapshot, InstanceSnapshot, TaskRequest, check, place


@dataclass(frozen=True)
class Want:
    """One task of the batch. ``request.task_uid`` identifies it; ``allowed`` None means every
    instance of the cluster (no capacity provider); ``target`` is StartTask's instance."""

    request: TaskRequest
    allowed: frozenset[str] | None = None
    target: str | None = None

    @property
    def uid(self) -> str:
        return self.request.task_uid


@dataclass(frozen=True)
class Unplaced:
    """Why a task of the batch cannot be placed: ``stoppedReason`` and ECS's ``failures[]``."""

    reason: str
    failures: tuple[dict[str, str], ...]


@dataclass(frozen=True)
class BatchPlan:
    """``placements``: task uid → (instance, claim keyed by that uid); ``unplaced``: uid → why.
    ``snapshot`` holds every placement as a provisional claim."""

    placements: dict[str, tuple[str, Claim]] = field(default_factory=dict)
    unplaced: dict[str, Unplaced] = field(default_factory=dict)
    snapshot: ClusterSnapshot = field(default_factory=ClusterSnapshot)

    def by_instance(self) -> dict[str, list[str]]:
        """The uids placed on each instance, in plan order: one commit per instance."""
        out: dict[str, list[str]] = {}
        for uid, (instance, _) in self.placements.items():
            out.setdefault(instance, []).append(uid)
        return out


Reserve = Callable[[ClusterSnapshot, str], ClusterSnapshot]
"""The snapshot as a task of a group sees it (the daemons' room held back); identity when none."""


def _anonymous(request: TaskRequest) -> TaskRequest:
    return replace(request, task="", task_uid="")


def groups(wants: Sequence[Want]) -> list[list[Want]]:
    """The wants that one engine call with a count can place, in order of first arrival.

    Equal requests but for the task's identity, the same instances allowed, and no target. A
    StartTask is a group of its own: its instance is the caller's choice, not the engine's.
    """
    out: list[list[Want]] = []
    keys: list[tuple[TaskRequest, frozenset[str] | None]] = []
    for want in wants:
        if want.target is not None:
            out.append([want])
            keys.append((want.request, want.allowed))  # never matched: a target group stays alone
            continue
        key = (_anonymous(want.request), want.allowed)
        for n, known in enumerate(keys):
            if out[n][0].target is None and known == key:
                out[n].append(want)
                break
        else:
            out.append([want])
            keys.append(key)
    return out


def _view(snapshot: ClusterSnapshot, allowed: frozenset[str] | None) -> ClusterSnapshot:
    if allowed is None:
        return snapshot
    return ClusterSnapshot(tuple(i for i in snapshot if i.name in allowed))


def _place_group(
    view: ClusterSnapshot, members: Sequence[Want], rng: random.Random
) -> tuple[list[tuple[str, Claim]], Unplaced | None]:
    """Placements for the first members (in order), and why the rest cannot be placed."""
    first = members[0]
    if first.target is not None:  # StartTask: no strategy, but fit and memberOf still apply
        try:
            verdict = check(view, first.request, first.target)
        except KeyError:
            return [], Unplaced("TaskFailedToStart: MISSING", ({"arn": first.target, "reason": "MISSING"},))
        if not verdict.feasible:
            rejection = verdict.rejection
            reason = str(rejection.reason) if rejection else "ATTRIBUTE"
            detail = rejection.detail if rejection else ""
            rejected = {"arn": first.target, "reason": reason, "detail": detail}
            return [], Unplaced(f"TaskFailedToStart: {reason}", (rejected,))
        view = ClusterSnapshot((view.instance(first.target),))
    result = place(view, first.request, len(members), rng)
    placed = [
        (p.instance, p.claim.rekeyed(want.uid, want.request.task))
        for p, want in zip(result.placements, members, strict=False)
    ]
    if result.failure is None:
        return placed, None
    failure = result.failure
    return placed, Unplaced(failure.stopped_reason(), tuple(f.to_object() for f in failure.failures))


def plan_batch(snapshot: ClusterSnapshot, wants: Sequence[Want], reserve: Reserve | None = None) -> BatchPlan:
    """Place every want on ``snapshot``, each seeing the placements before it.

    A group is seeded by its first task's uid, so a replica or a retry that sees the same batch
    on the same snapshot plans the same; a task alone plans as `task_launch` planned it.
    """
    plan = BatchPlan(snapshot=snapshot)
    current = snapshot
    for members in groups(wants):
        first = members[0]
        view = _view(current, first.allowed)
        if reserve is not None:
            view = reserve(view, first.request.group)
        placed, unplaced = _place_group(view, members, random.Random(first.uid))
        changed: dict[str, InstanceSnapshot] = {}
        for want, (name, claim) in zip(members, placed, strict=False):
            plan.placements[want.uid] = (name, claim)
            inst = changed.get(name) or current.instance(name)
            changed[name] = inst.with_claim(claim)
        current = current.with_instances(changed.values())
        if unplaced is not None:
            for want in members[len(placed) :]:
                plan.unplaced[want.uid] = unplaced
    return replace(plan, snapshot=current)
