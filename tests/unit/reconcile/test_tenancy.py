"""Tenancy (pure): which namespaces a cluster's namespaceSelector lets run tasks, in ECS's words."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_operator.reconcile.tenancy import (
    ACCESS_DENIED,
    CREATE_SERVICE,
    RUN_TASK,
    START_TASK,
    denied,
    service_event,
    task_action,
    task_failure,
)

TEAM_A = {"matchLabels": {"team": "a"}}
NOT_SANDBOX = {"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["sandbox"]}]}
BY_NAME = {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["prod"]}]}


@pytest.mark.parametrize(
    ("spec", "namespace", "labels", "allowed"),
    [
        pytest.param({}, "any", {}, True, id="no-selector-every-namespace"),
        pytest.param(None, "any", {}, True, id="no-cluster-left-to-the-launch-path"),
        pytest.param({"namespaceSelector": {}}, "any", {}, True, id="empty-selector-matches-all"),
        pytest.param({"namespaceSelector": TEAM_A}, "a1", {"team": "a"}, True, id="labelled-allowed"),
        pytest.param({"namespaceSelector": TEAM_A}, "b1", {"team": "b"}, False, id="other-label-refused"),
        pytest.param({"namespaceSelector": TEAM_A}, "c1", {}, False, id="unlabelled-refused"),
        pytest.param({"namespaceSelector": TEAM_A}, "c1", None, False, id="labels-unknown-refused"),
        pytest.param({"namespaceSelector": NOT_SANDBOX}, "x", {"env": "sandbox"}, False, id="notin-refused"),
        pytest.param({"namespaceSelector": NOT_SANDBOX}, "x", {}, True, id="notin-absent-allowed"),
        pytest.param({"namespaceSelector": BY_NAME}, "prod", None, True, id="name-label-always-there"),
        pytest.param({"namespaceSelector": BY_NAME}, "dev", {}, False, id="other-name-refused"),
    ],
)
def test_denied(
    spec: dict[str, Any] | None, namespace: str, labels: dict[str, str] | None, allowed: bool
) -> None:
    message = denied(action=RUN_TASK, cluster="prod", cluster_spec=spec, namespace=namespace, labels=labels)
    assert (message is None) is allowed


def test_the_message_is_ecs_access_denied_wording() -> None:
    message = denied(
        action=CREATE_SERVICE,
        cluster="prod",
        cluster_spec={"namespaceSelector": TEAM_A},
        namespace="b1",
        labels={},
    )
    assert message == (
        "Namespace b1 is not authorized to perform: ecs:CreateService on resource: cluster/prod "
        "because the cluster's namespaceSelector does not select it"
    )


@pytest.mark.parametrize(
    ("spec", "action"),
    [
        pytest.param({"cluster": "prod"}, RUN_TASK, id="run-task"),
        pytest.param({"cluster": "prod", "containerInstance": "prod.worker-a1"}, START_TASK, id="start-task"),
    ],
)
def test_task_action(spec: dict[str, Any], action: str) -> None:
    assert task_action(spec) == action


def test_a_refused_task_is_stopped_before_it_started() -> None:
    assert task_failure("no") == {
        "lastStatus": "STOPPED",
        "desiredStatus": "STOPPED",
        "stopCode": "TaskFailedToStart",
        "stoppedReason": f"{ACCESS_DENIED}: no",
        "failures": [{"reason": ACCESS_DENIED, "detail": "no"}],
    }


def test_service_event_wording() -> None:
    assert service_event("web", "no") == "(service web) was unable to start tasks: AccessDeniedException: no."
