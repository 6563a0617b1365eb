"""Why an instance was rejected, and the ECS wording that reports it.

Every stage answers "feasible?" with a typed :class:`Rejection` (never a bare boolean): the
reason is an ECS failure reason (ecs-semantics §4) or, for a constraint, ECS's constraint text,
and the detail says what exactly was missing. An unplaceable task becomes a
:class:`PlacementFailure`; it renders the service event (§3.6), the RunTask ``failures[]`` and the
``stoppedReason`` of a task that failed to start (decision 3).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class FailureReason(StrEnum):
    """ECS failure reasons, in pipeline order (the order :class:`PlacementFailure` reports them)."""

    # INACTIVE is ECS's reason for a deregistered instance; here it also covers DRAINING (an
    # instance that is not ACTIVE takes no new task), with the actual status in the detail.
    INACTIVE = "INACTIVE"
    AGENT = "AGENT"
    ATTRIBUTE = "ATTRIBUTE"
    RESOURCE_CPU = "RESOURCE:CPU"
    RESOURCE_MEMORY = "RESOURCE:MEMORY"
    RESOURCE_PORTS = "RESOURCE:PORTS"
    MEMBER_OF = "MemberOf placement constraint unsatisfied"
    DISTINCT_INSTANCE = "DistinctInstance placement constraint unsatisfied"
    MISSING = "MISSING"


_UNABLE = "was unable to place a task because no container instance met all of its requirements."
NO_INSTANCES = "No Container Instances were found in your cluster."
_TROUBLESHOOTING = "For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."
_ENDINGS = {
    FailureReason.RESOURCE_MEMORY: "has insufficient memory available",
    FailureReason.RESOURCE_CPU: "has insufficient CPU units available",
    FailureReason.RESOURCE_PORTS: "is already using a port required by your task",
    FailureReason.ATTRIBUTE: "is missing an attribute required by your task",
}
_NAMED_IN_DETAIL = 3


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: FailureReason
    detail: str

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """One instance judged for one task: how many checks it passed, and why it stopped if it did."""

    instance: str
    passed: int
    rejection: Rejection | None = None

    @property
    def feasible(self) -> bool:
        return self.rejection is None


@dataclass(frozen=True, slots=True)
class Failure:
    """One entry of ``failures[]``: a reason and the instances it rejected."""

    reason: str
    detail: str

    def to_object(self) -> dict[str, str]:
        return {"reason": self.reason, "detail": self.detail}


@dataclass(frozen=True)
class PlacementFailure:
    """No instance met all requirements of ``task``; ``verdicts`` holds every instance's reason."""

    task: str
    verdicts: tuple[Verdict, ...]

    @property
    def closest(self) -> Verdict | None:
        """The instance that passed the most checks; ties go to the first name (deterministic)."""
        return max(self.verdicts, key=lambda v: v.passed, default=None)

    @property
    def failures(self) -> tuple[Failure, ...]:
        """One failure per reason, in pipeline order, naming the instances it rejected."""
        if not self.verdicts:
            return (Failure(FailureReason.MISSING, NO_INSTANCES),)
        by_reason: dict[FailureReason, list[Verdict]] = {}
        for verdict in self.verdicts:
            if verdict.rejection is not None:
                by_reason.setdefault(verdict.rejection.reason, []).append(verdict)
        order = list(FailureReason)
        return tuple(
            Failure(reason, _detail(by_reason[reason])) for reason in sorted(by_reason, key=order.index)
        )

    def service_message(self, service: str) -> str:
        """The service event ECS emits for this failure (ecs-semantics §3.6)."""
        head = f"service {service} {_UNABLE}"
        closest = self.closest
        if closest is None or closest.rejection is None:
            return f"{head} Reason: {NO_INSTANCES} {_TROUBLESHOOTING}"
        reason = closest.rejection.reason
        ending = _ENDINGS.get(reason, f'encountered error "{reason}"')
        return (
            f"{head} The closest matching container-instance {closest.instance} {ending}. {_TROUBLESHOOTING}"
        )

    def stopped_reason(self) -> str:
        """``stoppedReason`` of a RunTask that could not be placed: the closest match's reason."""
        closest = self.closest
        if closest is None or closest.rejection is None:
            return f"TaskFailedToStart: {NO_INSTANCES}"
        return f"TaskFailedToStart: {closest.rejection.reason}"


def _detail(verdicts: Iterable[Verdict]) -> str:
    listed = list(verdicts)
    named = "; ".join(
        f"{v.instance} ({v.rejection.detail})" for v in listed[:_NAMED_IN_DETAIL] if v.rejection
    )
    more = len(listed) - _NAMED_IN_DETAIL
    suffix = f"; and {more} more" if more > 0 else ""
    noun = "container instance" if len(listed) == 1 else "container instances"
    return f"{len(listed)} {noun}: {named}{suffix}"
