"""A deleted service drains without planning: live tasks are stopped, STOPPED ones end it."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_operator.reconcile.service.drain import Drain, DrainStop, drain


def task(
    name: str, last: str | None = None, desired: str | None = None, spec_desired: str | None = None
) -> dict[str, Any]:
    status = {k: v for k, v in {"lastStatus": last, "desiredStatus": desired}.items() if v}
    spec = {"desiredStatus": spec_desired} if spec_desired else {}
    return {"metadata": {"name": name, "uid": f"uid-{name}"}, "spec": spec, "status": status}


PRIMARY = {"deployments": [{"id": "ecs-svc/1", "status": "PRIMARY"}, {"id": "ecs-svc/0", "status": "ACTIVE"}]}
REASON = "Scaling activity initiated by (deployment ecs-svc/1)"


@pytest.mark.parametrize(
    ("status", "tasks", "expected"),
    [
        ({}, [], Drain((), True)),
        (PRIMARY, [task("a", "STOPPED"), task("b", "STOPPED")], Drain((), True)),
        (
            PRIMARY,
            [task("a", "RUNNING"), task("b", "STOPPED")],
            Drain((DrainStop("a", "uid-a", REASON),), False),
        ),
        (PRIMARY, [task("a", "RUNNING", desired="STOPPED")], Drain((), False)),
        (PRIMARY, [task("a", None, spec_desired="STOPPED")], Drain((), False)),
        (
            {},
            [task("a")],
            Drain((DrainStop("a", "uid-a", "Scaling activity initiated by (deployment none)"),), False),
        ),
    ],
    ids=["no-tasks", "all-stopped", "one-running", "already-stopping", "stop-asked", "no-deployment"],
)
def test_drain(status: dict[str, Any], tasks: list[dict[str, Any]], expected: Drain) -> None:
    assert drain(status, tasks) == expected
