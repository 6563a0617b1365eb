"""The models against the examples of api.md: they parse, round-trip in camelCase, refuse
unknown spec fields, and give Python code snake_case names."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from ecs_operator import api
from ecs_operator.api.meta import KindInfo

DATA = Path(__file__).resolve().parents[2] / "data"


def valid_documents() -> list[tuple[KindInfo, dict[str, Any]]]:
    out = []
    for info in api.ALL_KINDS:
        for doc in yaml.safe_load_all((DATA / "valid" / f"{info.kind.lower()}.yaml").read_text()):
            out.append((info, doc))
    return out


VALID = valid_documents()


def _id(case: tuple[KindInfo, dict[str, Any]]) -> str:
    return f"{case[0].kind}-{case[1]['metadata']['name']}"


def test_every_kind_has_valid_examples() -> None:
    assert {info.kind for info, _ in VALID} == {info.kind for info in api.ALL_KINDS}


@pytest.mark.parametrize("case", VALID, ids=[_id(c) for c in VALID])
def test_valid_example_parses_and_round_trips_in_camel_case(case: tuple[KindInfo, dict[str, Any]]) -> None:
    info, doc = case
    obj = info.resource.from_body(doc)
    assert isinstance(obj, info.resource)
    assert obj.metadata.name == doc["metadata"]["name"]
    assert api.to_wire(obj, exclude_unset=True) == doc


@pytest.mark.parametrize("info", api.ALL_KINDS, ids=lambda i: i.kind)
def test_unknown_spec_field_is_refused(info: KindInfo) -> None:
    doc = next(d for i, d in VALID if i is info)
    bad = {**doc, "spec": {**doc.get("spec", {}), "capacityProviderStrategy": []}}
    with pytest.raises(ValidationError, match="capacityProviderStrategy"):
        info.resource.from_body(bad)


def test_unknown_nested_spec_field_is_refused() -> None:
    doc = next(d for i, d in VALID if i is api.ECS_TASK_DEFINITION)
    containers = [{**doc["spec"]["containerDefinitions"][0], "privileged": True}]
    with pytest.raises(ValidationError, match="privileged"):
        api.parse_ecs_task_definition({**doc, "spec": {**doc["spec"], "containerDefinitions": containers}})


def test_unknown_status_fields_are_ignored() -> None:
    doc = next(d for i, d in VALID if i is api.ECS_SERVICE)
    svc = api.parse_ecs_service({**doc, "status": {"runningCount": 2, "writtenByANewerOperator": True}})
    assert svc.status.running_count == 2


def test_python_code_uses_snake_case() -> None:
    td = api.parse_ecs_task_definition(next(d for i, d in VALID if i is api.ECS_TASK_DEFINITION))
    web = td.spec.container_definitions[0]
    assert td.family == "web"
    assert (web.memory_reservation, web.port_mappings[0].host_port) == (256, 8080)  # type: ignore[index]
    assert web.depends_on[0].condition is api.DependsOnCondition.SUCCESS  # type: ignore[index]
    assert td.spec.network_mode is api.NetworkMode.BRIDGE


def test_models_built_in_python_serialize_in_camel_case() -> None:
    strategy = api.PlacementStrategy(
        type=api.PlacementStrategyType.SPREAD, field="attribute:ecs.availability-zone"
    )
    spec = api.EcsServiceSpec(
        cluster="prod", task_definition="web", desired_count=2, placement_strategy=[strategy]
    )
    assert api.to_wire(spec) == {
        "cluster": "prod",
        "taskDefinition": "web",
        "desiredCount": 2,
        "schedulingStrategy": "REPLICA",
        "placementStrategy": [{"type": "spread", "field": "attribute:ecs.availability-zone"}],
        "placementConstraints": [],
        "healthCheckGracePeriodSeconds": 0,
        "loadBalancers": [],
    }


@pytest.mark.parametrize(
    ("value", "stored"),
    [(512, "512"), ("512", "512"), ("1 vCPU", "1 vCPU"), ("0.25 vcpu", "0.25 vcpu"), (".5VCPU", ".5VCPU")],
)
def test_task_cpu_accepts_integers_and_ecs_strings(value: object, stored: str) -> None:
    spec = api.EcsTaskDefinitionSpec.model_validate(
        {"cpu": value, "containerDefinitions": [{"name": "web", "image": "nginx", "memory": 128}]}
    )
    assert spec.cpu == stored


@pytest.mark.parametrize("value", ["2 cores", "1024m", "1.5", True, -1, ""])
def test_task_cpu_refuses_other_forms(value: object) -> None:
    with pytest.raises(ValidationError):
        api.TaskOverride.model_validate({"cpu": value})


@pytest.mark.parametrize(("value", "stored"), [(2048, "2048"), ("2 GB", "2 GB"), ("0.5gb", "0.5gb")])
def test_task_memory_accepts_integers_and_ecs_strings(value: object, stored: str) -> None:
    assert api.TaskOverride.model_validate({"memory": value}).memory == stored


@pytest.mark.parametrize("value", ["1Gi", "2 GiB", "512 MiB", "lots"])
def test_task_memory_refuses_other_forms(value: str) -> None:
    with pytest.raises(ValidationError):
        api.TaskOverride.model_validate({"memory": value})


class KopfLikeBody(Mapping[str, Any]):
    """Kopf passes read-only Mapping views, not dicts, all the way down."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = {k: KopfLikeBody(v) if isinstance(v, Mapping) else v for k, v in data.items()}

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def test_parse_helpers_accept_kopf_bodies() -> None:
    doc = next(d for i, d in VALID if i is api.ECS_TASK)
    task = api.parse_ecs_task(KopfLikeBody(doc))
    assert task.spec.placement_constraints[1].type is api.PlacementConstraintType.MEMBER_OF
    assert task.status == api.EcsTaskStatus()


