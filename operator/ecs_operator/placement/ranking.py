"""Incremental selection for a batch: the strategy chain's choice without a pass over the pool.

:meth:`PlacementEngine.select` narrows the whole feasible pool by every strategy for every task,
O(M) Python per placement. For chains made only of binpack and spread, that narrowing is a
lexicographic minimum over a key per instance, and between two placements of a batch the key
changes only for the chosen instance (its remaining CPU/memory, its own task count) and for the
instances sharing one of its spread attribute values (that value's load grows by one). So:

- instances are grouped into *classes* by their values of the chain's spread attributes (three
  zones → three classes); inside a class every spread-by-attribute slot of the key is the same,
  so the order is the order of the *local* slots (binpack, spread(instanceId));
- each class keeps buckets of equal local keys (instance positions in name order) and a heap of
  its local keys; the chain's choice is the lowest composite key over the classes' lowest buckets.

The tied pool is the union of the tied buckets in name order: exactly the pool ``select`` would
leave, in the same order, so the final ``rng.choice`` draws the same instance for the same seed.
A chain with a strategy this module does not model (``random``) is not accepted
(:func:`plan` returns None) and the engine keeps its generic path.
"""

from __future__ import annotations

import heapq
import math
from bisect import insort
from collections.abc import Callable, Sequence
from itertools import chain

from .request import TaskRequest
from .snapshot import ClusterSnapshot, InstanceSnapshot
from .stages import Strategy
from .strategies import Binpack, SpreadAttribute, SpreadInstances

LocalKey = tuple[int, ...]
Class = tuple[str | None, ...]
# One slot of the composite key: ("local", index into the local key) or ("spread", attribute index).
_Slot = tuple[bool, int]


def _local_getter(strategy: Strategy, group: str) -> Callable[[InstanceSnapshot], int] | None:
    # type(...) is, not isinstance: a subclass may narrow differently, so it takes the generic path.
    if type(strategy) is Binpack:
        if strategy.resource == "cpu":
            return lambda inst: inst.remaining_cpu
        return lambda inst: inst.remaining_memory
    if type(strategy) is SpreadInstances:
        return lambda inst: inst.group_counts.get(group, 0)
    return None


class BatchRanking:
    """The feasible instances of one batch, ranked incrementally by one strategy chain.

    Positions are indices into ``cluster.instances`` (name order), so sorting positions is
    sorting by name, the order of the engine's pool.
    """

    def __init__(
        self,
        cluster: ClusterSnapshot,
        request: TaskRequest,
        strategies: Sequence[Strategy],
        feasible: Sequence[int],
    ) -> None:
        group = request.group
        self._getters: list[Callable[[InstanceSnapshot], int]] = []
        self._attributes: list[str] = []
        self._slots: list[_Slot] = []
        for strategy in strategies:
            getter = _local_getter(strategy, group)
            if getter is not None:
                self._slots.append((True, len(self._getters)))
                self._getters.append(getter)
            elif type(strategy) is SpreadAttribute:
                self._slots.append((False, len(self._attributes)))
                self._attributes.append(strategy.attribute)
            else:
                raise ValueError(f"strategy {strategy} has no incremental ranking")
        # Tasks of the group per attribute value over the whole cluster (SpreadAttribute's counts).
        self._loads: list[dict[str | None, float]] = [
            dict(cluster.tasks_by_value(group, attribute)) for attribute in self._attributes
        ]
        self._instances = cluster.instances
        self._class_of: dict[int, Class] = {}
        self._local_of: dict[int, LocalKey] = {}
        self._buckets: dict[Class, dict[LocalKey, list[int]]] = {}
        self._heaps: dict[Class, list[LocalKey]] = {}
        for position in feasible:  # ascending, so every bucket is built sorted
            self._add(position, self._instances[position], ordered=True)

    def _add(self, position: int, inst: InstanceSnapshot, ordered: bool = False) -> None:
        attributes = inst.attributes
        cls = tuple(attributes.get(a) for a in self._attributes)
        local = tuple(g(inst) for g in self._getters)
        self._class_of[position] = cls
        self._local_of[position] = local
        buckets = self._buckets.setdefault(cls, {})
        bucket = buckets.get(local)
        if bucket is None:
            buckets[local] = [position]
            heapq.heappush(self._heaps.setdefault(cls, []), local)
        elif ordered:
            bucket.append(position)
        else:
            insort(bucket, position)

    def _remove(self, position: int) -> None:
        cls = self._class_of.pop(position)
        local = self._local_of.pop(position)
        buckets = self._buckets[cls]
        bucket = buckets[local]
        bucket.remove(position)
        if not bucket:
            del buckets[local]  # its heap entry goes lazily, when it reaches the top

    def _load(self, cls: Class, k: int) -> float:
        value = cls[k]
        return math.inf if value is None else self._loads[k].get(value, 0)

    def pool(self) -> list[int]:
        """The positions every strategy of the chain keeps, in name order (empty: none feasible)."""
        best: tuple[float, ...] | None = None
        tied: list[list[int]] = []
        for cls, heap in self._heaps.items():
            buckets = self._buckets[cls]
            while heap and heap[0] not in buckets:
                heapq.heappop(heap)
            if not heap:
                continue
            local = heap[0]
            key = tuple(local[k] if is_local else self._load(cls, k) for is_local, k in self._slots)
            if best is None or key < best:
                best, tied = key, [buckets[local]]
            elif key == best:
                tied.append(buckets[local])
        if len(tied) == 1:
            return tied[0]
        return sorted(chain.from_iterable(tied))

    def placed(self, position: int, updated: InstanceSnapshot, feasible: bool) -> None:
        """One task landed on ``position``: re-rank it, and its values' spread loads grow by one.

        ``position`` was feasible, so ACTIVE, and its claim is of the request's group: the
        cluster-wide count of each of its attribute values goes up by exactly one.
        """
        cls = self._class_of[position]
        for k, value in enumerate(cls):
            if value is not None:
                self._loads[k][value] = self._loads[k].get(value, 0) + 1
        self._remove(position)
        if feasible:
            self._add(position, updated)


def plan(strategies: Sequence[Strategy]) -> bool:
    """Whether :class:`BatchRanking` models every strategy of the chain exactly."""
    return all(type(s) in (Binpack, SpreadInstances, SpreadAttribute) for s in strategies)
