"""Bad input never wedges anything (issue 16, item 4): refused at admission by the webhook, or
reported in status and a Warning Event by the handlers, and deletion always completes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.cluster import Kube, opt_out_of_webhook, wait_for
from tests.support.ecs import manifest, register

BAD = "attribute:ecs.instance-type =! t2.small"
CARET = f"{BAD}\n" + " " * 28 + "^"


def member_of(expression: str) -> list[dict[str, str]]:
    return [{"type": "memberOf", "expression": expression}]


def status(kube: Kube, kind: str, namespace: str, name: str) -> dict[str, Any]:
    return kube.get_json(kind, name, "-n", namespace).get("status") or {}


def ready(kube: Kube, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
    return next(
        (c for c in status(kube, kind, namespace, name).get("conditions") or [] if c["type"] == "Ready"), None
    )


def warnings(kube: Kube, namespace: str, name: str, reason: str) -> list[dict[str, Any]]:
    items = kube.get_json("events", "-n", namespace, "--field-selector", f"involvedObject.name={name}")[
        "items"
    ]
    return [e for e in items if e.get("reason") == reason and e.get("type") == "Warning"]


def tasks_of(kube: Kube, namespace: str, service: str) -> list[dict[str, Any]]:
    return list(
        kube.get_json("ecstasks", "-n", namespace, "-l", f"ecs-operator.dev/service={service}")["items"]
    )


def gone(kube: Kube, kind: str, namespace: str, name: str) -> bool:
    return kube.kubectl("get", kind, name, "-n", namespace, check=False).returncode != 0


def test_a_service_whose_expression_does_not_parse_is_reported_and_deletes(
    kube: Kube, cluster: str, namespace: str
) -> None:
    opt_out_of_webhook(kube, namespace)
    register(kube, namespace)
    kube.apply(
        manifest(
            "EcsService",
            "web",
            {
                "cluster": cluster,
                "taskDefinition": "web",
                "desiredCount": 2,
                "placementConstraints": member_of(BAD),
            },
            namespace,
        )
    )
    condition = wait_for(
        lambda: (c := ready(kube, "ecsservice", namespace, "web")) and c["status"] == "False" and c,
        what="Ready=False",
    )
    assert condition["reason"] == "InvalidPlacement"
    assert condition["message"] == (
        "spec.placementConstraints[0].expression: unexpected '='; did you mean '==' or '=~'? at column 29\n"
        + CARET
    )
    (event,) = wait_for(lambda: warnings(kube, namespace, "web", "InvalidPlacement"), what="a Warning Event")
    assert event["message"] == condition["message"]
    said = [e["message"] for e in status(kube, "ecsservice", namespace, "web").get("events") or []]
    assert said and said[0].startswith("service web is unable to start tasks because its spec is invalid: ")
    assert tasks_of(kube, namespace, "web") == []
    kube.kubectl("delete", "ecsservice", "web", "-n", namespace, "--wait=false")
    wait_for(lambda: gone(kube, "ecsservice", namespace, "web"), what="the service deleted")


def test_a_running_service_edited_to_a_bad_expression_starts_nothing_and_drains_on_delete(
    kube: Kube, cluster: str, namespace: str
) -> None:
    opt_out_of_webhook(kube, namespace)
    register(kube, namespace)
    kube.apply(
        manifest(
            "EcsService", "web", {"cluster": cluster, "taskDefinition": "web", "desiredCount": 2}, namespace
        )
    )
    wait_for(
        lambda: (
            len(
                [
                    t
                    for t in tasks_of(kube, namespace, "web")
                    if t.get("status", {}).get("lastStatus") == "RUNNING"
                ]
            )
            == 2
        ),
        timeout=90,
        what="2 running",
    )
    patch = {"spec": {"desiredCount": 4, "placementConstraints": member_of(BAD)}}
    kube.kubectl("patch", "ecsservice", "web", "-n", namespace, "--type=merge", "-p", json.dumps(patch))
    wait_for(
        lambda: (c := ready(kube, "ecsservice", namespace, "web")) and c["reason"] == "InvalidPlacement",
        what="Ready=False InvalidPlacement",
    )
    assert len(tasks_of(kube, namespace, "web")) == 2  # nothing started for the new desiredCount
    kube.kubectl("delete", "ecsservice", "web", "-n", namespace, "--wait=false")
    wait_for(lambda: gone(kube, "ecsservice", namespace, "web"), timeout=90, what="the service deleted")
    # Its tasks were stopped by the drain (ServiceSchedulerInitiated), or collected with it.
    left = tasks_of(kube, namespace, "web")
    assert all(t["status"].get("stopCode") == "ServiceSchedulerInitiated" for t in left), left


@pytest.mark.parametrize(
    ("kind", "name", "spec", "expected"),
    [
        pytest.param(
            "EcsService",
            "svc",
            {
                "cluster": "prod",
                "taskDefinition": "web",
                "desiredCount": 1,
                "placementConstraints": member_of(BAD),
            },
            "spec.placementConstraints[0].expression: unexpected '='; did you mean '==' or '=~'? at column 29",
            id="service-memberOf",
        ),
        pytest.param(
            "EcsTask",
            "task",
            {
                "cluster": "prod",
                "taskDefinition": "web",
                "placementConstraints": member_of("attribute:stack =="),
            },
            "spec.placementConstraints[0].expression: ",
            id="task-memberOf",
        ),
        pytest.param(
            "ScheduledTask",
            "sched",
            {
                "cluster": "prod",
                "scheduleExpression": "cron(0 10 31 2 ? *)",
                "target": {"taskDefinition": "web"},
            },
            "spec.scheduleExpression: cron(0 10 31 2 ? *): no date matches",
            id="schedule-never-fires",
        ),
    ],
)
def test_the_webhook_refuses_with_the_field_path(
    kube: Kube, operator: Any, namespace: str, kind: str, name: str, spec: dict[str, Any], expected: str
) -> None:
    res = kube.apply(manifest(kind, name, spec, namespace), check=False)
    assert res.returncode != 0, f"{kind} was admitted"
    assert "denied the request" in res.stderr and expected in res.stderr, res.stderr


def test_the_webhook_never_blocks_the_api(kube: Kube, operator: Any) -> None:
    """failurePolicy Ignore and a short timeout: a stopped operator lets every request through."""
    config = kube.get_json("validatingwebhookconfiguration", "ecs-operator.dev")
    (webhook,) = config["webhooks"]
    assert webhook["failurePolicy"] == "Ignore"
    assert webhook["timeoutSeconds"] <= 5
    assert webhook["sideEffects"] == "None"
    assert sorted(webhook["rules"][0]["resources"]) == [
        "ecsservices",
        "ecstaskdefinitions",
        "ecstasks",
        "scheduledtasks",
    ]
    assert webhook["rules"][0]["operations"] == ["CREATE", "UPDATE"]


def test_an_object_admitted_while_the_webhook_was_off_can_still_be_updated_and_deleted(
    kube: Kube, cluster: str, namespace: str
) -> None:
    """Ratcheting: only problems an update introduces are refused."""
    opt_out_of_webhook(kube, namespace)
    register(kube, namespace)
    spec = {
        "cluster": cluster,
        "taskDefinition": "web",
        "desiredCount": 1,
        "placementConstraints": member_of(BAD),
    }
    kube.apply(manifest("EcsService", "web", spec, namespace))
    kube.kubectl(
        "label", "namespace", namespace, "ecs-operator.dev/admission-webhook-"
    )  # the webhook is on again
    kube.kubectl(
        "patch", "ecsservice", "web", "-n", namespace, "--type=merge", "-p", '{"spec":{"desiredCount":0}}'
    )
    worse = {"spec": {"placementConstraints": [*member_of(BAD), *member_of("attribute:x =")]}}
    res = kube.kubectl(
        "patch", "ecsservice", "web", "-n", namespace, "--type=merge", "-p", json.dumps(worse), check=False
    )
    assert res.returncode != 0 and "spec.placementConstraints[1].expression" in res.stderr, res.stderr
    kube.kubectl("delete", "ecsservice", "web", "-n", namespace, "--wait=false")
    wait_for(lambda: gone(kube, "ecsservice", namespace, "web"), what="the service deleted")
