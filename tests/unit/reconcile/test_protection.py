"""UpdateTaskProtection / GetTaskProtection as a pure function of spec, status and ``now``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ecs_operator.api import AppliedProtection, EcsTask, Failure, ProtectionStatus, TaskProtection
from ecs_operator.reconcile.protection import (
    NOT_A_SERVICE_TASK,
    UNPROTECTED,
    Protection,
    apply,
    protection_of,
)

T0 = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
TASK = "default/web-1"


def spec(enabled: bool, minutes: int = 120, renew: str | None = None) -> TaskProtection:
    return TaskProtection(enabled=enabled, expires_in_minutes=minutes, renew=renew)


def applied(enabled: bool, minutes: int = 120, renew: str | None = None) -> AppliedProtection:
    return AppliedProtection(enabled=enabled, expires_in_minutes=minutes, renew=renew)


ON_60 = ProtectionStatus(
    enabled=True, expiration_date=T0 + timedelta(minutes=60), updated_at=T0, applied=applied(True, 60)
)

APPLY = [
    # (spec, status, now) → status written (None: nothing to write)
    pytest.param(None, None, T0, None, id="never-asked"),
    pytest.param(
        spec(True, 60),
        None,
        T0,
        ON_60,
        id="enabled-expires-at-now-plus-minutes",
    ),
    pytest.param(
        spec(True),
        None,
        T0,
        ProtectionStatus(
            enabled=True, expiration_date=T0 + timedelta(hours=2), updated_at=T0, applied=applied(True)
        ),
        id="default-two-hours",
    ),
    pytest.param(spec(True, 60), ON_60, T0 + timedelta(minutes=30), None, id="same-request-changes-nothing"),
    pytest.param(
        spec(True, 60, renew="r1"),
        ON_60,
        T0 + timedelta(minutes=30),
        ProtectionStatus(
            enabled=True,
            expiration_date=T0 + timedelta(minutes=90),
            updated_at=T0 + timedelta(minutes=30),
            applied=applied(True, 60, "r1"),
        ),
        id="renewed-resets-the-expiry",
    ),
    pytest.param(
        spec(True, 10),
        ON_60,
        T0 + timedelta(minutes=5),
        ProtectionStatus(
            enabled=True,
            expiration_date=T0 + timedelta(minutes=15),
            updated_at=T0 + timedelta(minutes=5),
            applied=applied(True, 10),
        ),
        id="new-minutes-count-from-the-update",
    ),
    pytest.param(
        spec(False),
        ON_60,
        T0 + timedelta(minutes=5),
        ProtectionStatus(enabled=False, updated_at=T0 + timedelta(minutes=5), applied=applied(False)),
        id="disabled-clears-the-date",
    ),
    pytest.param(
        None,
        ON_60,
        T0 + timedelta(minutes=5),
        ProtectionStatus(enabled=False, updated_at=T0 + timedelta(minutes=5)),
        id="removed-clears-it",
    ),
    pytest.param(
        spec(True, 60),
        ON_60,
        T0 + timedelta(minutes=60),
        ON_60.model_copy(update={"enabled": False, "expiration_date": None}),
        id="expired-turns-enabled-off",
    ),
    pytest.param(spec(True, 60), ON_60, T0 + timedelta(minutes=59), None, id="not-yet-expired"),
]


@pytest.mark.parametrize(("given", "status", "now", "written"), APPLY)
def test_apply(
    given: TaskProtection | None,
    status: ProtectionStatus | None,
    now: datetime,
    written: ProtectionStatus | None,
) -> None:
    result = apply(given, status, service_task=True, task=TASK, now=now)
    assert result.status == written
    assert result.refused is None


@pytest.mark.parametrize("enabled", [True, False])
def test_a_standalone_task_is_refused_with_task_not_valid_once(enabled: bool) -> None:
    failure = Failure(arn=TASK, reason="TASK_NOT_VALID", detail=NOT_A_SERVICE_TASK)
    first = apply(spec(enabled), None, service_task=False, task=TASK, now=T0)
    assert first.status == ProtectionStatus(enabled=False, applied=applied(enabled), failures=[failure])
    assert first.refused == failure
    again = apply(spec(enabled), first.status, service_task=False, task=TASK, now=T0 + timedelta(minutes=1))
    assert again.status is None and again.refused is None


PROTECTED = [
    pytest.param(None, None, UNPROTECTED, id="never-asked"),
    pytest.param(spec(True, 60), ON_60, Protection(until=T0 + timedelta(minutes=60)), id="applied"),
    pytest.param(spec(True, 60, "r2"), ON_60, Protection(pending=True), id="renewal-not-yet-applied"),
    pytest.param(spec(True), None, Protection(pending=True), id="asked-not-yet-applied"),
    pytest.param(spec(False), ON_60, UNPROTECTED, id="turned-off-not-yet-applied"),
    pytest.param(
        spec(True, 60),
        ON_60.model_copy(update={"enabled": False, "expiration_date": None}),
        UNPROTECTED,
        id="expired",
    ),
]


@pytest.mark.parametrize(("given", "status", "expected"), PROTECTED)
def test_protection_of(
    given: TaskProtection | None, status: ProtectionStatus | None, expected: Protection
) -> None:
    assert protection_of(given, status) == expected


def test_active_is_decided_by_now() -> None:
    until = Protection(until=T0)
    assert until.active(T0 - timedelta(seconds=1))
    assert not until.active(T0)
    assert Protection(pending=True).active(T0 + timedelta(days=9))
    assert not UNPROTECTED.active(T0)


def test_the_wire_round_trip() -> None:
    """spec.protection and status.protection as the API server stores them."""
    task = EcsTask.from_body(
        {
            "kind": "EcsTask",
            "metadata": {"name": "web-1"},
            "spec": {"cluster": "prod", "taskDefinition": "web", "protection": {"enabled": True}},
            "status": {
                "protection": {
                    "enabled": True,
                    "expirationDate": "2026-12-03T09:00:00Z",
                    "applied": {"enabled": True, "expiresInMinutes": 120},
                }
            },
        }
    )
    assert task.spec.protection == spec(True, 120)
    assert protection_of(task.spec.protection, task.status.protection) == Protection(
        until=T0 + timedelta(hours=2)
    )
