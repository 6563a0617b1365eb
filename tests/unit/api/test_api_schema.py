"""The generated CRDs are structural, fully described, and carry the names, scopes, columns and
CEL rules of the contract (api.md)."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import Field

from ecs_operator.api.meta import SpecModel
from ecs_operator.api.structural import SchemaError, structural

CRDS = Path(__file__).resolve().parents[3] / "crds"
DOCS = {p.name.split(".")[0]: yaml.safe_load(p.read_text()) for p in sorted(CRDS.glob("*.yaml"))}
ALLOWED_KEYS = {
    "description", "type", "format", "enum", "default", "minimum", "maximum", "minLength", "maxLength",
    "pattern", "minItems", "maxItems", "items", "properties", "required", "additionalProperties",
    "x-kubernetes-int-or-string", "x-kubernetes-list-type", "x-kubernetes-list-map-keys",
    "x-kubernetes-validations",
}  # fmt: skip


def root_schema(plural: str) -> dict[str, Any]:
    schema: dict[str, Any] = DOCS[plural]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def nodes(schema: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    yield path, schema
    for name, sub in schema.get("properties", {}).items():
        yield from nodes(sub, f"{path}.{name}")
    if "items" in schema:
        yield from nodes(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from nodes(schema["additionalProperties"], f"{path}.*")


def properties(schema: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for p, node in nodes(schema, path):
        for name, sub in node.get("properties", {}).items():
            yield f"{p}.{name}", sub


PLURALS = sorted(DOCS)


def test_one_crd_per_kind() -> None:
    assert sorted(NAMES) == PLURALS


@pytest.mark.parametrize("plural", PLURALS)
def test_every_property_has_a_description(plural: str) -> None:
    missing = [
        p for p, sub in properties(root_schema(plural)) if p != ".metadata" and not sub.get("description")
    ]
    assert missing == []


@pytest.mark.parametrize("plural", PLURALS)
def test_schema_is_structural(plural: str) -> None:
    for path, node in nodes(root_schema(plural)):
        assert set(node) <= ALLOWED_KEYS, f"{path}: {set(node) - ALLOWED_KEYS}"
        assert "type" in node or node.get("x-kubernetes-int-or-string"), f"{path}: no type"
        assert not ("properties" in node and "additionalProperties" in node), path
        if node.get("x-kubernetes-int-or-string"):
            assert "type" not in node, path


@pytest.mark.parametrize("plural", PLURALS)
def test_metadata_is_left_to_kubernetes(plural: str) -> None:
    assert root_schema(plural)["properties"]["metadata"] == {"type": "object"}


@pytest.mark.parametrize("plural", PLURALS)
def test_every_rule_has_a_message(plural: str) -> None:
    for path, node in nodes(root_schema(plural)):
        for rule in node.get("x-kubernetes-validations", []):
            assert rule["rule"] and rule["message"], path
            assert set(rule) <= {"rule", "message", "messageExpression", "fieldPath", "reason"}, path


@pytest.mark.parametrize("plural", PLURALS)
def test_lists_under_rules_are_bounded(plural: str) -> None:
    """The API server's CEL cost estimator needs maxItems on every list a rule can iterate: here,
    every list of objects in spec."""
    spec = root_schema(plural)["properties"]["spec"]
    unbounded = [
        p for p, node in nodes(spec, ".spec")
        if node.get("type") == "array" and node["items"].get("type") == "object" and "maxItems" not in node
        and not p.endswith((".environment", ".secrets"))
    ]  # fmt: skip
    assert unbounded == []


NAMES = {
    "ecscapacityproviders": ("EcsCapacityProvider", "Cluster", ["ecscp"]),
    "ecsclusters": ("EcsCluster", "Cluster", ["ecscl"]),
    "ecscontainerinstances": ("EcsContainerInstance", "Cluster", ["ecsci"]),
    "ecstaskdefinitions": ("EcsTaskDefinition", "Namespaced", ["ecstd"]),
    "ecstasks": ("EcsTask", "Namespaced", ["ecstask"]),
    "ecsservices": ("EcsService", "Namespaced", ["ecssvc"]),
    "scheduledtasks": ("ScheduledTask", "Namespaced", ["ecssched"]),
}
COLUMNS = {
    "ecscapacityproviders": ["Scaling", "Protection", "Age"],
    "ecsclusters": ["Status", "Instances", "Running", "Pending", "Services", "Age"],
    "ecscontainerinstances": [
        "Cluster",
        "Node",
        "Status",
        "Launch Type",
        "AZ",
        "Type",
        "CPU",
        "Memory",
        "Running",
        "Age",
    ],
    "ecstaskdefinitions": ["Revision", "Age"],
    "ecstasks": ["Last Status", "Desired", "Instance", "AZ", "Task Definition", "Group", "Age"],
    "ecsservices": ["Desired", "Running", "Pending", "Status", "Task Definition", "Strategy", "Age"],
    "scheduledtasks": ["Schedule", "State", "Last", "Next", "Age"],
}


@pytest.mark.parametrize("plural", PLURALS)
def test_names_scope_and_subresources(plural: str) -> None:
    spec = DOCS[plural]["spec"]
    kind, scope, short = NAMES[plural]
    assert spec["group"] == "ecs-operator.dev"
    assert spec["names"] == {
        "kind": kind,
        "listKind": f"{kind}List",
        "plural": plural,
        "singular": plural[:-1],
        "shortNames": short,
        "categories": ["ecs"],
    }
    assert spec["scope"] == scope
    [version] = spec["versions"]
    assert (version["name"], version["served"], version["storage"]) == ("v1alpha1", True, True)
    assert version["subresources"] == {"status": {}}
    assert [c["name"] for c in version["additionalPrinterColumns"]] == COLUMNS[plural]


def rules(plural: str) -> list[str]:
    return [
        r["message"] for _, n in nodes(root_schema(plural)) for r in n.get("x-kubernetes-validations", [])
    ]


@pytest.mark.parametrize(
    ("plural", "message"),
    [
        ("ecstasks", "The distinctInstance placement constraint takes no expression."),
        ("ecstasks", "The memberOf placement constraint requires an expression."),
        ("ecstasks", "The binpack placement strategy takes field cpu or memory."),
        ("ecstasks", "The random placement strategy takes no field."),
        ("ecstasks", "Placement strategies are not supported with FARGATE launch type."),
        ("ecstasks", "StartTask (containerInstance) is not supported with FARGATE launch type."),
        ("ecsservices", "The daemon scheduling strategy is not supported with FARGATE launch type."),
        ("ecstaskdefinitions", "Fargate only supports network mode 'awsvpc'."),
        ("ecstaskdefinitions", "Task definition doesn't have any essential container."),
        (
            "scheduledtasks",
            "MaximumWindowInMinutes is required when the flexible time window mode is FLEXIBLE.",
        ),
    ],
)
def test_cross_field_rules_are_present(plural: str, message: str) -> None:
    assert message in rules(plural)


class _Color(StrEnum):
    RED = "red"


class _Undescribed(SpecModel):
    color: _Color = Field(description="described")
    size: int


class _Union(SpecModel):
    value: int | str = Field(description="a union")


class _Exclusive(SpecModel):
    value: int = Field(gt=0, description="exclusiveMinimum is not OpenAPI v3.0")


@pytest.mark.parametrize(
    ("model", "error"),
    [
        (_Undescribed, "spec.size: property has no description"),
        (_Union, "spec.value: a union of 2 types cannot be structural"),
        (_Exclusive, "spec.value: unsupported JSON Schema keyword 'exclusiveMinimum'"),
    ],
)
def test_generator_refuses_what_is_not_structural(model: type[SpecModel], error: str) -> None:
    with pytest.raises(SchemaError, match=error.replace("(", r"\(")):
        structural(model, "spec")


def test_a_definition_docstring_never_stands_in_for_a_field_description() -> None:
    class Holder(SpecModel):
        color: _Color = Field(description="The field's own words.")

    assert structural(Holder, "spec")["properties"]["color"]["description"] == "The field's own words."
