"""Commit and release resource claims on container instances: the Omega protocol.

A scheduler placed a task on a snapshot it read; `commit` writes the claim into the chosen
instance's ledger with the resourceVersion it read. On 409 it re-reads that one instance and
re-checks the fit against the fresh state (a conflict only matters if the task no longer fits:
Omega's fine-grained mode); after a bounded number of attempts, or when the task no longer fits,
it raises so that the caller plans again elsewhere. A claim is keyed by the task's uid, so a
retried commit can never count a task twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ecs_operator import metrics
from ecs_operator.kube import objects
from ecs_operator.kube.errors import Conflict
from ecs_operator.kube.objects import INSTANCES, Obj
from ecs_operator.reconcile.instances import remaining_resources


class NoLongerFits(Exception):
    """The instance changed and the task does not fit there any more; `reason` says why."""

    def __init__(self, instance: str, reason: str) -> None:
        super().__init__(f"{instance}: {reason}")
        self.instance = instance
        self.reason = reason


def _with_claims(obj: Obj, claims: list[dict[str, Any]]) -> Obj:
    status = obj.get("status") or {}
    return {
        "claims": claims,
        "remainingResources": remaining_resources(status.get("registeredResources") or {}, claims),
        "runningTasksCount": len(claims),
    }


def commit(
    instance: str,
    claim: dict[str, Any],
    recheck: Callable[[Obj], str | None],
    current: Obj | None = None,
    attempts: int = 5,
    on_conflict: Callable[[], None] | None = None,
) -> Obj:
    """Add `claim` to `instance`'s ledger unless it is there already (idempotent by taskUid).

    `recheck(instance_object)` returns None when the task still fits on the object as read, or
    the reason it does not (then `NoLongerFits`). `Conflict` escapes after `attempts` losses.
    """

    def compute(obj: Obj) -> Obj | None:
        claims = list((obj.get("status") or {}).get("claims") or [])
        if any(c.get("taskUid") == claim["taskUid"] for c in claims):
            return None
        reason = recheck(obj)
        if reason is not None:
            track.replan("no_longer_fits")
            raise NoLongerFits(instance, reason)
        return _with_claims(obj, [*claims, claim])

    track = metrics.ClaimWrite("commit", on_conflict)
    try:
        result = objects.update_status(
            INSTANCES,
            instance,
            track.compute(compute),
            current=current,
            attempts=attempts,
            on_conflict=track.on_conflict,
        )
    except Conflict:
        track.replan("conflicts")
        raise
    track.committed()
    assert result is not None
    return result


@dataclass(frozen=True)
class Committed:
    """What `commit_many` left on one instance.

    ``instance``: the object as written (or as last read, when nothing was written);
    ``claims``: task uid → the claim the ledger now holds for it (written now, or there already:
    a retry, or a peer committed the same task); ``refused``: task uid → why its claim no longer
    fits on the fresh copy (the caller plans those again elsewhere).
    """

    instance: Obj
    claims: dict[str, dict[str, Any]]
    refused: dict[str, str]


Refit = Callable[[Obj, list[dict[str, Any]]], tuple[list[dict[str, Any]], dict[str, str]]]
"""(instance as read, claims not in its ledger yet) → (claims that still fit, uid → reason)."""


def commit_many(
    instance: str,
    new: Sequence[dict[str, Any]],
    refit: Refit,
    current: Obj | None = None,
    attempts: int = 5,
    on_conflict: Callable[[], None] | None = None,
) -> Committed:
    """Add several claims to `instance`'s ledger in ONE compare-and-swap write (a batch's claims).

    As `commit`, with the resourceVersion read (`current`, possibly a stale cache copy); on 409
    the instance is re-read and `refit` decides again which of the claims still fit on the fresh
    copy: those are written together, the others are returned as refused rather than failing the
    whole write. Claims already in the ledger (by taskUid) are not written twice. `Conflict`
    escapes after `attempts` losses; `NotFound` when the instance is gone.
    """
    refused: dict[str, str] = {}
    written: list[dict[str, Any]] = []  # the claims of the last write computed

    def compute(obj: Obj) -> Obj | None:
        claims = list((obj.get("status") or {}).get("claims") or [])
        held = {c.get("taskUid") for c in claims}
        pending = [c for c in new if c["taskUid"] not in held]
        refused.clear()
        written.clear()
        if not pending:
            return None
        fits, why = refit(obj, pending)
        refused.update(why)
        written.extend(fits)
        if not fits:
            return None
        return _with_claims(obj, [*claims, *fits])

    track = metrics.ClaimWrite("commit", on_conflict)
    try:
        result = objects.update_status(
            INSTANCES,
            instance,
            track.compute(compute),
            current=current,
            attempts=attempts,
            on_conflict=track.on_conflict,
        )
    except Conflict:
        track.replan("conflicts")
        raise
    assert result is not None
    wanted = {c["taskUid"] for c in new}
    ledger = {
        str(c["taskUid"]): dict(c)
        for c in (result.get("status") or {}).get("claims") or []
        if c.get("taskUid") in wanted
    }
    if track.wrote:
        for _ in written:
            track.committed()  # one placement counted per claim of the write
    for _ in refused:
        track.replan("no_longer_fits")
    return Committed(result, ledger, {uid: r for uid, r in refused.items() if uid not in ledger})


def release(
    instance: str, task_uid: str, on_conflict: Callable[[], None] | None = None, current: Obj | None = None
) -> Obj | None:
    """Remove the claim of `task_uid` from `instance` (no-op when it holds none).

    `current`: a cached copy to write against (a stale one costs a 409 and a re-read), used only
    when it shows the claim: a copy without it may be behind the claim's commit, so then the
    instance is read before concluding there is nothing to release.
    """

    def compute(obj: Obj) -> Obj | None:
        claims = list((obj.get("status") or {}).get("claims") or [])
        kept = [c for c in claims if c.get("taskUid") != task_uid]
        return None if len(kept) == len(claims) else _with_claims(obj, kept)

    if current is not None and compute(current) is None:
        current = None
    track = metrics.ClaimWrite("release", on_conflict)
    return objects.update_status(
        INSTANCES,
        instance,
        track.compute(compute),
        attempts=10,
        on_conflict=track.on_conflict,
        current=current,
    )
