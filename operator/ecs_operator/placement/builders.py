"""Fluent builders for snapshots and requests, after kube-scheduler's ``MakeNode()``/``MakePod()``.

For custom schedulers that keep their own view of the cluster, and for tests::

    cluster = make_cluster(
        make_instance("prod.a1").zone("zone-a").cpu(4096).memory(8192).task("service:web", 256, 512),
        make_instance("prod.b1").zone("zone-b").cpu(4096).memory(8192).draining(),
    )
    request = make_task("web-7f3k").service("web").cpu(256).memory(512).port(8080).build()

Instances default to linux/x86_64, 4096 CPU units, 8192 MiB, ACTIVE with a connected agent, and
an EC2 instance id equal to the node part of the name (``prod.a1`` → ``a1``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Self

from .request import NetworkMode, TaskRequest
from .snapshot import (
    AVAILABILITY_ZONE,
    CPU_ARCHITECTURE,
    INSTANCE_TYPE,
    OS_TYPE,
    Claim,
    ClusterSnapshot,
    InstanceSnapshot,
    InstanceStatus,
    LaunchType,
)
from .spec import PlacementConstraint, PlacementStrategy, StrategyType, TaskKind, distinct_instance, member_of


class InstanceBuilder:
    def __init__(self, name: str) -> None:
        self._name = name
        self._ec2_id = name.split(".", 1)[-1]
        self._cpu, self._memory = 4096, 8192
        self._ports: set[int] = set()
        self._ports_udp: set[int] = set()
        self._status = InstanceStatus.ACTIVE
        self._agent_connected = True
        self._agent_version: str | None = None
        self._registered_at: datetime | None = None
        self._launch_type = LaunchType.EC2
        self._attributes: dict[str, str] = {OS_TYPE: "linux", CPU_ARCHITECTURE: "x86_64"}
        self._claims: list[Claim] = []

    def ec2_instance_id(self, value: str) -> Self:
        self._ec2_id = value
        return self

    def cpu(self, units: int) -> Self:
        self._cpu = units
        return self

    def memory(self, mib: int) -> Self:
        self._memory = mib
        return self

    def reserved_ports(self, *ports: int) -> Self:
        self._ports.update(ports)
        return self

    def reserved_ports_udp(self, *ports: int) -> Self:
        self._ports_udp.update(ports)
        return self

    def attribute(self, name: str, value: str = "") -> Self:
        self._attributes[name] = value
        return self

    def without_attribute(self, name: str) -> Self:
        self._attributes.pop(name, None)
        return self

    def zone(self, value: str) -> Self:
        return self.attribute(AVAILABILITY_ZONE, value)

    def instance_type(self, value: str) -> Self:
        return self.attribute(INSTANCE_TYPE, value)

    def os(self, value: str) -> Self:
        return self.attribute(OS_TYPE, value)

    def arch(self, value: str) -> Self:
        return self.attribute(CPU_ARCHITECTURE, value)

    def status(self, value: InstanceStatus | str) -> Self:
        self._status = InstanceStatus(value)
        return self

    def draining(self) -> Self:
        return self.status(InstanceStatus.DRAINING)

    def disconnected(self) -> Self:
        self._agent_connected = False
        return self

    def agent_version(self, value: str) -> Self:
        self._agent_version = value
        return self

    def registered_at(self, value: datetime) -> Self:
        self._registered_at = value
        return self

    def fargate(self) -> Self:
        self._launch_type = LaunchType.FARGATE
        return self

    def claim(self, claim: Claim) -> Self:
        self._claims.append(claim)
        return self

    def task(
        self,
        group: str,
        cpu: int = 0,
        memory: int = 0,
        ports: tuple[int, ...] = (),
        ports_udp: tuple[int, ...] = (),
        uid: str | None = None,
    ) -> Self:
        """A task of ``group`` already running here (a claim with a generated uid unless given)."""
        uid = uid or f"{self._name}/{len(self._claims) + 1}"
        return self.claim(Claim(uid, f"default/{uid}", group, cpu, memory, ports, ports_udp))

    def build(self) -> InstanceSnapshot:
        return InstanceSnapshot(
            name=self._name,
            ec2_instance_id=self._ec2_id,
            registered_cpu=self._cpu,
            registered_memory=self._memory,
            registered_ports=frozenset(self._ports),
            registered_ports_udp=frozenset(self._ports_udp),
            status=self._status,
            agent_connected=self._agent_connected,
            agent_version=self._agent_version,
            registered_at=self._registered_at,
            launch_type=self._launch_type,
            attributes=dict(self._attributes),
            claims=tuple(self._claims),
        )


class TaskBuilder:
    def __init__(self, name: str) -> None:
        self._task, self._uid, self._group = name, name, f"family:{name}"
        self._kind = TaskKind.STANDALONE
        self._cpu = self._memory = 0
        self._ports: frozenset[int] = frozenset()
        self._ports_udp: frozenset[int] = frozenset()
        self._dynamic = self._dynamic_udp = 0
        self._network_mode = NetworkMode.BRIDGE
        self._launch_type = LaunchType.EC2
        self._os: str | None = None
        self._arch: str | None = None
        self._constraints: list[PlacementConstraint] = []
        self._td_constraints: list[PlacementConstraint] = []
        self._strategies: list[PlacementStrategy] = []

    def uid(self, value: str) -> Self:
        self._uid = value
        return self

    def group(self, value: str) -> Self:
        self._group = value
        return self

    def service(self, name: str) -> Self:
        self._group, self._kind = f"service:{name}", TaskKind.SERVICE
        return self

    def cpu(self, units: int) -> Self:
        self._cpu = units
        return self

    def memory(self, mib: int) -> Self:
        self._memory = mib
        return self

    def port(self, *ports: int) -> Self:
        self._ports = self._ports | frozenset(ports)
        return self

    def port_udp(self, *ports: int) -> Self:
        self._ports_udp = self._ports_udp | frozenset(ports)
        return self

    def dynamic_ports(self, count: int, udp: int = 0) -> Self:
        self._dynamic, self._dynamic_udp = count, udp
        return self

    def network_mode(self, mode: NetworkMode | str) -> Self:
        self._network_mode = NetworkMode(mode)
        return self

    def os(self, value: str) -> Self:
        self._os = value
        return self

    def arch(self, value: str) -> Self:
        self._arch = value
        return self

    def fargate(self) -> Self:
        self._launch_type, self._network_mode = LaunchType.FARGATE, NetworkMode.AWSVPC
        return self

    def distinct_instance(self) -> Self:
        self._constraints.append(distinct_instance())
        return self

    def member_of(self, expression: str) -> Self:
        self._constraints.append(member_of(expression))
        return self

    def task_definition_member_of(self, expression: str) -> Self:
        self._td_constraints.append(member_of(expression))
        return self

    def strategy(self, type_: StrategyType | str, field: str | None = None) -> Self:
        self._strategies.append(PlacementStrategy(StrategyType(type_), field))
        return self

    def build(self) -> TaskRequest:
        return TaskRequest(
            task=self._task,
            group=self._group,
            cpu=self._cpu,
            memory=self._memory,
            task_uid=self._uid,
            kind=self._kind,
            launch_type=self._launch_type,
            network_mode=self._network_mode,
            ports=self._ports,
            ports_udp=self._ports_udp,
            dynamic_ports=self._dynamic,
            dynamic_ports_udp=self._dynamic_udp,
            os_type=self._os,
            cpu_architecture=self._arch,
            constraints=tuple(self._constraints),
            task_definition_constraints=tuple(self._td_constraints),
            strategies=tuple(self._strategies),
        )


def make_instance(name: str) -> InstanceBuilder:
    return InstanceBuilder(name)


def make_task(name: str) -> TaskBuilder:
    return TaskBuilder(name)


def make_cluster(*instances: InstanceSnapshot | InstanceBuilder) -> ClusterSnapshot:
    return ClusterSnapshot(tuple(i.build() if isinstance(i, InstanceBuilder) else i for i in instances))
