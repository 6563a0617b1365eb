"""Candidate and resource checks: stages 1 and 2 of the pipeline (architecture.md §4).

Candidates are ACTIVE instances with a connected agent, of the task's launch type, compatible
with its os, architecture and network mode. The resource filter wants the task's CPU units, MiB
and host ports free: static TCP and UDP ports, plus enough free ports in the ephemeral range for
bridge-mode dynamic mappings (which :func:`assign_dynamic_ports` then picks).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .reasons import FailureReason, Rejection
from .request import NetworkMode, TaskRequest
from .snapshot import CPU_ARCHITECTURE, EPHEMERAL_PORTS, OS_TYPE, InstanceSnapshot, InstanceStatus
from .stages import InstanceCheck


@dataclass(frozen=True)
class InstanceActive:
    name: str = "status"

    def bind(self, request: TaskRequest) -> InstanceCheck:
        def check(inst: InstanceSnapshot) -> Rejection | None:
            if inst.status is InstanceStatus.ACTIVE:
                return None
            return Rejection(FailureReason.INACTIVE, f"container instance is {inst.status}")

        return check


@dataclass(frozen=True)
class AgentConnected:
    name: str = "agent"

    def bind(self, request: TaskRequest) -> InstanceCheck:
        def check(inst: InstanceSnapshot) -> Rejection | None:
            if inst.agent_connected:
                return None
            return Rejection(FailureReason.AGENT, "agent is disconnected (node not Ready)")

        return check


@dataclass(frozen=True)
class LaunchTypeMatches:
    name: str = "launch type"

    def bind(self, request: TaskRequest) -> InstanceCheck:
        wanted = request.launch_type

        def check(inst: InstanceSnapshot) -> Rejection | None:
            if inst.launch_type is wanted:
                return None
            detail = f"provides {inst.launch_type} capacity, the task needs {wanted}"
            return Rejection(FailureReason.ATTRIBUTE, detail)

        return check


# Windows instances run tasks in the awsvpc or the Windows default (NAT) mode (ecs-semantics §10.4).
_LINUX_ONLY_MODES = frozenset({NetworkMode.BRIDGE, NetworkMode.HOST, NetworkMode.NONE})


@dataclass(frozen=True)
class Compatible:
    name: str = "compatibility"

    def bind(self, request: TaskRequest) -> InstanceCheck | None:
        wanted = [
            (a, v.lower())
            for a, v in ((OS_TYPE, request.os_type), (CPU_ARCHITECTURE, request.cpu_architecture))
            if v
        ]
        mode = request.network_mode
        if not wanted and mode not in _LINUX_ONLY_MODES:
            return None

        def check(inst: InstanceSnapshot) -> Rejection | None:
            for attribute, value in wanted:
                has = inst.attributes.get(attribute)
                if has is None or has.lower() != value:
                    detail = f"needs {attribute}={value}, has {'none' if has is None else has}"
                    return Rejection(FailureReason.ATTRIBUTE, detail)
            if mode in _LINUX_ONLY_MODES and (inst.attributes.get(OS_TYPE) or "").lower() == "windows":
                return Rejection(FailureReason.ATTRIBUTE, f"network mode {mode} is not supported on windows")
            return None

        return check


@dataclass(frozen=True)
class EnoughCpu:
    name: str = "cpu"

    def bind(self, request: TaskRequest) -> InstanceCheck | None:
        need = request.cpu
        if need == 0:
            return None

        def check(inst: InstanceSnapshot) -> Rejection | None:
            if inst.remaining_cpu >= need:
                return None
            detail = f"needs {need} CPU units, {inst.remaining_cpu} remaining"
            return Rejection(FailureReason.RESOURCE_CPU, detail)

        return check


@dataclass(frozen=True)
class EnoughMemory:
    name: str = "memory"

    def bind(self, request: TaskRequest) -> InstanceCheck | None:
        need = request.memory
        if need == 0:
            return None

        def check(inst: InstanceSnapshot) -> Rejection | None:
            if inst.remaining_memory >= need:
                return None
            detail = f"needs {need} MiB, {inst.remaining_memory} MiB remaining"
            return Rejection(FailureReason.RESOURCE_MEMORY, detail)

        return check


@dataclass(frozen=True)
class FreePorts:
    name: str = "ports"

    def bind(self, request: TaskRequest) -> InstanceCheck | None:
        tcp, udp = request.ports, request.ports_udp
        dyn_tcp, dyn_udp = request.dynamic_ports, request.dynamic_ports_udp
        if not (tcp or udp or dyn_tcp or dyn_udp):
            return None
        # Static ports of the task inside the ephemeral range are not available to its dynamic ones.
        tcp_in_range = frozenset(p for p in tcp if p in EPHEMERAL_PORTS)
        udp_in_range = frozenset(p for p in udp if p in EPHEMERAL_PORTS)

        def check(inst: InstanceSnapshot) -> Rejection | None:
            for proto, wanted, used in (("TCP", tcp, inst.used_ports), ("UDP", udp, inst.used_ports_udp)):
                taken = wanted & used
                if taken:
                    return Rejection(FailureReason.RESOURCE_PORTS, f"{proto} {_ports(taken)} in use")
            if dyn_tcp:
                free = _FREE - inst.ephemeral_in_use - len(tcp_in_range - inst.used_ports)
                if dyn_tcp > free:
                    return _short_of_dynamic(dyn_tcp, "TCP", free)
            if dyn_udp:
                free = _FREE - inst.ephemeral_in_use_udp - len(udp_in_range - inst.used_ports_udp)
                if dyn_udp > free:
                    return _short_of_dynamic(dyn_udp, "UDP", free)
            return None

        return check


_FREE = len(EPHEMERAL_PORTS)


def _short_of_dynamic(count: int, proto: str, free: int) -> Rejection:
    detail = f"needs {count} dynamic {proto} ports, {free} free in 49153-65535"
    return Rejection(FailureReason.RESOURCE_PORTS, detail)


def _ports(ports: Iterable[int]) -> str:
    listed = sorted(ports)
    return ("port " if len(listed) == 1 else "ports ") + ", ".join(map(str, listed))


def assign_dynamic_ports(used: frozenset[int], own: frozenset[int], count: int) -> tuple[int, ...]:
    """The ``count`` lowest ephemeral ports neither ``used`` on the instance nor the task's ``own``."""
    if count == 0:
        return ()
    taken = used | own
    out: list[int] = []
    for port in EPHEMERAL_PORTS:
        if port not in taken:
            out.append(port)
            if len(out) == count:
                break
    return tuple(out)
