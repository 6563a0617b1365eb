"""Placement strategies: stage 4 of the pipeline (ecs-semantics §1.2, decision 1).

Each strategy keeps the instances it likes best among those still tied, so a chain is a
lexicographic order: ``[spread AZ, binpack memory]`` packs by memory *within* the least-loaded
zones. :func:`strategy_for` is the registry, the one place that knows every strategy.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .request import TaskRequest
from .snapshot import ClusterSnapshot, InstanceSnapshot
from .spec import PlacementStrategy, StrategyType
from .stages import Strategy, keep_lowest


@dataclass(frozen=True)
class Binpack:
    """Least remaining ``resource`` first: fills instances up and keeps the number in use low."""

    resource: str  # "cpu" or "memory"

    def narrow(
        self,
        pool: Sequence[InstanceSnapshot],
        cluster: ClusterSnapshot,
        request: TaskRequest,
        rng: random.Random,
    ) -> Sequence[InstanceSnapshot]:
        if self.resource == "cpu":
            return keep_lowest(pool, [i.remaining_cpu for i in pool])
        return keep_lowest(pool, [i.remaining_memory for i in pool])

    def __str__(self) -> str:
        return f"binpack({self.resource})"


@dataclass(frozen=True)
class SpreadInstances:
    """Fewest tasks of the task's group on the instance itself (``instanceId``, ``host``)."""

    def narrow(
        self,
        pool: Sequence[InstanceSnapshot],
        cluster: ClusterSnapshot,
        request: TaskRequest,
        rng: random.Random,
    ) -> Sequence[InstanceSnapshot]:
        group = request.group
        return keep_lowest(pool, [i.group_counts.get(group, 0) for i in pool])

    def __str__(self) -> str:
        return "spread(instanceId)"


@dataclass(frozen=True)
class SpreadAttribute:
    """Fewest tasks of the group per value of the attribute, counted over the whole cluster.

    Instances lacking the attribute rank after every instance that has it (decision 1): they are
    used only when nothing that has it fits.
    """

    attribute: str

    def narrow(
        self,
        pool: Sequence[InstanceSnapshot],
        cluster: ClusterSnapshot,
        request: TaskRequest,
        rng: random.Random,
    ) -> Sequence[InstanceSnapshot]:
        load = _Load(cluster.tasks_by_value(request.group, self.attribute))
        attribute = self.attribute
        return keep_lowest(pool, [load[i.attributes.get(attribute)] for i in pool])

    def __str__(self) -> str:
        return f"spread(attribute:{self.attribute})"


class _Load(dict[str | None, float]):
    """Tasks of the group per attribute value, looked up per instance; None (lacking it) last."""

    def __init__(self, counts: Mapping[str | None, int]) -> None:
        super().__init__({None: math.inf})
        self._counts = counts

    def __missing__(self, value: str) -> float:
        load = self[value] = self._counts.get(value, 0)
        return load


@dataclass(frozen=True)
class RandomChoice:
    """One instance uniformly at random from the injected generator."""

    def narrow(
        self,
        pool: Sequence[InstanceSnapshot],
        cluster: ClusterSnapshot,
        request: TaskRequest,
        rng: random.Random,
    ) -> Sequence[InstanceSnapshot]:
        return pool if len(pool) <= 1 else [rng.choice(pool)]

    def __str__(self) -> str:
        return "random"


def strategy_for(spec: PlacementStrategy) -> Strategy:
    """The registry: a validated :class:`PlacementStrategy` → the stage that applies it."""
    if spec.type is StrategyType.BINPACK:
        return Binpack(spec.field or "memory")
    if spec.type is StrategyType.RANDOM:
        return RandomChoice()
    if spec.attribute is not None:
        return SpreadAttribute(spec.attribute)
    return SpreadInstances()
