"""The pure parts of the second slice: capacity provider views and requests, cluster and account
settings, the idempotency rules of RunTask and CreateService, and the README's operation table."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from ecs_operator.ecsapi import capacity, settings, views
from ecs_operator.ecsapi.arns import Arns
from ecs_operator.ecsapi.errors import ApiError
from ecs_operator.ecsapi.operations import Call, request_digest
from ecs_operator.ecsapi.server import ALL_OPERATIONS
from ecs_operator.ecsapi.services import TOKEN_ANNOTATION, same_request

CALL = Call("team-a", Arns("eu-west-1", "123456789012"))
README = Path(__file__).resolve().parents[3] / "README.md"


@pytest.mark.parametrize(
    ("arn", "name"),
    [
        pytest.param(
            "arn:aws:autoscaling:eu-west-1:1:autoScalingGroup:9f2c:autoScalingGroupName/web-asg",
            "web-asg",
            id="arn",
        ),
        pytest.param("web-asg", "web-asg", id="bare-name"),
    ],
)
def test_an_auto_scaling_group_arn_names_its_group(arn: str, name: str) -> None:
    assert capacity.group_name(arn) == name


def test_a_provider_reads_back_as_ecs_describes_it() -> None:
    obj = {
        "metadata": {"name": "spot"},
        "spec": {
            "nodeSelector": {"matchLabels": {capacity.GROUP_LABEL: "spot-asg"}},
            "managedScaling": {"status": "ENABLED", "targetCapacity": 80},
            "managedTerminationProtection": "ENABLED",
        },
    }
    assert capacity.provider_view(obj, CALL) == {
        "capacityProviderArn": "arn:aws:ecs:eu-west-1:123456789012:capacity-provider/spot",
        "name": "spot",
        "status": "ACTIVE",
        "type": "EC2_AUTOSCALING",
        "autoScalingGroupProvider": {
            "autoScalingGroupArn": "arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:ecs-operator:"
            "autoScalingGroupName/spot-asg",
            "managedScaling": {"status": "ENABLED", "targetCapacity": 80},
            "managedTerminationProtection": "ENABLED",
        },
    }


@pytest.mark.parametrize(
    ("group", "full", "spec"),
    [
        pytest.param(
            {"autoScalingGroupArn": "arn:aws:autoscaling:r:a:autoScalingGroup:x:autoScalingGroupName/g"},
            True,
            {"nodeSelector": {"matchLabels": {capacity.GROUP_LABEL: "g"}}},
            id="create-minimal",
        ),
        pytest.param(
            {"autoScalingGroupArn": "g", "managedScaling": {"targetCapacity": 50}},
            True,
            {
                "nodeSelector": {"matchLabels": {capacity.GROUP_LABEL: "g"}},
                "managedScaling": {"status": "ENABLED", "targetCapacity": 50},
            },
            id="create-scaling-enabled-by-default",
        ),
        pytest.param(
            {"managedTerminationProtection": "DISABLED"},
            False,
            {"managedTerminationProtection": "DISABLED"},
            id="update-protection-only",
        ),
    ],
)
def test_auto_scaling_group_provider_to_spec(group: dict[str, Any], full: bool, spec: dict[str, Any]) -> None:
    assert capacity._spec_of(group, full) == spec


@pytest.mark.parametrize(
    "group",
    [
        pytest.param({}, id="no-group-arn"),
        pytest.param({"autoScalingGroupArn": "g", "managedScaling": {"targetCapacity": 0}}, id="target-0"),
        pytest.param(
            {"autoScalingGroupArn": "g", "managedScaling": {"targetCapacity": 101}}, id="target-101"
        ),
    ],
)
def test_bad_auto_scaling_group_providers_are_refused(group: dict[str, Any]) -> None:
    with pytest.raises(ApiError) as err:
        capacity._spec_of(group, full=True)
    assert err.value.code == "InvalidParameterException"


@pytest.mark.parametrize("name", ["FARGATE", "FARGATE_SPOT", "arn:aws:ecs:r:a:capacity-provider/FARGATE"])
def test_the_built_in_providers_cannot_be_changed(name: str) -> None:
    with pytest.raises(ApiError) as err:
        capacity._own_name({"name": name}, "name")
    assert err.value.message == capacity.BUILT_IN_CHANGE


def test_a_cluster_view_carries_its_providers_and_the_settings_asked_for() -> None:
    obj = {
        "metadata": {"name": "prod"},
        "spec": {
            "capacityProviders": ["spot", "FARGATE"],
            "defaultCapacityProviderStrategy": [{"capacityProvider": "spot", "weight": 2}],
        },
        "status": {"status": "ACTIVE", "registeredContainerInstancesCount": 3},
    }
    view = views.cluster_view(
        obj, CALL.arns, {"settings": [{"name": "containerInsights", "value": "enabled"}]}
    )
    assert view == {
        "clusterArn": "arn:aws:ecs:eu-west-1:123456789012:cluster/prod",
        "clusterName": "prod",
        "status": "ACTIVE",
        "registeredContainerInstancesCount": 3,
        "runningTasksCount": 0,
        "pendingTasksCount": 0,
        "activeServicesCount": 0,
        "capacityProviders": ["spot", "FARGATE"],
        "defaultCapacityProviderStrategy": [{"capacityProvider": "spot", "base": 0, "weight": 2}],
        "settings": [{"name": "containerInsights", "value": "enabled"}],
    }


@pytest.mark.parametrize(
    ("items", "message"),
    [
        pytest.param(
            [{"name": "containerInsights", "value": "on"}], "Invalid value for containerInsights", id="value"
        ),
        pytest.param([{"name": "logging", "value": "enabled"}], "Invalid cluster setting name", id="name"),
        pytest.param({"name": "containerInsights"}, "settings must be a list", id="not-a-list"),
    ],
)
def test_bad_cluster_settings_are_refused(items: Any, message: str) -> None:
    with pytest.raises(ApiError) as err:
        views.check_cluster_settings(items)
    assert err.value.code == "InvalidParameterException" and err.value.message.startswith(message)


def test_cluster_settings_read_from_the_annotation() -> None:
    obj = {"metadata": {"annotations": {views.CLUSTER_SETTINGS: '{"configuration": {"x": 1}}'}}}
    assert views.cluster_settings(obj) == {"configuration": {"x": 1}}
    assert views.cluster_settings({"metadata": {"annotations": {views.CLUSTER_SETTINGS: "{nope"}}}) == {}


@pytest.mark.parametrize(
    ("stored", "effective", "rows"),
    [
        pytest.param({}, False, [], id="nothing-put-nothing-listed"),
        pytest.param(
            {"containerInsights": "enhanced"}, False, [("containerInsights", "enhanced", "user")], id="put"
        ),
        pytest.param(
            {"containerInsights": "enhanced", "unknown": "x"},
            True,
            sorted(
                [("containerInsights", "enhanced", "user")]
                + [(n, v, "aws_managed") for n, v in settings.DEFAULTS.items() if n != "containerInsights"]
            ),
            id="effective-fills-ecs-defaults",
        ),
    ],
)
def test_account_settings(stored: dict[str, str], effective: bool, rows: list[tuple[str, str, str]]) -> None:
    assert settings.account_settings(stored, effective) == rows


@pytest.mark.parametrize(
    ("params", "message"),
    [
        pytest.param({"name": "nope", "value": "enabled"}, "Invalid setting name: nope.", id="name"),
        pytest.param(
            {"name": "fargateTaskRetirementWaitPeriod", "value": "3"},
            "Invalid value for fargateTaskRetirementWaitPeriod: 3. Valid values: 0, 7, 14.",
            id="period",
        ),
        pytest.param(
            {"name": "awsvpcTrunking", "value": "on"},
            "Invalid value for awsvpcTrunking: on. Valid values: enabled, disabled.",
            id="enabled-disabled",
        ),
        pytest.param(
            {"name": "guardDutyActivate", "value": "on"},
            "The guardDutyActivate setting is read-only.",
            id="ro",
        ),
    ],
)
def test_bad_account_settings_are_refused(params: dict[str, str], message: str) -> None:
    with pytest.raises(ApiError) as err:
        settings._check_account_setting(params)
    assert (err.value.code, err.value.message) == ("InvalidParameterException", message)


def test_a_run_task_request_is_the_same_whatever_its_token_and_key_order() -> None:
    first = {"cluster": "c", "taskDefinition": "web", "count": 2, "clientToken": "a"}
    again = {"clientToken": "b", "count": 2, "taskDefinition": "web", "cluster": "c"}
    assert request_digest(first) == request_digest(again)
    assert request_digest(first) != request_digest({**first, "count": 3})


SERVICE = {
    "metadata": {"name": "web", "annotations": {TOKEN_ANNOTATION: "tok"}},
    "spec": {"cluster": "c", "taskDefinition": "web:1", "desiredCount": 2, "schedulingStrategy": "REPLICA"},
}


@pytest.mark.parametrize(
    ("spec", "token", "same"),
    [
        pytest.param({"cluster": "c", "taskDefinition": "web:1", "desiredCount": 2}, "tok", True, id="same"),
        pytest.param(
            {"cluster": "c", "taskDefinition": "web:1", "desiredCount": 2}, None, True, id="no-token"
        ),
        pytest.param(
            {"cluster": "c", "taskDefinition": "web:1", "desiredCount": 3}, "tok", False, id="other-count"
        ),
        pytest.param(
            {"cluster": "c", "taskDefinition": "web:1", "desiredCount": 2}, "other", False, id="other-token"
        ),
    ],
)
def test_create_service_is_idempotent_for_the_same_request(
    spec: dict[str, Any], token: str | None, same: bool
) -> None:
    assert same_request(SERVICE, spec, token) is same


def _readme_table() -> dict[str, str]:
    """operation → state, from the README's table of every ECS operation."""
    section = README.read_text().split("Every ECS operation (botocore", 1)[1].split("\n## ", 1)[0]
    states: dict[str, str] = {}
    for row in re.findall(r"^\| (.+?) \| (yes|partial|no) \|", section, re.M):
        names = re.findall(r"[A-Z][A-Za-z]+", row[0])
        states.update({n: row[1] for n in names if n not in ("every", "other")})
    return states


def test_the_readme_table_lists_88_operations_and_says_which_are_answered() -> None:
    table = _readme_table()
    assert len(table) == 88
    answered = {n for n, state in table.items() if state != "no"}
    assert answered == set(ALL_OPERATIONS)
