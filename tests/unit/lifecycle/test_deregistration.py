"""Load balancer deregistration delay (pure): who is held DEACTIVATING, from when, until when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ecs_operator.lifecycle.deregistration import delay_of, held_until

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(seconds=100)


@pytest.mark.parametrize(
    ("load_balancers", "delay"),
    [
        ([], 0),
        ([{"containerName": "web", "containerPort": 80}], 300),  # Elastic Load Balancing's default
        ([{"deregistrationDelaySeconds": 30}, {"deregistrationDelaySeconds": 120}], 120),  # the longest
        ([{"deregistrationDelaySeconds": 0}], 0),
    ],
)
def test_delay_of_a_service(load_balancers: list[dict[str, object]], delay: int) -> None:
    assert delay_of(load_balancers) == delay


@pytest.mark.parametrize(
    ("delay", "last_status", "deregistered_at", "expected"),
    [
        # a target being stopped: held from now for the delay
        (300, "RUNNING", None, (NOW, NOW + timedelta(seconds=300))),
        # a later pass: held from when it left, whatever the status says now
        (300, "DEACTIVATING", EARLIER, (EARLIER, EARLIER + timedelta(seconds=300))),
        (300, "PENDING", EARLIER, (EARLIER, EARLIER + timedelta(seconds=300))),
        # the delay has passed: the pod may stop
        (60, "DEACTIVATING", EARLIER, None),
        (100, "DEACTIVATING", EARLIER, None),
        # never a target (stopped before RUNNING), no delay, no load balancer
        (300, "PENDING", None, None),
        (300, None, None, None),
        (0, "RUNNING", None, None),
    ],
)
def test_held_until(
    delay: int,
    last_status: str | None,
    deregistered_at: datetime | None,
    expected: tuple[datetime, datetime] | None,
) -> None:
    got = held_until(delay=delay, last_status=last_status, deregistered_at=deregistered_at, now=NOW)
    assert got == expected
