"""Capacity provider strategies: which provider each task of a group goes to (ECS: base, then weight).

Why a module of its own: a strategy decides *which pool* a task uses before placement decides
*which instance* of that pool; strategies and constraints then apply within the provider's
instances only (architecture.md §4 runs once per provider). ECS documents the rule
(`CapacityProviderStrategyItem`, ecs-semantics §4):

- a strategy holds 1–20 items ``{capacityProvider, base 0–100000, weight 0–1000}``;
- only one item may set a ``base``; that many tasks go to its provider first;
- the remaining tasks are divided by ``weight``; a weight of 0 means the provider gets no task
  beyond its base, and a strategy of several providers whose weights are all 0 is refused (the
  API reference says so of several; a strategy of one provider places every task there).

The split is computed for a whole group (a service, a RunTask with a count): :func:`targets` says
how many of ``total`` tasks each provider should hold; :func:`choose` picks the provider of one
more task (the one furthest below its target for the new total) and :func:`shed` the provider that
loses a task on scale-in (the one furthest above its target for the smaller total), so a service
keeps its split as it scales out and in. Ties go to the earlier item of the strategy; the remainder
of the weighted division goes to the largest fractional shares (largest-remainder method), so
every function is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

MAX_ITEMS = 20
MAX_BASE = 100_000
MAX_WEIGHT = 1_000
FARGATE = "FARGATE"
FARGATE_SPOT = "FARGATE_SPOT"
BUILT_IN = (FARGATE, FARGATE_SPOT)

ONLY_ONE_BASE = "Only one capacity provider in a capacity provider strategy can have a base defined."
ALL_WEIGHTS_ZERO = (
    "At least one of the capacity providers in a capacity provider strategy must have a weight "
    "value greater than zero."
)


class StrategyError(ValueError):
    """A capacity provider strategy that ECS refuses."""


@dataclass(frozen=True, slots=True)
class StrategyItem:
    """One ``CapacityProviderStrategyItem``."""

    provider: str
    base: int = 0
    weight: int = 0


@dataclass(frozen=True, slots=True)
class Strategy:
    """A validated capacity provider strategy (the items in the order the user gave them)."""

    items: tuple[StrategyItem, ...]

    def __post_init__(self) -> None:
        problems = _problems(self.items)
        if problems:
            raise StrategyError("; ".join(problems))

    @property
    def providers(self) -> tuple[str, ...]:
        return tuple(item.provider for item in self.items)

    @property
    def fargate(self) -> bool:
        """Every provider is a built-in Fargate one (ECS does not mix them with instance providers)."""
        return all(p in BUILT_IN for p in self.providers)


def strategy_from_spec(items: Iterable[Mapping[str, Any]]) -> Strategy:
    """A strategy from its wire form (``capacityProvider``, ``base``, ``weight``)."""
    return Strategy(
        tuple(
            StrategyItem(str(i["capacityProvider"]), int(i.get("base") or 0), int(i.get("weight") or 0))
            for i in items
        )
    )


def _problems(items: Sequence[StrategyItem]) -> list[str]:
    problems: list[str] = []
    if not 1 <= len(items) <= MAX_ITEMS:
        problems.append(f"a capacity provider strategy holds 1 to {MAX_ITEMS} capacity providers")
    names = [i.provider for i in items]
    if len(set(names)) != len(names):
        problems.append("a capacity provider appears more than once in the strategy")
    if any(not 0 <= i.base <= MAX_BASE for i in items):
        problems.append(f"base is 0 to {MAX_BASE}")
    if any(not 0 <= i.weight <= MAX_WEIGHT for i in items):
        problems.append(f"weight is 0 to {MAX_WEIGHT}")
    if sum(1 for i in items if i.base > 0) > 1:
        problems.append(ONLY_ONE_BASE)
    if len(items) > 1 and all(i.weight == 0 for i in items):
        problems.append(ALL_WEIGHTS_ZERO)
    return problems


def targets(strategy: Strategy, total: int) -> dict[str, int]:
    """How many of ``total`` tasks each provider should hold: the base first, then by weight."""
    out = {item.provider: 0 for item in strategy.items}
    rest = total
    for item in strategy.items:  # at most one item has a base
        if item.base > 0:
            out[item.provider] = min(item.base, rest)
            rest -= out[item.provider]
    weighted = [item for item in strategy.items if item.weight > 0]
    if not weighted:  # a strategy of one provider, weight 0: every task goes there
        weighted = [StrategyItem(strategy.items[0].provider, 0, 1)]
    whole = sum(item.weight for item in weighted)
    shares = [(item.provider, Fraction(rest * item.weight, whole)) for item in weighted]
    for provider, share in shares:
        out[provider] += int(share)
    left = rest - sum(int(share) for _, share in shares)
    # Largest remainder first; sorted() is stable, so equal remainders keep the strategy's order.
    by_remainder = sorted(shares, key=lambda ps: ps[1] - int(ps[1]), reverse=True)
    for provider, _ in by_remainder[:left]:
        out[provider] += 1
    return out


def choose(strategy: Strategy, counts: Mapping[str, int]) -> str:
    """The provider of one more task, given how many tasks of the group each provider holds."""
    current = {p: counts.get(p, 0) for p in strategy.providers}
    goal = targets(strategy, sum(current.values()) + 1)
    best = max(strategy.providers, key=lambda p: (goal[p] - current[p], -strategy.providers.index(p)))
    return best


def split(strategy: Strategy, count: int, counts: Mapping[str, int] | None = None) -> list[str]:
    """The providers of ``count`` new tasks, in order, on top of ``counts`` already held."""
    held = dict(counts or {})
    out: list[str] = []
    for _ in range(count):
        provider = choose(strategy, held)
        held[provider] = held.get(provider, 0) + 1
        out.append(provider)
    return out


def shed(strategy: Strategy, counts: Mapping[str, int]) -> str | None:
    """The provider that gives up a task on scale-in: first one outside the strategy, then the one
    furthest above its target for the smaller total (ties: the later item of the strategy, the
    reverse of :func:`choose`). None when no provider holds a task."""
    held = {p: n for p, n in counts.items() if n > 0}
    if not held:
        return None
    outside = sorted(p for p in held if p not in strategy.providers)
    if outside:
        return outside[0]
    goal = targets(strategy, sum(held.values()) - 1)
    order = strategy.providers
    return max(held, key=lambda p: (held[p] - goal[p], order.index(p)))
