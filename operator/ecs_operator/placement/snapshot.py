"""The cluster state the placement engine reads: immutable snapshots of container instances.

The engine is an Omega-style shared-state scheduler (architecture.md §2): it reads a snapshot,
decides, and the caller commits claims with the resourceVersion it read. A snapshot is therefore a
value: frozen dataclasses, never mutated. Placing a task yields a *new* snapshot holding a
provisional claim, so several tasks can be placed one at a time (ecs-semantics §1.1, count > 1).

Everything the filters and strategies ask per instance (remaining CPU and memory, ports in use,
tasks per group) is derived once when an :class:`InstanceSnapshot` is built, so a placement costs
O(instances), never O(instances × claims).

:class:`InstanceSnapshot` satisfies :class:`ecs_operator.query.Subjects`, so ``memberOf``
expressions evaluate against it directly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from ecs_operator.enums import LaunchType as LaunchType

AVAILABILITY_ZONE = "ecs.availability-zone"
INSTANCE_TYPE = "ecs.instance-type"
OS_TYPE = "ecs.os-type"
CPU_ARCHITECTURE = "ecs.cpu-architecture"

# Bridge-mode dynamic host ports come from the ephemeral range (ecs-semantics §10.4, Linux fallback).
EPHEMERAL_PORTS = range(49153, 65536)


class InstanceStatus(StrEnum):
    ACTIVE = "ACTIVE"
    DRAINING = "DRAINING"
    INACTIVE = "INACTIVE"


@dataclass(frozen=True, slots=True)
class Claim:
    """One entry of an instance's ledger: what one task holds there (api.md ``status.claims``)."""

    task_uid: str
    task: str
    group: str
    cpu: int
    memory: int
    ports: tuple[int, ...] = ()
    ports_udp: tuple[int, ...] = ()

    def rekeyed(self, task_uid: str, task: str) -> Claim:
        """The same claim for another task, e.g. the EcsTask created for a placement."""
        return replace(self, task_uid=task_uid, task=task)

    def to_object(self) -> dict[str, Any]:
        """The camelCase form written to ``EcsContainerInstance.status.claims``."""
        return {
            "taskUid": self.task_uid,
            "task": self.task,
            "group": self.group,
            "cpu": self.cpu,
            "memory": self.memory,
            "ports": list(self.ports),
            "portsUdp": list(self.ports_udp),
        }


@dataclass(frozen=True, slots=True)
class InstanceSnapshot:
    """One container instance: registered resources, attributes and its ledger of claims."""

    name: str
    ec2_instance_id: str
    registered_cpu: int
    registered_memory: int
    registered_ports: frozenset[int] = frozenset()
    registered_ports_udp: frozenset[int] = frozenset()
    status: InstanceStatus = InstanceStatus.ACTIVE
    agent_connected: bool = True
    agent_version: str | None = None
    registered_at: datetime | None = None
    launch_type: LaunchType = LaunchType.EC2
    attributes: Mapping[str, str] = field(default_factory=dict)
    claims: tuple[Claim, ...] = ()
    # Derived from the fields above in __post_init__; never passed in.
    remaining_cpu: int = field(init=False)
    remaining_memory: int = field(init=False)
    used_ports: frozenset[int] = field(init=False)
    used_ports_udp: frozenset[int] = field(init=False)
    ephemeral_in_use: int = field(init=False)
    ephemeral_in_use_udp: int = field(init=False)
    group_counts: Mapping[str, int] = field(init=False)
    # The same mapping under the name query.Subjects reads: a slot, not a property, because bulk
    # memberOf evaluation reads it once per instance (snapshot.task_groups is group_counts).
    task_groups: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ports = set(self.registered_ports)
        ports_udp = set(self.registered_ports_udp)
        for claim in self.claims:
            ports.update(claim.ports)
            ports_udp.update(claim.ports_udp)
        put = object.__setattr__
        put(self, "remaining_cpu", self.registered_cpu - sum(c.cpu for c in self.claims))
        put(self, "remaining_memory", self.registered_memory - sum(c.memory for c in self.claims))
        put(self, "used_ports", frozenset(ports))
        put(self, "used_ports_udp", frozenset(ports_udp))
        put(self, "ephemeral_in_use", sum(1 for p in ports if p in EPHEMERAL_PORTS))
        put(self, "ephemeral_in_use_udp", sum(1 for p in ports_udp if p in EPHEMERAL_PORTS))
        groups = dict(Counter(c.group for c in self.claims))
        put(self, "group_counts", groups)
        put(self, "task_groups", groups)

    # --- ecs_operator.query.Subjects -------------------------------------------------------

    @property
    def running_tasks_count(self) -> int:
        """Tasks whose desired status is RUNNING: every claim (stopped tasks release theirs)."""
        return len(self.claims)

    def attribute(self, name: str) -> str | None:
        return self.attributes.get(name)

    # --- derived views -----------------------------------------------------------------------

    @property
    def availability_zone(self) -> str | None:
        return self.attributes.get(AVAILABILITY_ZONE)

    @property
    def schedulable(self) -> bool:
        """ACTIVE with a connected agent: the only instances ECS places on (§1.1)."""
        return self.status is InstanceStatus.ACTIVE and self.agent_connected

    def with_claim(self, claim: Claim) -> InstanceSnapshot:
        return replace(self, claims=(*self.claims, claim))

    def without_claim(self, task_uid: str) -> InstanceSnapshot:
        return replace(self, claims=tuple(c for c in self.claims if c.task_uid != task_uid))


