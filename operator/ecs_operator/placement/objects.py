"""EcsContainerInstance objects, as the Kubernetes API returns them, → a :class:`ClusterSnapshot`.

Pure: it takes the dicts a watch cache or a ``list`` call yields (camelCase, api.md) and never
talks to the API server, so a custom scheduler can feed it whatever client it uses.

Choices, each toward not placing where the owner would not want a task:

- the effective status is DRAINING when either ``spec.status`` (the request) or ``status.status``
  says so, so a drain asked for a moment ago already counts; an object the operator has not
  registered yet (no ``status.status``) is INACTIVE with no resources;
- attributes are ``status.attributes`` (built-in and custom) overlaid with ``spec.attributes``, so a
  PutAttributes just written already applies;
- remaining resources are derived from ``registeredResources`` and the ledger
  ``status.claims``; ``status.remainingResources`` is a report for people and is ignored;
- the launch type is ``status.launchType`` (or ``spec.launchType``), EC2 when absent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from .snapshot import Claim, ClusterSnapshot, InstanceSnapshot, InstanceStatus, LaunchType


class SnapshotError(ValueError):
    """An EcsContainerInstance object that cannot be read; names the object and the field."""


def snapshot_from_objects(
    instances: Iterable[Mapping[str, Any]], *, cluster: str | None = None
) -> ClusterSnapshot:
    """One snapshot from EcsContainerInstance objects; only ``cluster``'s when it is given."""
    return ClusterSnapshot(
        tuple(
            instance_from_object(obj)
            for obj in instances
            if cluster is None or (obj.get("spec") or {}).get("cluster") == cluster
        )
    )


def instance_from_object(obj: Mapping[str, Any]) -> InstanceSnapshot:
    name = str((obj.get("metadata") or {}).get("name") or "")
    if not name:
        raise SnapshotError("EcsContainerInstance without metadata.name")
    spec: Mapping[str, Any] = obj.get("spec") or {}
    status: Mapping[str, Any] = obj.get("status") or {}
    try:
        return _instance(name, spec, status)
    except (TypeError, ValueError, KeyError) as exc:
        raise SnapshotError(f"EcsContainerInstance {name}: {exc}") from exc


def _instance(name: str, spec: Mapping[str, Any], status: Mapping[str, Any]) -> InstanceSnapshot:
    registered: Mapping[str, Any] = status.get("registeredResources") or {}
    state = InstanceStatus(status.get("status") or InstanceStatus.INACTIVE)
    if state is InstanceStatus.ACTIVE and spec.get("status") == InstanceStatus.DRAINING:
        state = InstanceStatus.DRAINING
    attributes = {**_attributes(status.get("attributes")), **_attributes(spec.get("attributes"))}
    version = status.get("agentVersion") or (status.get("versionInfo") or {}).get("agentVersion")
    launch_type = status.get("launchType") or spec.get("launchType") or LaunchType.EC2
    return InstanceSnapshot(
        name=name,
        ec2_instance_id=str(status.get("ec2InstanceId") or spec.get("nodeName") or name),
        registered_cpu=int(registered.get("cpu") or 0),
        registered_memory=int(registered.get("memory") or 0),
        registered_ports=_ports(registered.get("ports"), "registeredResources.ports"),
        registered_ports_udp=_ports(registered.get("portsUdp"), "registeredResources.portsUdp"),
        status=state,
        agent_connected=bool(status.get("agentConnected", False)),
        agent_version=str(version) if version else None,
        registered_at=_timestamp(status.get("registeredAt")),
        launch_type=LaunchType(launch_type),
        attributes=attributes,
        claims=tuple(_claim(c) for c in status.get("claims") or ()),
    )


def _attributes(items: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or ():
        value = item.get("value")
        out[str(item["name"])] = "" if value is None else str(value)
    return out


def _ports(values: Any, where: str) -> frozenset[int]:
    ports = frozenset(int(p) for p in values or ())  # ECS reports ports as a string set
    if any(not 0 < p <= 65535 for p in ports):
        raise ValueError(f"{where}: ports are 1-65535")
    return ports


def _claim(item: Mapping[str, Any]) -> Claim:
    return Claim(
        task_uid=str(item["taskUid"]),
        task=str(item.get("task") or ""),
        group=str(item.get("group") or ""),
        cpu=int(item.get("cpu") or 0),
        memory=int(item.get("memory") or 0),
        ports=tuple(int(p) for p in item.get("ports") or ()),
        ports_udp=tuple(int(p) for p in item.get("portsUdp") or ()),
    )


def _timestamp(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))  # RFC 3339 as the API server writes it, "Z" included
