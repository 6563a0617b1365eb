"""Task scale-in protection (UpdateTaskProtection / GetTaskProtection, ecs-semantics §3.1), pure.

Why this module exists: ECS's protection is an API call whose effect depends on *when* it was
made (``expirationDate`` = time of the call + ``expiresInMinutes``) and wears off with time. Here
the call is a change of ``EcsTask.spec.protection``; the task handler asks :func:`apply` what
``status.protection`` becomes, and the service scheduler asks :func:`protection_of` whether a task
is protected at the ``now`` it plans for. Both take ``now``; neither reads a clock.

A request is the spec's ``protection`` (``enabled``, ``expiresInMinutes``, ``renew``); the status
keeps the request it answers (``applied``), so a new value, including a new ``renew`` token, is
a new call, and re-reading the same spec never extends anything:

| request (spec.protection)       | task          | status.protection becomes                          |
|---------------------------------|---------------|----------------------------------------------------|
| same as ``applied``             | any           | unchanged; ``enabled`` false once past its date    |
| new, ``enabled: true``          | service task  | enabled, expirationDate = now + expiresInMinutes   |
| new, ``enabled: false``         | service task  | not enabled, no expirationDate (ECS clears it)     |
| removed                         | service task  | not enabled, no expirationDate, nothing applied    |
| new (either)                    | standalone    | not enabled, failures: TASK_NOT_VALID              |

Until the handler has written the answer to a new request, the scheduler counts a task whose spec
asks for protection as protected (it will be, for at least ``expiresInMinutes`` from now) and a
task whose spec turns it off as unprotected: the spec is the user's latest word.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ecs_operator.api import AppliedProtection, Failure, ProtectionStatus, TaskProtection
from ecs_operator.names import GROUP

TASK_NOT_VALID = "TASK_NOT_VALID"
NOT_A_SERVICE_TASK = (
    "The specified task isn't part of an Amazon ECS service. Only Amazon ECS service-managed tasks can be "
    "protected."
)


def is_service_task(task: Mapping[str, Any]) -> bool:
    """Started by a service (an ownerReference to an EcsService, as the service scheduler sets
    it): only such a task can be protected."""
    return any(
        ref.get("kind") == "EcsService" and str(ref.get("apiVersion", "")).startswith(f"{GROUP}/")
        for ref in (task.get("metadata") or {}).get("ownerReferences") or []
    )


def requested(spec: TaskProtection | None) -> AppliedProtection | None:
    """The request a spec makes, in the shape the status keeps it."""
    if spec is None:
        return None
    return AppliedProtection(
        enabled=spec.enabled, expires_in_minutes=spec.expires_in_minutes, renew=spec.renew
    )


def answers(status: ProtectionStatus | None, spec: TaskProtection | None) -> bool:
    """The status is the answer to this spec's request (no newer call is waiting)."""
    if status is None:
        return spec is None
    return status.applied == requested(spec)


@dataclass(frozen=True)
class Applied:
    status: ProtectionStatus | None
    """``status.protection`` to write; None: nothing to write."""
    refused: Failure | None = None
    """TASK_NOT_VALID, newly: say it in a Warning Event."""


def apply(
    spec: TaskProtection | None,
    status: ProtectionStatus | None,
    *,
    service_task: bool,
    task: str,
    now: datetime,
) -> Applied:
    """What ``status.protection`` becomes at ``now`` (see the table above)."""
    if answers(status, spec):
        if status is not None and status.enabled and _expired(status, now):
            return Applied(status.model_copy(update={"enabled": False, "expiration_date": None}))
        return Applied(None)
    request = requested(spec)
    if not service_task:
        failure = Failure(arn=task, reason=TASK_NOT_VALID, detail=NOT_A_SERVICE_TASK)
        return Applied(ProtectionStatus(enabled=False, applied=request, failures=[failure]), failure)
    if spec is None or not spec.enabled:
        return Applied(ProtectionStatus(enabled=False, updated_at=now, applied=request))
    expires = now + timedelta(minutes=spec.expires_in_minutes)
    return Applied(ProtectionStatus(enabled=True, expiration_date=expires, updated_at=now, applied=request))


@dataclass(frozen=True)
class Protection:
    """A service task's protection as the scheduler sees it."""

    until: datetime | None = None
    """When it expires (None: not protected, or pending)."""
    pending: bool = False
    """The spec asks for protection and the handler has not answered yet: protected for now."""

    def active(self, now: datetime) -> bool:
        return self.pending or (self.until is not None and now < self.until)


UNPROTECTED = Protection()


def protection_of(spec: TaskProtection | None, status: ProtectionStatus | None) -> Protection:
    """Whether (and until when) a task is protected, from its spec and status (see the docstring)."""
    if answers(status, spec):
        if status is None or not status.enabled or status.expiration_date is None:
            return UNPROTECTED
        return Protection(until=status.expiration_date)
    if spec is not None and spec.enabled:
        return Protection(pending=True)
    return UNPROTECTED


def _expired(status: ProtectionStatus, now: datetime) -> bool:
    return status.expiration_date is None or now >= status.expiration_date
