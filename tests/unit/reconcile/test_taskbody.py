"""The one EcsTask builder (`reconcile.taskbody`): every caller's manifests are exactly what its
own builder wrote before (the reference builders below are those builders, copied from the
commit before the change), and the builder's own rules (empty fields absent, name xor
generateName)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ecs_operator.api.meta import API_VERSION, owner_reference
from ecs_operator.cli.tasks import RunTaskInput, task_bodies
from ecs_operator.lifecycle.deregistration import DELAY_ANNOTATION, delay_of
from ecs_operator.lifecycle.observation import format_time
from ecs_operator.reconcile import scheduled as rs
from ecs_operator.reconcile.service import TaskStart
from ecs_operator.reconcile.taskbody import (
    SERVICE_LABEL,
    TaskMeta,
    TaskParams,
    service_task_manifest,
    task_manifest,
)
from ecs_operator.schedules import occurrence_key

# ---- the reference builders, as they were (handlers/services._start, handlers/scheduled.task_body,
# ---- cli/tasks.task_bodies) -------------------------------------------------------------------


def old_service_body(service: dict[str, Any], start: TaskStart, provider: str | None) -> dict[str, Any]:
    meta, spec = service["metadata"], service["spec"]
    task_spec: dict[str, Any] = {
        "cluster": spec["cluster"],
        "taskDefinition": start.task_definition,
        "group": start.group,
        "startedBy": start.deployment_id,
    }
    if provider is not None:
        task_spec["capacityProviderStrategy"] = [{"capacityProvider": provider, "base": 0, "weight": 1}]
    else:
        task_spec["launchType"] = spec.get("launchType") or "EC2"
    if spec.get("placementStrategy") and not start.instance:
        task_spec["placementStrategy"] = spec["placementStrategy"]
    if spec.get("placementConstraints") and not start.instance:
        task_spec["placementConstraints"] = spec["placementConstraints"]
    if start.instance:
        task_spec["containerInstance"] = start.instance
    body: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "EcsTask",
        "metadata": {
            "name": start.name,
            "namespace": meta["namespace"],
            "labels": {SERVICE_LABEL: meta["name"]},
            "ownerReferences": [owner_reference("EcsService", meta["name"], meta["uid"])],
        },
        "spec": task_spec,
    }
    if spec.get("loadBalancers"):
        body["metadata"]["annotations"] = {DELAY_ANNOTATION: str(delay_of(spec["loadBalancers"]))}
    return body


def old_scheduled_body(
    obj: dict[str, Any], target: dict[str, Any], occurrence: datetime, index: int, attempt: int, uid: str
) -> dict[str, Any]:
    meta = obj["metadata"]
    key = occurrence_key(uid, occurrence)
    family = str(target["taskDefinition"]).split(":", 1)[0]
    spec: dict[str, Any] = {
        "cluster": obj["spec"]["cluster"],
        "taskDefinition": target["taskDefinition"],
        "group": target.get("group") or f"family:{family}",
        "startedBy": rs.started_by(meta["name"]),
    }
    for field in (
        "launchType",
        "capacityProviderStrategy",
        "placementStrategy",
        "placementConstraints",
        "overrides",
    ):
        if target.get(field):
            spec[field] = target[field]
    return {
        "apiVersion": API_VERSION,
        "kind": "EcsTask",
        "metadata": {
            "name": rs.task_name(meta["name"], key, index, attempt),
            "namespace": meta["namespace"],
            "labels": {
                rs.LABEL_SCHEDULE: rs.label_value(meta["name"]),
                rs.LABEL_SCHEDULE_UID: uid,
                rs.LABEL_OCCURRENCE: key,
            },
            "annotations": {
                rs.ANNOTATION_SCHEDULED_TIME: format_time(occurrence),
                rs.ANNOTATION_INDEX: str(index),
                rs.ANNOTATION_ATTEMPT: str(attempt),
            },
            "ownerReferences": [owner_reference("ScheduledTask", meta["name"], uid)],
        },
        "spec": spec,
    }


def old_run_task_bodies(request: RunTaskInput, namespace: str) -> list[dict[str, Any]]:
    targets: list[str | None] = list(request.container_instances) or [None] * request.count
    family = request.task_definition.split(":", 1)[0]
    bodies = []
    for target in targets:
        spec: dict[str, Any] = {
            "cluster": request.cluster,
            "taskDefinition": request.task_definition,
            "launchType": request.launch_type,
        }
        optional = {
            "group": request.group,
            "startedBy": request.started_by,
            "placementStrategy": list(request.placement_strategy) or None,
            "placementConstraints": list(request.placement_constraints) or None,
            "overrides": dict(request.overrides) if request.overrides else None,
            "containerInstance": target,
        }
        spec.update({k: v for k, v in optional.items() if v is not None})
        bodies.append(
            {
                "apiVersion": API_VERSION,
                "kind": "EcsTask",
                "metadata": {"generateName": f"{family}-", "namespace": namespace},
                "spec": spec,
            }
        )
    return bodies


# ---- tables ----------------------------------------------------------------------------------

SPREAD = [{"type": "spread", "field": "attribute:ecs.availability-zone"}]
MEMBER_OF = [{"type": "memberOf", "expression": "attribute:ecs.instance-type =~ m5.*"}]
LBS = [{"containerName": "web", "containerPort": 80, "deregistrationDelaySeconds": 12}]


def service(**spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "namespace": "team", "uid": "svc-uid"},
        "spec": {"cluster": "prod", "taskDefinition": "web", **spec},
    }


REPLICA = TaskStart("web-svc-1", "ecs-svc/1", "web:3", "service:web")
DAEMON = TaskStart("web-svc-2", "ecs-svc/1", "web:3", "service:web", instance="prod.n1")


@pytest.mark.parametrize(
    ("svc", "start", "provider"),
    [
        pytest.param(service(), REPLICA, None, id="replica-defaults"),
        pytest.param(service(launchType="FARGATE"), REPLICA, None, id="fargate"),
        pytest.param(service(), REPLICA, "spot", id="capacity-provider"),
        pytest.param(
            service(placementStrategy=SPREAD, placementConstraints=MEMBER_OF), REPLICA, None, id="placement"
        ),
        pytest.param(
            service(placementStrategy=SPREAD, placementConstraints=MEMBER_OF),
            DAEMON,
            None,
            id="daemon-on-instance",
        ),
        pytest.param(service(loadBalancers=LBS), REPLICA, None, id="load-balanced"),
        pytest.param(
            service(loadBalancers=[{"containerName": "web", "containerPort": 80}]),
            REPLICA,
            "spot",
            id="load-balanced-default-delay",
        ),
    ],
)
def test_service_task_is_as_before(svc: dict[str, Any], start: TaskStart, provider: str | None) -> None:
    assert service_task_manifest(svc, start, provider) == old_service_body(svc, start, provider)


SCHEDULE = {"metadata": {"name": "nightly", "namespace": "team"}, "spec": {"cluster": "prod"}}
AT = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "target",
    [
        pytest.param({"taskDefinition": "batch:2"}, id="defaults"),
        pytest.param(
            {"taskDefinition": "batch", "group": "nightly", "launchType": "EC2"}, id="group-launch-type"
        ),
        pytest.param(
            {
                "taskDefinition": "batch",
                "capacityProviderStrategy": [{"capacityProvider": "spot", "weight": 1}],
            },
            id="capacity-provider",
        ),
        pytest.param(
            {
                "taskDefinition": "batch",
                "placementStrategy": SPREAD,
                "placementConstraints": MEMBER_OF,
                "overrides": {"containerOverrides": [{"name": "job", "command": ["run"]}]},
            },
            id="placement-overrides",
        ),
        pytest.param(
            {"taskDefinition": "batch", "placementStrategy": [], "overrides": {}}, id="empty-fields-absent"
        ),
    ],
)
def test_scheduled_task_is_as_before(target: dict[str, Any]) -> None:
    from ecs_operator.handlers.scheduled import Parsed, task_body

    parsed = Parsed(spec=None, schedule=None, policy=None, target=target)  # type: ignore[arg-type]
    for index, attempt in ((1, 1), (3, 2)):
        new = task_body(SCHEDULE, parsed, AT, index, attempt, "sched-uid")
        assert new == old_scheduled_body(SCHEDULE, target, AT, index, attempt, "sched-uid")


@pytest.mark.parametrize(
    "request_",
    [
        pytest.param(RunTaskInput("prod", "web:1"), id="run-task"),
        pytest.param(RunTaskInput("prod", "web", count=3, group="g", started_by="me"), id="count-group"),
        pytest.param(
            RunTaskInput(
                "prod",
                "web",
                launch_type="FARGATE",
                placement_strategy=SPREAD,
                placement_constraints=MEMBER_OF,
                overrides={"cpu": "512"},
            ),
            id="placement-overrides",
        ),
        pytest.param(
            RunTaskInput("prod", "web", container_instances=("prod.n1", "prod.n2")), id="start-task"
        ),
    ],
)
def test_run_task_is_as_before(request_: RunTaskInput) -> None:
    assert task_bodies(request_, "team") == old_run_task_bodies(request_, "team")


def test_empty_parameters_are_absent() -> None:
    manifest = task_manifest(
        TaskParams("prod", "web", group="", placement_strategy=(), overrides={}),
        TaskMeta(namespace="team", name="t1"),
    )
    assert manifest == {
        "apiVersion": API_VERSION,
        "kind": "EcsTask",
        "metadata": {"name": "t1", "namespace": "team"},
        "spec": {"cluster": "prod", "taskDefinition": "web", "group": ""},
    }


@pytest.mark.parametrize(
    ("name", "generate_name"), [pytest.param(None, None, id="neither"), pytest.param("a", "b-", id="both")]
)
def test_a_task_has_a_name_or_a_generated_one(name: str | None, generate_name: str | None) -> None:
    with pytest.raises(ValueError, match="either a name or a generateName"):
        TaskMeta(namespace="team", name=name, generate_name=generate_name)
