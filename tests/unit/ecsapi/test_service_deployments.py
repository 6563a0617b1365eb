"""ListServiceDeployments, DescribeServiceDeployments and DescribeServiceRevisions views
(ecsapi.deployments) over a service's deployment history."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_operator.ecsapi import deployments
from ecs_operator.ecsapi.arns import Arns
from ecs_operator.ecsapi.errors import ApiError

ARNS = Arns("eu-west-1", "123456789012")
PREFIX = "arn:aws:ecs:eu-west-1:123456789012"
T7, T8, T9 = "2026-12-03T07:00:00Z", "2026-12-03T08:00:00Z", "2026-12-03T09:00:00Z"
E7, E8, E9 = 1796281200.0, 1796284800.0, 1796288400.0
BACK = "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1."


def service(*records: dict[str, Any], breaker: bool | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"cluster": "prod"}
    if breaker is not None:
        spec["deploymentConfiguration"] = {"deploymentCircuitBreaker": {"enable": breaker, "rollback": True}}
    return {
        "metadata": {"name": "web"},
        "spec": spec,
        "status": {
            "deployments": [
                {
                    "id": "ecs-svc/2",
                    "status": "PRIMARY",
                    "desiredCount": 3,
                    "runningCount": 2,
                    "pendingCount": 1,
                }
            ],
            "deploymentHistory": list(records),
        },
    }


SUCCEEDED = {
    "id": "ecs-svc/1",
    "status": "SUCCESSFUL",
    "taskDefinition": "web:1",
    "launchType": "EC2",
    "loadBalancers": [{"containerName": "app", "containerPort": 80, "deregistrationDelaySeconds": 5}],
    "createdAt": T7,
    "finishedAt": T8,
}
ROLLING = {
    "id": "ecs-svc/2",
    "status": "IN_PROGRESS",
    "taskDefinition": "web:2",
    "sources": ["ecs-svc/1"],
    "createdAt": T9,
}
ROLLED_BACK = {
    "id": "ecs-svc/3",
    "status": "ROLLBACK_SUCCESSFUL",
    "statusReason": BACK,
    "taskDefinition": "web:3",
    "createdAt": T8,
    "finishedAt": T9,
    "rollback": {"reason": BACK, "startedAt": T8, "target": "ecs-svc/1"},
}


def test_brief_names_the_target_revision() -> None:
    assert deployments.brief(service(SUCCEEDED), SUCCEEDED, ARNS) == {
        "serviceDeploymentArn": f"{PREFIX}:service-deployment/prod/web/1",
        "serviceArn": f"{PREFIX}:service/prod/web",
        "clusterArn": f"{PREFIX}:cluster/prod",
        "createdAt": E7,
        "startedAt": E7,
        "finishedAt": E8,
        "targetServiceRevisionArn": f"{PREFIX}:service-revision/prod/web/1",
        "status": "SUCCESSFUL",
    }


@pytest.mark.parametrize(
    ("record", "breaker", "expected"),
    [
        pytest.param(
            ROLLING,
            True,
            {
                "updatedAt": E9,
                "sourceServiceRevisions": [
                    {
                        "arn": f"{PREFIX}:service-revision/prod/web/1",
                        "requestedTaskCount": 0,
                        "runningTaskCount": 0,
                        "pendingTaskCount": 0,
                    }
                ],
                "targetServiceRevision": {
                    "arn": f"{PREFIX}:service-revision/prod/web/2",
                    "requestedTaskCount": 3,
                    "runningTaskCount": 2,
                    "pendingTaskCount": 1,
                },
                "deploymentCircuitBreaker": {"status": "MONITORING"},
            },
            id="rolling-counts-from-the-listed-deployment",
        ),
        pytest.param(
            ROLLED_BACK,
            True,
            {
                "updatedAt": E9,
                "sourceServiceRevisions": [],
                "targetServiceRevision": {
                    "arn": f"{PREFIX}:service-revision/prod/web/3",
                    "requestedTaskCount": 0,
                    "runningTaskCount": 0,
                    "pendingTaskCount": 0,
                },
                "rollback": {
                    "reason": BACK,
                    "startedAt": E8,
                    "serviceRevisionArn": f"{PREFIX}:service-revision/prod/web/1",
                },
                "deploymentCircuitBreaker": {"status": "TRIGGERED"},
            },
            id="rolled-back",
        ),
        pytest.param(
            {**SUCCEEDED, "status": "STOPPED", "statusReason": "replaced"},
            False,
            {
                "updatedAt": E8,
                "stoppedAt": E8,
                "sourceServiceRevisions": [],
                "targetServiceRevision": {
                    "arn": f"{PREFIX}:service-revision/prod/web/1",
                    "requestedTaskCount": 0,
                    "runningTaskCount": 0,
                    "pendingTaskCount": 0,
                },
                "deploymentCircuitBreaker": {"status": "DISABLED"},
            },
            id="stopped",
        ),
    ],
)
def test_detail(record: dict[str, Any], breaker: bool, expected: dict[str, Any]) -> None:
    svc = service(record, breaker=breaker)
    brief = deployments.brief(svc, record, ARNS)
    del brief["targetServiceRevisionArn"]
    config = {"deploymentConfiguration": svc["spec"]["deploymentConfiguration"]}
    assert deployments.detail(svc, record, ARNS) == brief | config | expected


def test_revision_is_the_configuration_the_deployment_rolled_out() -> None:
    assert deployments.revision(service(SUCCEEDED), SUCCEEDED, ARNS) == {
        "serviceRevisionArn": f"{PREFIX}:service-revision/prod/web/1",
        "serviceArn": f"{PREFIX}:service/prod/web",
        "clusterArn": f"{PREFIX}:cluster/prod",
        "taskDefinition": f"{PREFIX}:task-definition/web:1",
        "launchType": "EC2",
        "loadBalancers": [{"containerName": "app", "containerPort": 80}],
        "createdAt": E7,
    }


@pytest.mark.parametrize(
    ("arn", "kind", "parsed"),
    [
        pytest.param(
            "arn:aws:ecs:r:a:service-deployment/prod/web/42",
            "service-deployment",
            ("prod", "web", "42"),
            id="deployment",
        ),
        pytest.param(
            "arn:aws:ecs:r:a:service-revision/prod/web/42",
            "service-revision",
            ("prod", "web", "42"),
            id="revision",
        ),
    ],
)
def test_arns_parsed(arn: str, kind: str, parsed: tuple[str, str, str]) -> None:
    assert deployments.parse_arn(arn, kind) == parsed


@pytest.mark.parametrize(
    ("arn", "kind"),
    [
        pytest.param("arn:aws:ecs:r:a:service/prod/web", "service-deployment", id="service"),
        pytest.param("arn:aws:ecs:r:a:service-deployment/prod/web", "service-deployment", id="short"),
        pytest.param("arn:aws:ecs:r:a:service-deployment/prod//42", "service-deployment", id="empty"),
        pytest.param("ecs-svc/42", "service-deployment", id="id"),
        pytest.param("arn:aws:ecs:r:a:service-deployment/prod/web/42", "service-revision", id="other-kind"),
    ],
)
def test_bad_arns_are_refused(arn: str, kind: str) -> None:
    with pytest.raises(ApiError) as err:
        deployments.parse_arn(arn, kind)
    assert err.value.code == "InvalidParameterException"
