"""The placement pipeline (architecture.md §4), assembled in one constructor.

For each task: every instance runs the chain of feasibility checks until one rejects it (its
:class:`Verdict` keeps the reason and how far it got); the feasible ones are narrowed by the
strategies in order; a final tie-break picks uniformly from the injected ``random.Random``.

Placing N tasks places one at a time (ecs-semantics §1.1). A placement only changes the instance
it lands on, and every check depends only on the instance and the request, so after the first
task only that one instance is judged again: N tasks on M instances cost O(M × checks) once plus
O(M) per task for the strategies.

The feasible instances are found with each check's bulk form (stages.BulkCheck): one list
comprehension per check over the instances still feasible, instead of a chain of calls per
instance. Reasons are worked out per instance only when someone reads them: when a task cannot be
placed (every instance's verdict), for explain, and for the instance a placement just changed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeGuard

from . import ranking
from .constraints import DistinctInstance, MemberOf
from .filters import (
    AgentConnected,
    Compatible,
    EnoughCpu,
    EnoughMemory,
    FreePorts,
    InstanceActive,
    LaunchTypeMatches,
    assign_dynamic_ports,
)
from .reasons import PlacementFailure, Rejection, Verdict
from .request import TaskRequest
from .snapshot import Claim, ClusterSnapshot, InstanceSnapshot, LaunchType
from .spec import SPREAD_INSTANCES, SPREAD_ZONES, PlacementStrategy, TaskKind, random_strategy
from .stages import BulkCheck, FeasibilityCheck, InstanceCheck, Keep, Strategy
from .strategies import strategy_for


@dataclass(frozen=True, slots=True)
class Placement:
    """Where one task goes, and the claim to commit there (dynamic ports already assigned)."""

    instance: str
    claim: Claim


@dataclass(frozen=True)
class PlacementResult:
    """``placements`` in order; ``snapshot`` holds them as provisional claims; ``failure`` says
    why the next task could not be placed (the rest were not tried: they would fail the same way).
    """

    requested: int
    placements: tuple[Placement, ...]
    snapshot: ClusterSnapshot
    failure: PlacementFailure | None = None

    @property
    def unplaced(self) -> int:
        return self.requested - len(self.placements)


@dataclass(frozen=True)
class StrategyStep:
    """For explain: a strategy and the instances it kept."""

    strategy: str
    kept: tuple[str, ...]


def effective_strategies(request: TaskRequest) -> tuple[PlacementStrategy, ...]:
    """The chain the engine applies: the request's, or ECS's behaviour when it gives none.

    Fargate takes no strategies and ECS spreads its tasks across zones (§8.3); a service with no
    strategy at all fills the zone, then the instance, with the fewest of its tasks (§1.3); RunTask
    is random (decision 2).
    """
    if request.launch_type is LaunchType.FARGATE or (
        not request.strategies and request.kind is TaskKind.SERVICE
    ):
        return (SPREAD_ZONES, SPREAD_INSTANCES)
    return request.strategies or (random_strategy(),)


class PlacementEngine:
    """The checks in order, and the strategies; stateless apart from that, so one can be shared."""

    def __init__(self) -> None:
        self.checks: tuple[FeasibilityCheck, ...] = (
            # 1. Candidates. Status, then agent: ECS never considers a DRAINING/INACTIVE instance,
            #    and a disconnected agent is the next most basic defect (reason AGENT). Launch type
            #    before compatibility: Fargate capacity is a different pool, not a different host.
            InstanceActive(),
            AgentConnected(),
            LaunchTypeMatches(),
            Compatible(),
            # 2. Resources, after candidates: ECS's own order (§1.1). CPU, memory, then ports, the
            #    order ECS lists the RESOURCE:* reasons; when several run short the first is named.
            EnoughCpu(),
            EnoughMemory(),
            FreePorts(),
            # 3. Hard constraints last (§1.1: the constraint filter follows the resource filter).
            #    memberOf before distinctInstance: an instance outside the memberOf set is further
            #    from fitting than one that merely runs a task of the group already, so the closest
            #    match names the more useful reason.
            MemberOf(),
            DistinctInstance(),
        )

    def bind(self, request: TaskRequest) -> list[tuple[int, InstanceCheck]]:
        """The checks with something to verify for ``request``, with their position in the chain."""
        bound = ((n, check.bind(request)) for n, check in enumerate(self.checks))
        return [(n, c) for n, c in bound if c is not None]

    def bind_keep(self, request: TaskRequest) -> list[Keep]:
        """The pool filters of the checks with something to verify for ``request``, in order."""
        keeps: list[Keep] = []
        for check in self.checks:
            if _bulk(check):
                keep = check.bind_keep(request)
            else:  # a check with no bulk form: its per-instance form, once per instance
                one = check.bind(request)
                keep = None if one is None else _keep_each(one)
            if keep is not None:
                keeps.append(keep)
        return keeps

    def feasible(self, request: TaskRequest, instances: Sequence[InstanceSnapshot]) -> list[InstanceSnapshot]:
        """The instances on which ``request`` fits, in the order given."""
        pool = list(instances)
        for keep in self.bind_keep(request):
            if not pool:
                break
            pool = keep(pool)
        return pool

    def judge(self, bound: Sequence[tuple[int, InstanceCheck]], instance: InstanceSnapshot) -> Verdict:
        outcome = _first_rejection(bound, instance)
        return (
            Verdict(instance.name, len(self.checks)) if outcome is None else Verdict(instance.name, *outcome)
        )

    def evaluate(self, cluster: ClusterSnapshot, request: TaskRequest) -> tuple[Verdict, ...]:
        bound = self.bind(request)
        return tuple(self.judge(bound, inst) for inst in cluster)

    def strategies(self, request: TaskRequest) -> tuple[Strategy, ...]:
        return tuple(strategy_for(spec) for spec in effective_strategies(request))

    def select(
        self,
        pool: Sequence[InstanceSnapshot],
        cluster: ClusterSnapshot,
        request: TaskRequest,
        strategies: Sequence[Strategy],
        rng: random.Random,
        trace: list[StrategyStep] | None = None,
    ) -> InstanceSnapshot:
        """Narrow a non-empty pool of feasible instances by each strategy, then break ties."""
        for strategy in strategies:
            pool = strategy.narrow(pool, cluster, request, rng)
            if trace is not None:
                trace.append(StrategyStep(str(strategy), tuple(i.name for i in pool)))
        return pool[0] if len(pool) == 1 else rng.choice(pool)

    def place(
        self, cluster: ClusterSnapshot, request: TaskRequest, count: int = 1, rng: random.Random | None = None
    ) -> PlacementResult:
        rng = rng if rng is not None else random.Random()
        bound = self.bind(request)
        strategies = self.strategies(request)
        if count > 1 and ranking.plan(strategies):
            return self._place_ranked(cluster, request, count, rng, bound, strategies)
        return self._place_each(cluster, request, count, rng, bound, strategies)

    def _place_each(
        self,
        cluster: ClusterSnapshot,
        request: TaskRequest,
        count: int,
        rng: random.Random,
        bound: Sequence[tuple[int, InstanceCheck]],
        strategies: Sequence[Strategy],
    ) -> PlacementResult:
        """The generic loop: :meth:`select` over the whole feasible pool for every task.

        It is the reference :meth:`_place_ranked` must match (tests compare the two), and the path
        of a single task and of any chain with ``random``.
        """
        pool = self.feasible(request, cluster.instances)
        if count == 1:  # one task (a RunTask, a service's task): no pool to keep for a next one
            if not pool:
                failure = PlacementFailure(request.task, _rejections(bound, cluster))
                return PlacementResult(count, (), cluster, failure)
            chosen = self.select(pool, cluster, request, strategies, rng)
            claim = _claim(request, chosen, 0, count)
            placement = Placement(chosen.name, claim)
            return PlacementResult(count, (placement,), cluster.with_instance(chosen.with_claim(claim)))
        feasible = {inst.name: inst for inst in pool}
        placements: list[Placement] = []
        for n in range(count):
            if not feasible:
                failure = PlacementFailure(request.task, _rejections(bound, cluster))
                return PlacementResult(count, tuple(placements), cluster, failure)
            chosen = self.select(list(feasible.values()), cluster, request, strategies, rng)
            claim = _claim(request, chosen, n, count)
            updated = chosen.with_claim(claim)
            cluster = cluster.with_instance(updated)
            placements.append(Placement(chosen.name, claim))
            if _first_rejection(bound, updated) is None:
                feasible[chosen.name] = updated
            else:
                del feasible[chosen.name]
        return PlacementResult(count, tuple(placements), cluster)

    def _place_ranked(
        self,
        cluster: ClusterSnapshot,
        request: TaskRequest,
        count: int,
        rng: random.Random,
        bound: Sequence[tuple[int, InstanceCheck]],
        strategies: Sequence[Strategy],
    ) -> PlacementResult:
        """:meth:`place` for a batch whose chain :class:`~.ranking.BatchRanking` models.

        Same decisions, same order, same draws from ``rng`` as the generic loop above (the tied
        pool is the same list in the same order); what changes is the cost per task: no pass over
        the feasible pool, and the snapshot is rebuilt once at the end, not once per task.
        """
        instances = cluster.instances
        feasible = [cluster.position(inst.name) for inst in self.feasible(request, instances)]
        ranked = ranking.BatchRanking(cluster, request, strategies, feasible)
        current: dict[int, InstanceSnapshot] = {}  # the instances this batch changed, by position
        placements: list[Placement] = []
        for n in range(count):
            pool = ranked.pool()
            if not pool:
                cluster = cluster.with_instances(current.values())
                failure = PlacementFailure(request.task, _rejections(bound, cluster))
                return PlacementResult(count, tuple(placements), cluster, failure)
            position = pool[0] if len(pool) == 1 else rng.choice(pool)
            chosen = current.get(position, instances[position])
            claim = _claim(request, chosen, n, count)
            updated = chosen.with_claim(claim)
            current[position] = updated
            placements.append(Placement(chosen.name, claim))
            ranked.placed(position, updated, _first_rejection(bound, updated) is None)
        return PlacementResult(count, tuple(placements), cluster.with_instances(current.values()))


def _first_rejection(
    bound: Sequence[tuple[int, InstanceCheck]], instance: InstanceSnapshot
) -> tuple[int, Rejection] | None:
    """The position and reason of the first check that rejects ``instance``; None if all pass."""
    for position, check in bound:
        rejection = check(instance)
        if rejection is not None:
            return position, rejection
    return None


_BULK: dict[type, bool] = {}


def _bulk(check: FeasibilityCheck) -> TypeGuard[BulkCheck]:
    """Whether ``check`` has a bulk form; asked once per class (a Protocol's isinstance is slow)."""
    kind = type(check)
    if kind not in _BULK:
        _BULK[kind] = isinstance(check, BulkCheck)
    return _BULK[kind]


def _rejections(bound: Sequence[tuple[int, InstanceCheck]], cluster: ClusterSnapshot) -> tuple[Verdict, ...]:
    """Every instance's verdict when none is feasible: the first check that rejects each."""
    verdicts: list[Verdict] = []
    for inst in cluster:
        outcome = _first_rejection(bound, inst)
        if outcome is None:  # the bulk and per-instance forms of a check disagree: a bug
            raise AssertionError(f"{inst.name} is feasible by its checks but was not kept")
        verdicts.append(Verdict(inst.name, *outcome))
    return tuple(verdicts)


def _keep_each(check: InstanceCheck) -> Keep:
    return lambda pool: [i for i in pool if check(i) is None]


def _claim(request: TaskRequest, instance: InstanceSnapshot, n: int, count: int) -> Claim:
    uid = request.task_uid if count == 1 else f"{request.task_uid or request.task}#{n + 1}"
    tcp = assign_dynamic_ports(instance.used_ports, request.ports, request.dynamic_ports)
    udp = assign_dynamic_ports(instance.used_ports_udp, request.ports_udp, request.dynamic_ports_udp)
    return Claim(
        task_uid=uid,
        task=request.task,
        group=request.group,
        cpu=request.cpu,
        memory=request.memory,
        ports=tuple(sorted(request.ports)) + tcp,
        ports_udp=tuple(sorted(request.ports_udp)) + udp,
    )


DEFAULT_ENGINE = PlacementEngine()


def place(
    snapshot: ClusterSnapshot, request: TaskRequest, count: int = 1, rng: random.Random | None = None
) -> PlacementResult:
    """Place ``count`` copies of ``request`` one at a time; pass a seeded ``rng`` to replay."""
    return DEFAULT_ENGINE.place(snapshot, request, count, rng)


def check(snapshot: ClusterSnapshot, request: TaskRequest, instance: str) -> Verdict:
    """Whether ``request`` fits on one named instance (StartTask: the caller chose it)."""
    engine = DEFAULT_ENGINE
    return engine.judge(engine.bind(request), snapshot.instance(instance))
