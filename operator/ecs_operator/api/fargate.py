"""Fargate's task sizes and the task-definition parameters Fargate refuses (ecs-semantics §8.2, §8.3).

Why this module exists: a Fargate task must be one of a fixed set of CPU/memory pairs, and some
task-definition parameters make no sense on an isolated, `awsvpc`-only host. Both facts are data
that the models (admission), the RunTask path (task overrides) and `kubectl ecs` read, so they live
here once, with ECS's own error messages:

- ``No Fargate configuration exists for given values: 256 CPU, 4096 memory. See the Amazon ECS
  documentation for the valid values.`` (observed ClientException text, 2022–2025; AWS's docs quote
  only the first sentence);
- ``Fargate requires that 'cpu' be defined at the task level.`` (and the same for 'memory').

Windows tasks need at least 1 vCPU: the smaller rows do not exist for Windows, so ECS answers with
the same "No Fargate configuration" message, and so does this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final


@dataclass(frozen=True)
class FargateSize:
    """One row of the table: a CPU size and the memory sizes (MiB) it allows."""

    cpu: int
    """CPU units (1024 per vCPU)."""
    memory: tuple[int, ...]
    """Allowed task memory in MiB, ascending."""
    windows: bool
    """Whether Windows tasks may use this CPU size."""
    min_platform_version: str | None = None
    """The Fargate platform version that introduced the row (informational: not enforced here)."""


def _gb_steps(first_gb: int, last_gb: int, step_gb: int = 1) -> tuple[int, ...]:
    return tuple(gb * 1024 for gb in range(first_gb, last_gb + 1, step_gb))


FARGATE_SIZES: Final[tuple[FargateSize, ...]] = (
    FargateSize(cpu=256, memory=(512, 1024, 2048), windows=False),
    FargateSize(cpu=512, memory=_gb_steps(1, 4), windows=False),
    FargateSize(cpu=1024, memory=_gb_steps(2, 8), windows=True),
    FargateSize(cpu=2048, memory=_gb_steps(4, 16), windows=True),
    FargateSize(cpu=4096, memory=_gb_steps(8, 30), windows=True),
    FargateSize(cpu=8192, memory=_gb_steps(16, 60, 4), windows=False, min_platform_version="1.4.0"),
    FargateSize(cpu=16384, memory=_gb_steps(32, 120, 8), windows=False, min_platform_version="1.4.0"),
)
"""ecs-semantics §8.2, row by row."""

FARGATE_NETWORK_MODE: Final = "awsvpc"
"""The only network mode Fargate accepts (and it must be given explicitly)."""


def is_windows(os: str) -> bool:
    """Whether an OS name means Windows: "windows" (ecs.os-type) or "WINDOWS_SERVER_2022_CORE" (family)."""
    return os.lower().startswith("windows")


def validate_fargate_size(cpu_units: int | None, memory_mib: int | None, os: str = "linux") -> str | None:
    """None if (cpu, memory) is a Fargate size for ``os``, else ECS's error message."""
    if cpu_units is None:
        return "Fargate requires that 'cpu' be defined at the task level."
    if memory_mib is None:
        return "Fargate requires that 'memory' be defined at the task level."
    windows = is_windows(os)
    for size in FARGATE_SIZES:
        if size.cpu == cpu_units and memory_mib in size.memory and (size.windows or not windows):
            return None
    return (
        f"No Fargate configuration exists for given values: {cpu_units} CPU, {memory_mib} memory. "
        "See the Amazon ECS documentation for the valid values."
    )


@dataclass(frozen=True)
class Unsupported:
    """A task-definition parameter Fargate refuses, by its camelCase path in the task definition.

    ``containerDefinitions[]`` means "in any container". A parameter counts as used when it is
    present with a value other than null, false, "" or an empty list/object, and not in ``allowed``;
    with ``only_type``, only the list entries whose ``type`` is that value count.
    """

    path: str
    allowed: tuple[str, ...] = ()
    only_type: str | None = None


FARGATE_UNSUPPORTED_PARAMETERS: Final[tuple[Unsupported, ...]] = (
    Unsupported("networkMode", allowed=(FARGATE_NETWORK_MODE,)),
    Unsupported("ipcMode"),
    Unsupported("pidMode", allowed=("task",)),  # "task" needs platform version 1.4.0 or later
    Unsupported("volumes[].dockerVolumeConfiguration"),
    Unsupported("containerDefinitions[].privileged"),
    Unsupported("containerDefinitions[].links"),
    Unsupported("containerDefinitions[].disableNetworking"),
    Unsupported("containerDefinitions[].dnsServers"),
    Unsupported("containerDefinitions[].dnsSearchDomains"),
    Unsupported("containerDefinitions[].dockerSecurityOptions"),
    Unsupported("containerDefinitions[].extraHosts"),
    Unsupported("containerDefinitions[].systemControls"),
    Unsupported("containerDefinitions[].resourceRequirements[]", only_type="GPU"),
    Unsupported("containerDefinitions[].linuxParameters.maxSwap"),
    Unsupported("containerDefinitions[].linuxParameters.swappiness"),
    Unsupported("containerDefinitions[].linuxParameters.capabilities.add"),
    Unsupported("containerDefinitions[].linuxParameters.devices"),
    Unsupported("containerDefinitions[].linuxParameters.sharedMemorySize"),
    Unsupported("containerDefinitions[].linuxParameters.tmpfs"),
)
"""ecs-semantics §8.3 (a container asks for a GPU with a ``resourceRequirements`` entry of type GPU)."""


def _used(value: Any, rule: Unsupported) -> bool:
    if rule.only_type is not None:
        return isinstance(value, Mapping) and value.get("type") == rule.only_type
    if value is None or value is False or value == "" or value == [] or value == {}:
        return False
    return not (isinstance(value, str) and value in rule.allowed)


def _walk(node: Any, parts: Sequence[str], where: str) -> list[tuple[str, Any]]:
    """Every (concrete path, value) that ``parts`` reaches from ``node``; absent paths reach nothing."""
    if not parts:
        return [(where, node)]
    head, rest = parts[0], parts[1:]
    if head.endswith("[]"):
        items = node.get(head[:-2]) if isinstance(node, Mapping) else None
        if not isinstance(items, Sequence) or isinstance(items, str):
            return []
        found: list[tuple[str, Any]] = []
        for i, item in enumerate(items):
            found += _walk(item, rest, f"{where}{'.' if where else ''}{head[:-2]}[{i}]")
        return found
    if isinstance(node, Mapping) and head in node:
        return _walk(node[head], rest, f"{where}{'.' if where else ''}{head}")
    return []


def find_fargate_unsupported(task_definition: Mapping[str, Any]) -> list[str]:
    """The concrete paths (``containerDefinitions[0].privileged``) of parameters Fargate refuses.

    ``task_definition`` is the camelCase dict of a task definition spec. A missing ``networkMode``
    is not reported here (Fargate needs it set to awsvpc; the caller says so in its own words).
    """
    return [
        path
        for rule in FARGATE_UNSUPPORTED_PARAMETERS
        for path, value in _walk(task_definition, rule.path.split("."), "")
        if _used(value, rule)
    ]