@pytest.mark.parametrize(
    ("parse", "info"),
    [
        (api.parse_ecs_cluster, api.ECS_CLUSTER),
        (api.parse_ecs_container_instance, api.ECS_CONTAINER_INSTANCE),
        (api.parse_ecs_task_definition, api.ECS_TASK_DEFINITION),
        (api.parse_ecs_task, api.ECS_TASK),
        (api.parse_ecs_service, api.ECS_SERVICE),
        (api.parse_scheduled_task, api.SCHEDULED_TASK),
    ],
    ids=lambda x: getattr(x, "kind", ""),
)
def test_each_kind_has_a_parse_helper(parse: Any, info: KindInfo) -> None:
    doc = next(d for i, d in VALID if i is info)
    assert type(parse(doc)) is info.resource


def test_status_round_trips_with_timestamps_and_conditions() -> None:
    body = {
        "apiVersion": api.API_VERSION,
        "kind": "EcsTask",
        "metadata": {"name": "t", "namespace": "default", "uid": "u", "resourceVersion": "7"},
        "spec": {"cluster": "prod", "taskDefinition": "web"},
        "status": {
            "lastStatus": "STOPPED",
            "stopCode": "TaskFailedToStart",
            "stoppedAt": "2026-11-27T10:00:00Z",
            "failures": [{"reason": "RESOURCE:MEMORY"}],
            "containers": [{"name": "web", "exitCode": 1}],
            "conditions": [
                {
                    "type": "Placed",
                    "status": "False",
                    "reason": "Unplaceable",
                    "message": "no instance",
                    "lastTransitionTime": "2026-11-27T10:00:00Z",
                }
            ],
        },
    }
    task = api.parse_ecs_task(body)
    assert task.status.stop_code is api.StopCode.TASK_FAILED_TO_START
    assert task.metadata.resource_version == "7"
    assert api.to_wire(task.status) == body["status"]


@pytest.mark.parametrize(
    ("info", "plural", "short", "scope"),
    [
        (api.ECS_CLUSTER, "ecsclusters", "ecscl", "Cluster"),
        (api.ECS_CONTAINER_INSTANCE, "ecscontainerinstances", "ecsci", "Cluster"),
        (api.ECS_TASK_DEFINITION, "ecstaskdefinitions", "ecstd", "Namespaced"),
        (api.ECS_TASK, "ecstasks", "ecstask", "Namespaced"),
        (api.ECS_SERVICE, "ecsservices", "ecssvc", "Namespaced"),
        (api.SCHEDULED_TASK, "scheduledtasks", "ecssched", "Namespaced"),
    ],
    ids=lambda x: getattr(x, "kind", str(x)),
)
def test_kind_constants(info: KindInfo, plural: str, short: str, scope: str) -> None:
    assert (info.plural, info.short_names, info.scope) == (plural, (short,), scope)
    assert info.crd_name == f"{plural}.ecs-operator.dev"
    assert api.BY_KIND[info.kind] is info
    assert (api.GROUP, api.VERSION, api.API_VERSION) == (
        "ecs-operator.dev",
        "v1alpha1",
        "ecs-operator.dev/v1alpha1",
    )
