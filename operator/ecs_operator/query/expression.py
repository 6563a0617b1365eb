"""A parsed expression: the text as written, its syntax tree and the compiled predicate."""

from __future__ import annotations

from dataclasses import dataclass, field

from .ast import Node
from .evaluate import Predicate, compile_node
from .subjects import Subjects

__all__ = ["Expression"]


@dataclass(frozen=True)
class Expression:
    """Parse once with :func:`~ecs_operator.query.parse`, then :meth:`evaluate` per instance."""

    text: str  # the original expression
    root: Node
    _predicate: Predicate = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_predicate", compile_node(self.root))

    def evaluate(self, subjects: Subjects) -> bool:
        """Whether the instance described by ``subjects`` satisfies the expression."""
        return self._predicate(subjects)

    def __str__(self) -> str:
        return self.text

    def __reduce__(self) -> tuple[type[Expression], tuple[str, Node]]:
        # The compiled predicate is made of closures; pickle and deepcopy rebuild it instead.
        return (type(self), (self.text, self.root))
