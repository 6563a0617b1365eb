"""The relation between a task and its claims: one placement per task, whatever races or crashes.

Why this module: the compare-and-swap on a container instance serializes the claims *on that
instance*; it does not make "task T is placed" happen once. Two schedulers that both see T
unplaced can each commit a claim on a different instance. So the placement of a task is decided
by a second compare-and-swap, on the task itself, and this module holds the two pure rules that
make the pair safe (architecture.md §2):

1. **Claim first, then record; a recorded placement is final.** A scheduler commits its claim on
   instance X (CAS on X), then writes ``status.containerInstance = X`` with the task's
   resourceVersion. `placement_patch` refuses to write when the task already names an instance or
   has STOPPED: the status write is never re-applied over a placement someone else recorded. The
   loser rolls its own claim back. Because the claim precedes the record, the instance a task
   names always held (and, until the task stops, holds) the task's claim, and the pod — created
   only after the record, bound to that instance's node — is always where the ledger says.

   Why claim-first rather than record-first: a record made before the claim could meet an
   instance that filled up meanwhile, and undoing a record races with a peer that has already
   committed the claim and created the pod. Claim-first has no undo of a record; its only undo is
   releasing a claim nobody names, which is always safe.

2. **A claim is an orphan only when its task says so for good** (`verdict`): the task is gone
   (404, or its name now belongs to another uid), STOPPED (a stopped task never runs again), or
   names *another* instance (placements are final). A claim of a live task that names no instance
   yet is in flight (committed, not yet recorded) or was left by a crash between the two writes;
   it is not released but *adopted*: the next pass over that task records it instead of planning
   again. So a sweep never needs a grace period, and a stalled scheduler can never find its claim
   released under a placement it is about to record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ecs_operator.placement import Claim, ClusterSnapshot, InstanceSnapshot, TaskRequest, check


class Verdict(StrEnum):
    """What the sweep does with one claim, and why (the label of the released-claims metric)."""

    KEEP = "keep"
    GONE = "task_gone"
    STOPPED = "task_stopped"
    ELSEWHERE = "placed_elsewhere"


@dataclass(frozen=True)
class TaskView:
    """What the ledger needs to know of a task: its uid, the instance it names, whether STOPPED."""

    uid: str
    instance: str | None
    stopped: bool

    @classmethod
    def of(cls, task: Mapping[str, Any]) -> TaskView:
        status = task.get("status") or {}
        return cls(
            uid=str(task["metadata"]["uid"]),
            instance=status.get("containerInstance") or None,
            stopped=status.get("lastStatus") == "STOPPED",
        )


def verdict(instance: str, claim_uid: str, task: TaskView | None) -> Verdict:
    """Whether the claim of `claim_uid` on `instance` is still wanted (`task`: None when gone)."""
    if task is None or task.uid != claim_uid:
        return Verdict.GONE
    if task.stopped:
        return Verdict.STOPPED
    if task.instance is not None and task.instance != instance:
        return Verdict.ELSEWHERE
    return Verdict.KEEP


@dataclass(frozen=True)
class Taken:
    """The task cannot take this placement: it names `instance` already, or has `stopped`."""

    instance: str | None
    stopped: bool


def placement_patch(status: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any] | Taken | None:
    """The status patch that records a placement (`fields` names ``containerInstance``).

    None when the task already names that instance (nothing to write: a peer recorded the same
    claim, or this is a retry); `Taken` when it names another one or has STOPPED. A stop requested
    while the placement was being made is kept: the task is placed, then stopped.
    """
    if status.get("lastStatus") == "STOPPED":
        return Taken(status.get("containerInstance") or None, stopped=True)
    current = status.get("containerInstance")
    if current:
        return None if current == fields["containerInstance"] else Taken(str(current), stopped=False)
    patch = {k: v for k, v in fields.items() if status.get(k) != v}
    if status.get("desiredStatus") == "STOPPED":
        patch.pop("desiredStatus", None)  # a stop requested meanwhile (a service's scale-in) stands
    return patch


def claims_of(instances: Sequence[Mapping[str, Any]], uid: str) -> list[tuple[str, dict[str, Any]]]:
    """Every (instance name, claim) of the task `uid` in a snapshot, in instance-name order."""
    found = []
    for inst in sorted(instances, key=lambda i: str(i["metadata"]["name"])):
        for claim in (inst.get("status") or {}).get("claims") or []:
            if claim.get("taskUid") == uid:
                found.append((str(inst["metadata"]["name"]), dict(claim)))
    return found


@dataclass(frozen=True)
class Refit:
    """Of the claims planned on an older copy of an instance: those that still fit on the fresh
    copy (in plan order, each counted before the next is checked), and why the others do not."""

    kept: tuple[Claim, ...]
    refused: dict[str, str]  # task uid → reason (RESOURCE:CPU, RESOURCE:PORTS, a constraint …)


def refit(instance: InstanceSnapshot, wanted: Sequence[tuple[TaskRequest, Claim]]) -> Refit:
    """Which of a batch's claims on ``instance`` still fit after someone else wrote it (a 409).

    Omega's fine-grained mode, per claim: a conflict only matters for the claims that no longer
    fit. Each claim is checked with the request it was planned for (resources, memberOf,
    distinctInstance) on the instance holding the claims kept before it, and its host ports,
    dynamic ones included, must still be free (another scheduler may have taken the port the
    plan assigned). Claims of tasks already in the ledger are not the caller's to add: it skips
    them before asking.
    """
    kept: list[Claim] = []
    refused: dict[str, str] = {}
    for request, claim in wanted:
        verdict = check(ClusterSnapshot((instance,)), request, instance.name)
        if not verdict.feasible:
            refused[claim.task_uid] = str(verdict.rejection.reason) if verdict.rejection else "ATTRIBUTE"
        elif set(claim.ports) & instance.used_ports or set(claim.ports_udp) & instance.used_ports_udp:
            refused[claim.task_uid] = "RESOURCE:PORTS"
        else:
            kept.append(claim)
            instance = instance.with_claim(claim)
    return Refit(tuple(kept), refused)
