"""From a task definition's containers to what placement reserves (ecs-semantics §10.2, §10.4).

The rule for reservations (§10.2; the last point is inference [I], decided here):

- CPU units: the task-level ``cpu`` when present, else the sum of the containers' ``cpu`` (0 when
  unset: a container without a cpu share reserves nothing).
- Memory MiB: the task-level ``memory`` when present, else the sum over containers of
  ``memoryReservation`` when set (the soft limit is what is subtracted), else ``memory``.

Values are numbers here (CPU units, MiB); the ECS string forms (``"1 vCPU"``, ``"2 GB"``) are
converted where the task definition is read, before it reaches placement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .request import NetworkMode


@dataclass(frozen=True, slots=True)
class Reservation:
    cpu: int
    memory: int


def resources_from_containers(
    containers: Iterable[Mapping[str, Any]], *, task_cpu: int | None = None, task_memory: int | None = None
) -> Reservation:
    """The reservation of a task from its ``containerDefinitions`` (camelCase) and task-level values.

    Raises ValueError when no memory is set anywhere (ECS refuses such an EC2 task definition).
    """
    listed = list(containers)
    cpu = task_cpu if task_cpu is not None else sum(int(c.get("cpu") or 0) for c in listed)
    if task_memory is not None:
        return Reservation(cpu, task_memory)
    per_container = [c.get("memoryReservation") or c.get("memory") for c in listed]
    if not any(per_container):
        raise ValueError("neither the task nor any container sets memory or memoryReservation")
    return Reservation(cpu, sum(int(m or 0) for m in per_container))


@dataclass(frozen=True, slots=True)
class HostPorts:
    ports: frozenset[int] = frozenset()
    ports_udp: frozenset[int] = frozenset()
    dynamic_ports: int = 0
    dynamic_ports_udp: int = 0


def host_ports_from_containers(
    network_mode: NetworkMode | str, containers: Iterable[Mapping[str, Any]]
) -> HostPorts:
    """The host ports a task takes on its instance, from its containers' ``portMappings``.

    bridge: a ``hostPort`` is static, 0 or omitted is dynamic, a ``containerPortRange`` takes that
    many dynamic ports. host: the host ports are the container ports. awsvpc and none: the task has
    its own network namespace (or none), so it takes no host port at all.
    """
    mode = NetworkMode(network_mode)
    if mode in (NetworkMode.AWSVPC, NetworkMode.NONE):
        return HostPorts()
    static: dict[str, set[int]] = {"tcp": set(), "udp": set()}
    dynamic = {"tcp": 0, "udp": 0}
    for container in containers:
        for mapping in container.get("portMappings") or ():
            protocol = str(mapping.get("protocol") or "tcp").lower()
            host_port = int(mapping.get("hostPort") or 0)
            span = _span(mapping.get("containerPortRange"))
            if mode is NetworkMode.HOST:
                static[protocol].update(span or {host_port or int(mapping["containerPort"])})
            elif host_port:
                static[protocol].add(host_port)
            else:
                dynamic[protocol] += len(span) or 1
    return HostPorts(frozenset(static["tcp"]), frozenset(static["udp"]), dynamic["tcp"], dynamic["udp"])


def _span(port_range: Any) -> range:
    """``"7000-7004"`` → the five ports; nothing → an empty range."""
    if not port_range:
        return range(0)
    low, _, high = str(port_range).partition("-")
    return range(int(low), int(high or low) + 1)
