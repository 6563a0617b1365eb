"""Accounting of placement: launches placed or failed, and the claim writes behind them.

Why this module exists: a placement is the operator's one contended write (a compare-and-swap on a
container instance's claim ledger, architecture.md §2); its conflicts, retries, re-plans and lost
races are what an operator of the operator watches (`deploy/alerts/`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ecs_operator.metrics.families import (
    CAPACITY_PROVIDER_PLACEMENTS,
    CLAIM_CONFLICTS,
    CLAIM_REPLANS,
    CLAIM_RETRIES,
    ORPHAN_CLAIMS,
    PLACEMENT_RACES_LOST,
    PLACEMENT_SECONDS,
    PLACEMENTS,
)
from ecs_operator.metrics.safety import count, safe, text
from ecs_operator.placement.reasons import FailureReason

Obj = Mapping[str, Any]
Compute = Callable[[dict[str, Any]], dict[str, Any] | None]

_KNOWN_REASONS = frozenset(r.value for r in FailureReason)
_MAX_LABEL = 64  # a reason from a failure list is free text in the worst case: keep it bounded


def failure_reason(stopped_reason: str, failures: Sequence[Mapping[str, Any]]) -> str:
    """The label of a failed launch: the headline ECS reason, else the first failure's reason."""
    head = stopped_reason.removeprefix("TaskFailedToStart:").strip()
    if head in _KNOWN_REASONS:
        return head
    for failure in failures:
        reason = text(failure.get("reason")).strip()
        if reason:
            return reason[:_MAX_LABEL]
    return "UNKNOWN"


@safe
def placement_succeeded(cluster: str, started: float) -> None:
    """The task handler's launch ended with the task placed (`started`: `time.monotonic()`)."""
    PLACEMENT_SECONDS.labels(cluster, "placed").observe(time.monotonic() - started)


@safe
def placement_failed(
    cluster: str, started: float, stopped_reason: str, failures: Sequence[Mapping[str, Any]]
) -> None:
    """The launch ended in TaskFailedToStart."""
    PLACEMENT_SECONDS.labels(cluster, "failed").observe(time.monotonic() - started)
    PLACEMENTS.labels(cluster, "failed", failure_reason(stopped_reason, failures)).inc()


class ClaimWrite:
    """The accounting of one commit or release of a claim (`kube.claims`).

    `compute` wraps the CAS loop's compute: it learns the cluster from the instance as read and
    counts a retry when, after a 409, it writes again; `on_conflict` counts the 409s.
    """

    def __init__(self, operation: str, chained: Callable[[], None] | None = None) -> None:
        self.operation, self.chained = operation, chained
        self.cluster, self.calls, self.wrote = "", 0, False

    def compute(self, fn: Compute) -> Compute:
        def wrapped(obj: dict[str, Any]) -> dict[str, Any] | None:
            self._read(obj)
            result = fn(obj)
            self.wrote = result is not None
            if self.wrote and self.calls > 1 and self.operation == "commit":
                count(CLAIM_RETRIES, self.cluster)
            return result

        return wrapped

    def _read(self, obj: Obj) -> None:
        self.calls += 1
        self.cluster = text((obj.get("spec") or {}).get("cluster"))

    def on_conflict(self) -> None:
        count(CLAIM_CONFLICTS, self.cluster, self.operation)
        if self.chained is not None:
            self.chained()

    def replan(self, reason: str) -> None:
        """The commit is given up (`no_longer_fits`, `conflicts`): the caller plans again."""
        count(CLAIM_REPLANS, self.cluster, reason)

    def committed(self) -> None:
        """The CAS loop returned; a placement when this commit added the claim (not found it)."""
        if self.operation == "commit" and self.wrote:
            count(PLACEMENTS, self.cluster, "placed", "")


@safe
def capacity_provider_placed(cluster: str, provider: str) -> None:
    """A task's placement on `provider` was recorded (once per task, by the process that wrote it)."""
    CAPACITY_PROVIDER_PLACEMENTS.labels(cluster, provider).inc()


@safe
def placement_race_lost(cluster: str) -> None:
    """This process committed a claim but lost the task's compare-and-swap; it rolled back."""
    count(PLACEMENT_RACES_LOST, cluster)


@safe
def orphan_claim_released(cluster: str, reason: str) -> None:
    """The sweep released a claim (`reason`: `reconcile.ledger.Verdict`)."""
    count(ORPHAN_CLAIMS, cluster, reason)
