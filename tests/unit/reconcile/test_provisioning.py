"""Managed scaling (`reconcile.provisioning`, and its rows in `reconcile.task`): which unplaced task
waits in PROVISIONING, the placeholder pod, the deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ecs_operator.lifecycle import DesiredStatus, StopCode, TaskStatus
from ecs_operator.reconcile.instances import foreign_usage
from ecs_operator.reconcile.provisioning import (
    DEFAULT_TIMEOUT,
    EMPTY_CAPACITY_REASON,
    PLACEHOLDER_LABEL,
    TIMED_OUT,
    expired,
    managed_scaling,
    placeholder_name,
    placeholder_pod,
    scales_out,
    waits,
)
from ecs_operator.reconcile.task import Place, Provision, StopUnplaced, TaskView, decide, unplaced

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
ENABLED: dict[str, Any] = {
    "nodeSelector": {"matchLabels": {"pool": "a"}},
    "managedScaling": {"status": "ENABLED"},
}
DISABLED: dict[str, Any] = {
    "nodeSelector": {"matchLabels": {"pool": "a"}},
    "managedScaling": {"status": "DISABLED"},
}
NO_SCALING: dict[str, Any] = {"nodeSelector": {"matchLabels": {"pool": "a"}}}


@pytest.mark.parametrize(
    ("provider", "spec", "placement_failed", "expected"),
    [
        pytest.param("cp", ENABLED, True, True, id="managed-scaling-waits"),
        pytest.param("cp", DISABLED, True, False, id="scaling-disabled-stops"),
        pytest.param("cp", NO_SCALING, True, False, id="no-managed-scaling-stops"),
        pytest.param("cp", None, True, False, id="provider-missing-stops"),
        pytest.param(None, ENABLED, True, False, id="launch-type-stops"),
        pytest.param("cp", ENABLED, False, False, id="bad-spec-stops-even-with-scaling"),
    ],
)
def test_which_unplaced_task_waits(
    provider: str | None, spec: dict[str, Any] | None, placement_failed: bool, expected: bool
) -> None:
    assert waits(provider, spec, placement_failed) is expected


def test_unplaced_writes_provisioning_once() -> None:
    first = unplaced({}, "cp", ENABLED, placement_failed=True, now=NOW)
    assert first == Provision(
        "cp",
        {"lastStatus": "PROVISIONING", "createdAt": "2026-12-03T12:00:00Z", "capacityProviderName": "cp"},
    )
    assert first.fields is not None
    again = unplaced(first.fields, "cp", ENABLED, placement_failed=True, now=NOW + timedelta(seconds=30))
    assert again == Provision("cp", None)  # nothing changed: no write
    assert unplaced({}, "cp", DISABLED, placement_failed=True, now=NOW) is None


def test_created_at_kept() -> None:
    step = unplaced({"createdAt": "2026-12-03T11:00:00Z"}, "cp", ENABLED, placement_failed=True, now=NOW)
    assert step is not None and step.fields is not None
    assert step.fields == {"lastStatus": "PROVISIONING", "capacityProviderName": "cp"}  # createdAt stays


def waiting(created: datetime, desired: DesiredStatus = DesiredStatus.RUNNING) -> TaskView:
    return TaskView(
        uid="u1",
        name="t",
        namespace="team",
        cluster="prod",
        desired=desired,
        last_status=TaskStatus.PROVISIONING,
        created_at=created,
    )


@pytest.mark.parametrize(
    ("created", "timeout", "step"),
    [
        pytest.param(NOW - timedelta(minutes=29), DEFAULT_TIMEOUT, Place(), id="within-timeout-place-again"),
        pytest.param(
            NOW - timedelta(minutes=30),
            DEFAULT_TIMEOUT,
            StopUnplaced(TIMED_OUT),
            id="at-timeout-stops",
        ),
        pytest.param(
            NOW - timedelta(seconds=3), timedelta(seconds=2), StopUnplaced(TIMED_OUT), id="short-timeout"
        ),
    ],
)
def test_deadline(created: datetime, timeout: timedelta, step: Place | StopUnplaced) -> None:
    assert decide(waiting(created), None, None, NOW, provisioning_timeout=timeout) == step


def test_timed_out_reason() -> None:
    assert TIMED_OUT.code is StopCode.TASK_FAILED_TO_START
    assert TIMED_OUT.reason == EMPTY_CAPACITY_REASON == "TaskFailedToStart: EMPTY CAPACITY PROVIDER"


def test_stopping_a_waiting_task_is_user_initiated() -> None:
    result = decide(waiting(NOW - timedelta(hours=2), DesiredStatus.STOPPED), None, None, NOW)
    assert isinstance(result, StopUnplaced)
    assert result.decision.code is StopCode.USER_INITIATED


def test_not_provisioning_is_never_timed_out() -> None:
    task = TaskView(
        uid="u1",
        name="t",
        namespace="team",
        cluster="prod",
        desired=DesiredStatus.RUNNING,
        created_at=NOW - timedelta(hours=2),
    )
    assert decide(task, None, None, NOW) == Place()


def test_expired() -> None:
    assert not expired(None, NOW, DEFAULT_TIMEOUT)
    assert expired(NOW - DEFAULT_TIMEOUT, NOW, DEFAULT_TIMEOUT)
    assert not expired(NOW - DEFAULT_TIMEOUT + timedelta(seconds=1), NOW, DEFAULT_TIMEOUT)


def test_managed_scaling_and_scales_out() -> None:
    assert managed_scaling(ENABLED) and not managed_scaling(DISABLED) and not managed_scaling(None)
    assert scales_out(("a", "b"), {"a": ENABLED, "b": ENABLED})
    assert not scales_out(("a", "b"), {"a": ENABLED, "b": DISABLED})
    assert not scales_out(("a",), {})
    assert not scales_out((), {})


def test_placeholder_pod() -> None:
    selector = {
        "matchLabels": {"pool": "a"},
        "matchExpressions": [{"key": "zone", "operator": "In", "values": ["z1", "z2"]}],
    }
    pod = placeholder_pod(
        task_name="t",
        task_uid="u1",
        namespace="team",
        cluster="prod",
        provider="cp",
        node_selector=selector,
        cpu=256,
        memory=512,
    )
    assert pod["metadata"]["name"] == placeholder_name("u1") == "ecs-provisioning-u1"
    assert pod["metadata"]["labels"][PLACEHOLDER_LABEL] == "u1"
    owner = pod["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["uid"]) == ("EcsTask", "t", "u1")
    spec = pod["spec"]
    assert spec["nodeSelector"] == {"pool": "a"}
    terms = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ]
    assert terms == [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["z1", "z2"]}]}]
    assert spec["containers"][0]["resources"]["requests"] == {"cpu": "250m", "memory": "512Mi"}
    assert "nodeName" not in spec  # the scheduler (and the autoscaler) decide where it could go
    assert "priorityClassName" not in spec


def test_placeholder_cpu_rounds_up_and_zero_is_omitted() -> None:
    pod = placeholder_pod(
        task_name="t",
        task_uid="u1",
        namespace="team",
        cluster="prod",
        provider="cp",
        node_selector={},
        cpu=100,
        memory=0,
    )
    assert pod["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "98m"}
    assert pod["spec"]["nodeSelector"] == {}
    assert "affinity" not in pod["spec"]


def test_placeholder_is_not_foreign_usage() -> None:
    """Bound to a node by the scheduler, a placeholder must not take the room its task needs."""
    pod = placeholder_pod(
        task_name="t",
        task_uid="u1",
        namespace="team",
        cluster="prod",
        provider="cp",
        node_selector={},
        cpu=1024,
        memory=512,
    )
    other = {"metadata": {"labels": {}}, "spec": {"containers": [{"resources": {"requests": {"cpu": "1"}}}]}}
    usage = foreign_usage([pod, other], "prod")
    assert (usage.cpu, usage.memory) == (1024, 0)
