"""What one task asks of a container instance: the input of every placement.

A :class:`TaskRequest` is already reduced to what placement needs: reservations (see
``taskdef.resources_from_containers`` for the ECS rule), host ports, compatibility, constraints
(parsed) and strategies. It is validated on construction against ECS's limits, so the engine never
has to second-guess it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecs_operator.enums import NetworkMode as NetworkMode

from .snapshot import LaunchType
from .spec import (
    MAX_CONSTRAINTS,
    MAX_STRATEGIES,
    ConstraintType,
    PlacementConstraint,
    PlacementSpecError,
    PlacementStrategy,
    TaskKind,
)


@dataclass(frozen=True, slots=True)
class TaskRequest:
    """One task to place.

    ``cpu`` and ``memory`` are the reservation (CPU units, MiB). ``ports``/``ports_udp`` are static
    host ports; ``dynamic_ports``/``dynamic_ports_udp`` count bridge-mode mappings with hostPort 0,
    which the engine assigns from the ephemeral range. ``constraints`` are the request's (service
    or RunTask), ``task_definition_constraints`` the task definition's (memberOf only); both apply.
    ``strategies`` empty means the defaults of ``kind`` (``pipeline.effective_strategies``).
    """

    task: str
    group: str
    cpu: int = 0
    memory: int = 0
    task_uid: str = ""
    kind: TaskKind = TaskKind.STANDALONE
    launch_type: LaunchType = LaunchType.EC2
    network_mode: NetworkMode = NetworkMode.BRIDGE
    ports: frozenset[int] = frozenset()
    ports_udp: frozenset[int] = frozenset()
    dynamic_ports: int = 0
    dynamic_ports_udp: int = 0
    os_type: str | None = None
    cpu_architecture: str | None = None
    constraints: tuple[PlacementConstraint, ...] = ()
    task_definition_constraints: tuple[PlacementConstraint, ...] = ()
    strategies: tuple[PlacementStrategy, ...] = ()

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise PlacementSpecError(f"task {self.task}: " + "; ".join(problems))

    @property
    def all_constraints(self) -> tuple[PlacementConstraint, ...]:
        return self.task_definition_constraints + self.constraints

    @property
    def distinct_instance(self) -> bool:
        return any(c.type is ConstraintType.DISTINCT_INSTANCE for c in self.constraints)

    @property
    def member_of(self) -> tuple[PlacementConstraint, ...]:
        return tuple(c for c in self.all_constraints if c.type is ConstraintType.MEMBER_OF)


def _problems(r: TaskRequest) -> list[str]:
    problems: list[str] = []
    if not r.group:
        problems.append("a task belongs to a group")
    if r.cpu < 0 or r.memory < 0:
        problems.append("cpu and memory reservations cannot be negative")
    if any(not 0 < p <= 65535 for p in r.ports | r.ports_udp):
        problems.append("host ports are 1-65535")
    if r.dynamic_ports < 0 or r.dynamic_ports_udp < 0:
        problems.append("a count of dynamic ports cannot be negative")
    if (r.dynamic_ports or r.dynamic_ports_udp) and r.network_mode is not NetworkMode.BRIDGE:
        problems.append("dynamic host ports exist only in bridge mode")
    if (r.ports or r.ports_udp) and r.network_mode in (NetworkMode.AWSVPC, NetworkMode.NONE):
        problems.append(f"network mode {r.network_mode} reserves no host ports")
    if len(r.strategies) > MAX_STRATEGIES:
        problems.append(f"at most {MAX_STRATEGIES} placement strategies")
    if len(r.all_constraints) > MAX_CONSTRAINTS:
        problems.append(f"at most {MAX_CONSTRAINTS} placement constraints with the task definition's")
    if any(c.type is not ConstraintType.MEMBER_OF for c in r.task_definition_constraints):
        problems.append("a task definition accepts only memberOf constraints")
    if r.launch_type is LaunchType.FARGATE:
        if r.strategies or r.all_constraints:
            problems.append("placement strategies and constraints are not supported on FARGATE")
        if r.network_mode is not NetworkMode.AWSVPC:
            problems.append("FARGATE tasks use the awsvpc network mode")
    return problems
