"""Candidate and resource checks: stages 1 and 2 of the pipeline (architecture.md §4).

Candidates are ACTIVE instances with a connected agent, of the task's launch type, compatible
with its os, architecture and network mode. The resource filter wants the task's CPU units, MiB
and host ports free: static TCP and UDP ports, plus enough free ports in the ephemeral range for
bridge-mode dynamic mappings (which :func:`assign_dynamic_ports` then picks).

Each check has two bound forms (stages.py): ``bind`` judges one instance and says why not;
``bind_keep`` filters a whole pool with the same condition written as one list comprehension.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from .reasons import FailureReason, Rejection
from .request import NetworkMode, TaskRequest
from .snapshot import CPU_ARCHITECTURE, EPHEMERAL_PORTS, OS_TYPE, InstanceSnapshot, InstanceStatus
from .stages import InstanceCheck, Keep

_K = TypeVar("_K")


@dataclass(frozen=True)
class InstanceActive:
    name: str = "status"

    def bind(self, request: TaskRequest) -> InstanceCheck:
        def check(inst: InstanceSnapshot) -> Rejection | None:
            if inst.status is InstanceStatus.ACTIVE:
                return None
            return Rejection(FailureReason.INACTIVE, f"container instance is {inst.status}")

        return check

    def bind_keep(self, request: TaskRequest) -> Keep:
        active = InstanceStatus.ACTIVE
        return lambda pool: [i for i in pool if i.status is active]


@dataclass(frozen=True)
class AgentConnected:
    name: str = "agent"

    def bind(self, request: TaskRequest) -> InstanceCheck:
        def check(inst: InstanceSnapshot) -> Rejection | None:
            if inst.agent_connected:
                return None
            return Rejection(FailureReason.AGENT, "agent is disconnected (node not Ready)")

        return check

    def bind_keep(self, request: TaskRequest) -> Keep:
        return lambda pool: [i for i in pool if i.agent_connected]


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

    def bind_keep(self, request: TaskRequest) -> Keep:
        wanted = request.launch_type
        return lambda pool: [i for i in pool if i.launch_type is wanted]


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
        verdict = self._verdict(wanted, mode)
        return lambda inst: verdict(inst.attributes.get(OS_TYPE), inst.attributes.get(CPU_ARCHITECTURE))

    def bind_keep(self, request: TaskRequest) -> Keep | None:
        if self.bind(request) is None:
            return None
        wanted = [
            (a, v.lower())
            for a, v in ((OS_TYPE, request.os_type), (CPU_ARCHITECTURE, request.cpu_architecture))
            if v
        ]
        verdict = self._verdict(wanted, request.network_mode)
        # The verdict depends only on the os and architecture attributes: each distinct value is
        # judged once (a cluster has a handful), and the architecture is read only when wanted.
        if any(attribute == CPU_ARCHITECTURE for attribute, _ in wanted):

            def keep(pool: Sequence[InstanceSnapshot]) -> list[InstanceSnapshot]:
                accepted: _Accepted[tuple[str | None, str | None]] = _Accepted(
                    lambda key: verdict(*key) is None
                )
                return [
                    i
                    for i in pool
                    if accepted[(i.attributes.get(OS_TYPE), i.attributes.get(CPU_ARCHITECTURE))]
                ]

            return keep

        def keep_by_os(pool: Sequence[InstanceSnapshot]) -> list[InstanceSnapshot]:
            accepted: _Accepted[str | None] = _Accepted(lambda os_type: verdict(os_type, None) is None)
            return [i for i in pool if accepted[i.attributes.get(OS_TYPE)]]

        return keep_by_os

    @staticmethod
    def _verdict(
        wanted: list[tuple[str, str]], mode: NetworkMode
    ) -> Callable[[str | None, str | None], Rejection | None]:
        def verdict(os_type: str | None, architecture: str | None) -> Rejection | None:
            values = {OS_TYPE: os_type, CPU_ARCHITECTURE: architecture}
            for attribute, value in wanted:
                has = values[attribute]
                if has is None or has.lower() != value:
                    detail = f"needs {attribute}={value}, has {'none' if has is None else has}"
                    return Rejection(FailureReason.ATTRIBUTE, detail)
            if mode in _LINUX_ONLY_MODES and (os_type or "").lower() == "windows":
                return Rejection(FailureReason.ATTRIBUTE, f"network mode {mode} is not supported on windows")
            return None

        return verdict


class _Accepted(dict[_K, bool]):
    """Whether each distinct key passes, worked out the first time the key is looked up."""

    def __init__(self, accepts: Callable[[_K], bool]) -> None:
        super().__init__()
        self._accepts = accepts

    def __missing__(self, key: _K) -> bool:
        accepted = self[key] = self._accepts(key)
        return accepted


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

    def bind_keep(self, request: TaskRequest) -> Keep | None:
        need = request.cpu
        if need == 0:
            return None
        return lambda pool: [i for i in pool if i.remaining_cpu >= need]


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

    def bind_keep(self, request: TaskRequest) -> Keep | None:
        need = request.memory
        if need == 0:
            return None
        return lambda pool: [i for i in pool if i.remaining_memory >= need]


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

    def bind_keep(self, request: TaskRequest) -> Keep | None:
        check = self.bind(request)
        if check is None:
            return None
        tcp, udp = request.ports, request.ports_udp
        dyn_tcp, dyn_udp = request.dynamic_ports, request.dynamic_ports_udp
        if udp or dyn_udp or any(p in EPHEMERAL_PORTS for p in tcp):
            return lambda pool: [i for i in pool if check(i) is None]
        # The common case: static TCP ports outside the ephemeral range and dynamic TCP ports.
        # Then check()'s conditions are: no static port taken, and ephemeral_in_use <= limit.
        limit = _FREE - dyn_tcp
        if tcp and dyn_tcp:
            return lambda pool: [
                i for i in pool if i.ephemeral_in_use <= limit and tcp.isdisjoint(i.used_ports)
            ]
        if tcp:
            return lambda pool: [i for i in pool if tcp.isdisjoint(i.used_ports)]
        return lambda pool: [i for i in pool if i.ephemeral_in_use <= limit]


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
