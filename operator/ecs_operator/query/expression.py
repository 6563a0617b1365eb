"""A parsed expression: the text as written, its syntax tree and the compiled predicate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .ast import Node
from .evaluate import Predicate, compile_node
from .select import Select, compile_select
from .subjects import Subjects

S = TypeVar("S", bound=Subjects)

__all__ = ["Expression"]


@dataclass(frozen=True)
class Expression:
    """Parse once with :func:`~ecs_operator.query.parse`, then :meth:`evaluate` per instance."""

    text: str  # the original expression
    root: Node
    _predicate: Predicate = field(init=False, repr=False, compare=False)
    _select: Select[Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_predicate", compile_node(self.root))
        object.__setattr__(self, "_select", compile_select(self.root))

    def evaluate(self, subjects: Subjects) -> bool:
        """Whether the instance described by ``subjects`` satisfies the expression."""
        return self._predicate(subjects)

    def select(self, pool: Sequence[S]) -> list[S]:
        """The members of ``pool`` that satisfy the expression, in pool order (:mod:`.select`).

        The same answer as :meth:`evaluate` on each member, at a fraction of the cost per member.
        """
        selected: list[S] = self._select(pool)
        return selected

    def __str__(self) -> str:
        return self.text

    def __reduce__(self) -> tuple[type[Expression], tuple[str, Node]]:
        # The compiled predicate is made of closures; pickle and deepcopy rebuild it instead.
        return (type(self), (self.text, self.root))
