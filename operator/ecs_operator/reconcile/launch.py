"""What one task is, once its task definition revision and overrides are applied (pure).

RunTask and StartTask both start from a revision snapshot (camelCase dict, as stored) and the
task's `overrides` (ecs-semantics §4): container overrides replace command, environment entries
(by name), cpu, memory and memoryReservation; task-level cpu and memory replace the definition's.
The result feeds placement (`task_request`) and the pod (`podspec`). A FARGATE request is checked
against Fargate's rules first (`reconcile.fargate`): a task that cannot run there never reaches
placement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ecs_operator.api.fargate import find_fargate_unsupported
from ecs_operator.api.units import parse_ecs_cpu, parse_ecs_memory
from ecs_operator.placement import (
    LaunchType,
    TaskKind,
    TaskRequest,
    constraints_from_spec,
    host_ports_from_containers,
    resources_from_containers,
    strategies_from_spec,
)
from ecs_operator.placement.request import NetworkMode
from ecs_operator.reconcile.fargate import FargateIncompatible, fargate_problems

OS_FAMILY_TO_TYPE = {"LINUX": "linux"}
ARCH = {"X86_64": "x86_64", "ARM64": "arm64"}


@dataclass(frozen=True)
class EffectiveTask:
    """A task definition revision with the task's overrides applied."""

    family: str
    revision: int
    network_mode: str
    containers: tuple[dict[str, Any], ...]
    task_cpu: int | None
    task_memory: int | None
    cpu: int
    memory: int
    constraints: tuple[dict[str, Any], ...]
    os_type: str | None
    cpu_architecture: str | None
    requires_compatibilities: tuple[str, ...] = ()
    fargate_unsupported: tuple[str, ...] = ()
    """Paths of the revision's parameters that Fargate refuses (``api.fargate``)."""

    @property
    def reference(self) -> str:
        return f"{self.family}:{self.revision}"


def _override_container(container: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(container)
    for key in ("command", "cpu", "memory", "memoryReservation"):
        if override.get(key) is not None:
            out[key] = override[key]
    if override.get("environment"):
        env = {e["name"]: e for e in out.get("environment") or []}
        env.update({e["name"]: e for e in override["environment"]})
        out["environment"] = list(env.values())
    return out


def effective_task(
    family: str, revision: int, snapshot: Mapping[str, Any], overrides: Mapping[str, Any] | None
) -> EffectiveTask:
    """Apply `overrides` to the revision `snapshot`; raises ValueError (ECS wording) when invalid."""
    overrides = overrides or {}
    by_name = {o["name"]: o for o in overrides.get("containerOverrides") or []}
    containers = [dict(c) for c in snapshot.get("containerDefinitions") or []]
    unknown = set(by_name) - {c["name"] for c in containers}
    if unknown:
        raise ValueError(
            f"Override for container named {sorted(unknown)[0]} is not a container in the TaskDefinition."
        )
    containers = [_override_container(c, by_name.get(c["name"], {})) for c in containers]
    cpu_text = overrides.get("cpu", snapshot.get("cpu"))
    memory_text = overrides.get("memory", snapshot.get("memory"))
    task_cpu = parse_ecs_cpu(cpu_text) if cpu_text is not None else None
    task_memory = parse_ecs_memory(memory_text) if memory_text is not None else None
    reservation = resources_from_containers(containers, task_cpu=task_cpu, task_memory=task_memory)
    platform = snapshot.get("runtimePlatform") or {}
    family_os = platform.get("operatingSystemFamily")
    return EffectiveTask(
        family=family,
        revision=revision,
        network_mode=str(snapshot.get("networkMode") or "bridge"),
        containers=tuple(containers),
        task_cpu=task_cpu,
        task_memory=task_memory,
        cpu=reservation.cpu,
        memory=reservation.memory,
        constraints=tuple(snapshot.get("placementConstraints") or ()),
        os_type=None if family_os is None else OS_FAMILY_TO_TYPE.get(family_os, "windows"),
        cpu_architecture=ARCH.get(str(platform.get("cpuArchitecture")))
        if platform.get("cpuArchitecture")
        else None,
        requires_compatibilities=tuple(str(c) for c in snapshot.get("requiresCompatibilities") or ()),
        fargate_unsupported=tuple(find_fargate_unsupported(snapshot)),
    )


def task_request(
    task: EffectiveTask,
    *,
    name: str,
    uid: str,
    group: str,
    launch_type: str,
    spec: Mapping[str, Any],
    kind: TaskKind = TaskKind.STANDALONE,
) -> TaskRequest:
    """The placement request for one task (constraints of the request and of the definition).

    Raises `FargateIncompatible` (ECS's message) when a FARGATE task cannot run on Fargate.
    """
    if launch_type == LaunchType.FARGATE:
        problems = fargate_problems(
            requires_compatibilities=task.requires_compatibilities,
            network_mode=task.network_mode,
            task_cpu=task.task_cpu,
            task_memory=task.task_memory,
            os_type=task.os_type,
            unsupported=task.fargate_unsupported,
            task_definition_constraints=task.constraints,
            spec=spec,
        )
        if problems:
            raise FargateIncompatible(problems[0])
    ports = host_ports_from_containers(task.network_mode, task.containers)
    return TaskRequest(
        task=name,
        task_uid=uid,
        group=group,
        cpu=task.cpu,
        memory=task.memory,
        kind=kind,
        launch_type=LaunchType(launch_type),
        network_mode=NetworkMode(task.network_mode),
        ports=ports.ports,
        ports_udp=ports.ports_udp,
        dynamic_ports=ports.dynamic_ports,
        dynamic_ports_udp=ports.dynamic_ports_udp,
        os_type=task.os_type,
        cpu_architecture=task.cpu_architecture,
        constraints=constraints_from_spec(spec.get("placementConstraints") or ()),
        task_definition_constraints=constraints_from_spec(task.constraints),
        strategies=strategies_from_spec(spec.get("placementStrategy") or ()),
    )
