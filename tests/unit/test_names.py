"""One home for the wire vocabulary: `ecs_operator.names` (group, version, label and annotation
keys, time formats) and `ecs_operator.enums` (the ECS enums the models and the engines share).

The source is read with `ast`, so docstrings and comments may still mention a key; only string
literals in code count.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

import pytest

from ecs_operator import api, enums, names, placement
from ecs_operator.lifecycle import states
from ecs_operator.placement import request, snapshot

PACKAGE = Path(__file__).resolve().parents[2] / "operator" / "ecs_operator"
SHARED = ("TaskStatus", "DesiredStatus", "StopCode", "HealthStatus", "LaunchType", "NetworkMode")
# Where each enum was defined before it moved to ecs_operator.enums; each still re-exports it.
RE_EXPORTS = {
    "TaskStatus": (api, states),
    "DesiredStatus": (api, states),
    "StopCode": (api, states),
    "HealthStatus": (api, states),
    "LaunchType": (api, snapshot, placement),
    "NetworkMode": (api, request),
}
WIRE = re.compile(r"ecs-operator\.dev|%Y-%m-%dT")


def literals(tree: ast.AST) -> Iterator[ast.Constant]:
    """String constants in code, docstrings left out."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node


def spelled_outside_names() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative == "names.py":
            continue
        for node in literals(ast.parse(path.read_text(), str(path))):
            if WIRE.search(node.value):
                found.append(f"{relative}:{node.lineno}: {node.value!r}")
    return found


def test_wire_names_and_time_formats_are_spelled_only_in_names() -> None:
    assert spelled_outside_names() == []


def test_the_scan_finds_a_spelled_key() -> None:
    tree = ast.parse(
        '"""Docstring: ecs-operator.dev/x is fine here."""\nLABEL = f"ecs-operator.dev/cluster={1}"\n'
    )
    assert [n.value for n in literals(tree) if WIRE.search(n.value)] == ["ecs-operator.dev/cluster="]


@pytest.mark.parametrize("name", SHARED)
def test_each_shared_enum_is_defined_once_and_re_exported(name: str) -> None:
    home = getattr(enums, name)
    assert issubclass(home, StrEnum)
    assert [getattr(module, name) for module in RE_EXPORTS[name]] == [home] * len(RE_EXPORTS[name])
    definitions = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef) and node.name == name
    ]
    assert definitions == ["enums.py"]


@pytest.mark.parametrize(
    ("enum", "values"),
    [
        (
            enums.TaskStatus,
            [
                "PROVISIONING",
                "PENDING",
                "ACTIVATING",
                "RUNNING",
                "DEACTIVATING",
                "STOPPING",
                "DEPROVISIONING",
                "STOPPED",
            ],
        ),
        (enums.DesiredStatus, ["RUNNING", "STOPPED"]),
        (
            enums.StopCode,
            [
                "TaskFailedToStart",
                "EssentialContainerExited",
                "UserInitiated",
                "ServiceSchedulerInitiated",
                "SpotInterruption",
                "TerminationNotice",
                "InfrastructureHealth",
            ],
        ),
        (enums.HealthStatus, ["HEALTHY", "UNHEALTHY", "UNKNOWN"]),
        (enums.LaunchType, ["EC2", "FARGATE"]),
        (enums.NetworkMode, ["bridge", "host", "awsvpc", "none"]),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else "",
)
def test_members_are_ecs_values_in_order(enum: type[StrEnum], values: list[str]) -> None:
    assert [m.value for m in enum] == values


def test_the_lifecycle_order_is_the_enum_order() -> None:
    assert tuple(enums.TaskStatus) == states.ORDER
    assert states.rank(enums.TaskStatus.PROVISIONING) == 0
    assert states.rank(api.TaskStatus.STOPPED) == 7


def test_names_are_prefixed_and_distinct_per_map() -> None:
    assert names.API_VERSION == "ecs-operator.dev/v1alpha1"
    assert api.API_VERSION is names.API_VERSION
    for suffix in ("_LABEL", "_ANNOTATION"):  # a label and an annotation may share a key (group)
        keys = [value for key, value in vars(names).items() if key.endswith(suffix)]
        assert keys and all(k.startswith(f"{names.PREFIX}/") for k in keys)
        assert len(keys) == len(set(keys)), suffix