def _tasks_by_value(
    instances: tuple[InstanceSnapshot, ...], group: str, attribute: str
) -> dict[str | None, int]:
    active = InstanceStatus.ACTIVE
    # One comprehension finds the instances running the group (often few), then a loop counts.
    running = [i for i in instances if group in i.group_counts and i.status is active]
    counts: dict[str | None, int] = {}
    for inst in running:
        value = inst.attributes.get(attribute)
        counts[value] = counts.get(value, 0) + inst.group_counts[group]
    return counts


@dataclass(frozen=True)
class ClusterSnapshot:
    """All container instances of one cluster, sorted by name so every decision is replayable.

    ``tasks_by_value`` answers spread's question (how many tasks of a group per attribute value)
    from a memo that :meth:`with_instance` carries forward by delta, so placing N tasks does not
    recount the cluster N times.
    """

    instances: tuple[InstanceSnapshot, ...] = ()
    _index: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)
    _by_value: dict[tuple[str, str], dict[str | None, int]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self._index:
            return  # derived by with_instance: already sorted and indexed
        ordered = tuple(sorted(self.instances, key=lambda i: i.name))
        index = {inst.name: n for n, inst in enumerate(ordered)}
        if len(index) != len(ordered):
            raise ValueError("container instance names must be unique in a snapshot")
        object.__setattr__(self, "instances", ordered)
        object.__setattr__(self, "_index", index)

    def __iter__(self) -> Iterator[InstanceSnapshot]:
        return iter(self.instances)

    def __len__(self) -> int:
        return len(self.instances)

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def position(self, name: str) -> int:
        """Where ``name`` is in :attr:`instances` (name order); KeyError if the snapshot has none."""
        return self._index[name]

    def instance(self, name: str) -> InstanceSnapshot:
        """The instance called ``name``; KeyError if the snapshot has none."""
        return self.instances[self._index[name]]

    def tasks_by_value(self, group: str, attribute: str) -> Mapping[str | None, int]:
        """Tasks of ``group`` on ACTIVE instances per value of ``attribute`` (None: lacking it).

        Tasks on DRAINING or INACTIVE instances are on their way out, so they do not count: the
        replacements of a drained zone's tasks go back to that zone.
        """
        key = (group, attribute)
        if key not in self._by_value:
            self._by_value[key] = _tasks_by_value(self.instances, group, attribute)
        return self._by_value[key]

    def with_instance(self, new: InstanceSnapshot) -> ClusterSnapshot:
        """A snapshot where the instance of the same name is replaced by ``new``."""
        n = self._index[new.name]
        old = self.instances[n]
        memo = {key: _apply_delta(counts, key, old, new) for key, counts in self._by_value.items()}
        instances = (*self.instances[:n], new, *self.instances[n + 1 :])
        return ClusterSnapshot(instances, self._index, memo)

    def with_instances(self, updated: Iterable[InstanceSnapshot]) -> ClusterSnapshot:
        """:meth:`with_instance` for several instances at once: one copy of the tuple, not one each.

        A batch that lands on K instances costs O(M + K) here instead of O(M × K); the memo moves
        by each instance's delta from its old to its new version, as in :meth:`with_instance`.
        """
        instances = list(self.instances)
        memo = {key: dict(counts) for key, counts in self._by_value.items()}
        for new in updated:
            n = self._index[new.name]
            old, instances[n] = instances[n], new
            for key, counts in memo.items():
                _shift(counts, key, old, new)
        return ClusterSnapshot(tuple(instances), self._index, memo)


def _apply_delta(
    counts: dict[str | None, int], key: tuple[str, str], old: InstanceSnapshot, new: InstanceSnapshot
) -> dict[str | None, int]:
    updated = dict(counts)
    _shift(updated, key, old, new)
    return updated


def _shift(
    counts: dict[str | None, int], key: tuple[str, str], old: InstanceSnapshot, new: InstanceSnapshot
) -> None:
    """Move ``counts`` (in place) from counting ``old`` to counting ``new``."""
    group, attribute = key
    for inst, sign in ((old, -1), (new, 1)):
        n = inst.group_counts.get(group, 0)
        if n and inst.status is InstanceStatus.ACTIVE:
            value = inst.attributes.get(attribute)
            counts[value] = counts.get(value, 0) + sign * n
