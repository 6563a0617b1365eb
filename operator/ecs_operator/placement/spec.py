"""Placement strategies and constraints as ECS spells them, validated and parsed once.

A ``memberOf`` expression is parsed when its :class:`PlacementConstraint` is built (parse once,
evaluate per instance: style.md habit 5), and parses are memoised by text, so the many requests a
service makes from one spec share one parsed expression. Limits are ECS's (ecs-semantics §1.4).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any, TypeVar

from ecs_operator.query import Expression, parse

from .snapshot import AVAILABILITY_ZONE, LaunchType

_E = TypeVar("_E", bound=StrEnum)

MAX_STRATEGIES = 5
MAX_CONSTRAINTS = 10
MAX_EXPRESSION_LENGTH = 2000


class PlacementSpecError(ValueError):
    """A strategy, constraint or task request that ECS would refuse."""


class StrategyType(StrEnum):
    BINPACK = "binpack"
    SPREAD = "spread"
    RANDOM = "random"


class ConstraintType(StrEnum):
    DISTINCT_INSTANCE = "distinctInstance"
    MEMBER_OF = "memberOf"


class TaskKind(StrEnum):
    """Who asks: the service scheduler or RunTask; they differ only in their defaults (§1.3)."""

    SERVICE = "service"
    STANDALONE = "standalone"


_BINPACK_FIELDS = {"cpu": "cpu", "memory": "memory"}
_INSTANCE_FIELDS = {"instanceid": "instanceId", "host": "instanceId"}
_ATTRIBUTE_PREFIX = "attribute:"


@dataclass(frozen=True, slots=True)
class PlacementStrategy:
    """``{type, field}``; the field is normalised (``host`` → ``instanceId``, ``CPU`` → ``cpu``)."""

    type: StrategyType
    field: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", StrategyType(self.type))
        object.__setattr__(self, "field", _normalised_field(self.type, self.field))

    @property
    def attribute(self) -> str | None:
        """For ``spread`` on ``attribute:<name>``: the attribute name."""
        f = self.field or ""
        return f[len(_ATTRIBUTE_PREFIX) :] if f.startswith(_ATTRIBUTE_PREFIX) else None

    def __str__(self) -> str:
        return f"{self.type}({self.field})" if self.field else str(self.type)

    def to_object(self) -> dict[str, str]:
        return {"type": str(self.type), "field": self.field} if self.field else {"type": str(self.type)}


def _normalised_field(kind: StrategyType, value: str | None) -> str | None:
    if kind is StrategyType.RANDOM:
        return None  # ECS ignores the field of random
    if not value:
        raise PlacementSpecError(f"placement strategy {kind} needs a field")
    if kind is StrategyType.BINPACK:
        if value.lower() not in _BINPACK_FIELDS:
            raise PlacementSpecError(f"binpack field must be cpu or memory, not {value!r}")
        return _BINPACK_FIELDS[value.lower()]
    if value.lower() in _INSTANCE_FIELDS:
        return _INSTANCE_FIELDS[value.lower()]
    if value.startswith(_ATTRIBUTE_PREFIX) and len(value) > len(_ATTRIBUTE_PREFIX):
        return value
    raise PlacementSpecError(f"spread field must be instanceId, host or attribute:<name>, not {value!r}")


def binpack(resource: str) -> PlacementStrategy:
    return PlacementStrategy(StrategyType.BINPACK, resource)


def spread(field_: str) -> PlacementStrategy:
    return PlacementStrategy(StrategyType.SPREAD, field_)


def random_strategy() -> PlacementStrategy:
    return PlacementStrategy(StrategyType.RANDOM)


SPREAD_ZONES = spread(f"{_ATTRIBUTE_PREFIX}{AVAILABILITY_ZONE}")
SPREAD_INSTANCES = spread("instanceId")


def default_strategies(
    kind: TaskKind, launch_type: LaunchType = LaunchType.EC2
) -> tuple[PlacementStrategy, ...]:
    """What applies when the spec omits ``placementStrategy`` (ecs-semantics §1.3, decision 2).

    Services spread across zones; RunTask is random. Fargate takes no strategies (§8.3): the
    engine spreads Fargate tasks across zones by itself. An *explicitly empty* list on a service
    is different: it asks for ECS's no-strategy behaviour (see ``pipeline.effective_strategies``).
    """
    if launch_type is LaunchType.FARGATE:
        return ()
    return (SPREAD_ZONES,) if kind is TaskKind.SERVICE else (random_strategy(),)


@lru_cache(maxsize=1024)
def _parse(expression: str) -> Expression:
    return parse(expression)


@dataclass(frozen=True, slots=True)
class PlacementConstraint:
    """``{type, expression}``; a memberOf expression is parsed here (QuerySyntaxError if bad)."""

    type: ConstraintType
    expression: str | None = None
    parsed: Expression | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", ConstraintType(self.type))
        if self.type is ConstraintType.DISTINCT_INSTANCE:
            if self.expression:
                raise PlacementSpecError("distinctInstance takes no expression")
            return
        if not self.expression or not self.expression.strip():
            raise PlacementSpecError("memberOf needs an expression")
        if len(self.expression) > MAX_EXPRESSION_LENGTH:
            raise PlacementSpecError(f"a memberOf expression is at most {MAX_EXPRESSION_LENGTH} characters")
        object.__setattr__(self, "parsed", _parse(self.expression))

    def __str__(self) -> str:
        return f"{self.type}({self.expression})" if self.expression else str(self.type)

    def to_object(self) -> dict[str, str]:
        out = {"type": str(self.type)}
        return out | {"expression": self.expression} if self.expression else out


def distinct_instance() -> PlacementConstraint:
    return PlacementConstraint(ConstraintType.DISTINCT_INSTANCE)


def member_of(expression: str) -> PlacementConstraint:
    return PlacementConstraint(ConstraintType.MEMBER_OF, expression)


def strategies_from_spec(items: Iterable[Mapping[str, Any]]) -> tuple[PlacementStrategy, ...]:
    """``placementStrategy`` as written in a spec (camelCase dicts) → validated strategies."""
    out = tuple(PlacementStrategy(_type(item, StrategyType), item.get("field")) for item in items)
    if len(out) > MAX_STRATEGIES:
        raise PlacementSpecError(f"at most {MAX_STRATEGIES} placement strategies, got {len(out)}")
    return out


def constraints_from_spec(items: Iterable[Mapping[str, Any]]) -> tuple[PlacementConstraint, ...]:
    """``placementConstraints`` as written in a spec → validated constraints (QuerySyntaxError as is)."""
    out = tuple(PlacementConstraint(_type(item, ConstraintType), item.get("expression")) for item in items)
    if len(out) > MAX_CONSTRAINTS:
        raise PlacementSpecError(f"at most {MAX_CONSTRAINTS} placement constraints, got {len(out)}")
    return out


def _type(item: Mapping[str, Any], enum: type[_E]) -> _E:
    try:
        return enum(item["type"])
    except (KeyError, ValueError):
        allowed = ", ".join(str(e) for e in enum)
        raise PlacementSpecError(f"type must be one of {allowed}: {dict(item)!r}") from None
