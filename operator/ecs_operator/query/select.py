"""Bulk evaluation: the members of a pool that satisfy an expression, one pass per condition.

The placement engine asks one question of thousands of instances at once ("which of these are
``memberOf``?"). Calling the compiled predicate of :mod:`.evaluate` per instance costs a chain of
closure calls each time (the expression, ``and``, the condition, the subject, the test); here the
tree is compiled into filters over a whole list instead:

- a condition on an **attribute** reads the value of every member in one list comprehension and
  tests each *distinct* value once (a zone, an instance type: a handful of values for thousands of
  instances), remembered for the length of one call only, so nothing grows across calls;
- ``task:group == X`` is one membership test per member;
- ``and`` filters the pool by each operand in turn, so later operands see only the survivors
  (the short-circuit of the scalar form); ``or`` keeps a member when some operand keeps it and
  passes to the next operand only the members not yet kept; ``not`` keeps what its operand drops;
- any other condition keeps a member when the scalar predicate of :mod:`.evaluate` holds.

The result is exactly ``[s for s in pool if expression.evaluate(s)]``, in pool order (a property
test compares the two on random trees and instances); members are compared by identity.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from .ast import And, Condition, Node, Not, Pattern, SubjectKind, Text
from .evaluate import compile_node
from .subjects import Subjects
from .tokens import NEGATED, Operator

__all__ = ["Select", "compile_select"]

S = TypeVar("S", bound=Subjects)
Select = Callable[[Sequence[S]], list[S]]
_Test = Callable[[str], bool]


def compile_select(node: Node) -> Select[S]:
    """A filter equivalent to keeping the members ``node`` holds for."""
    if isinstance(node, Condition):
        return _condition(node, False)
    if isinstance(node, Not) and isinstance(node.operand, Condition):
        return _condition(node.operand, True)  # one pass, not a pass and a difference
    if isinstance(node, Not):
        operand: Select[S] = compile_select(node.operand)
        return lambda pool: _without(pool, operand(pool))
    parts: tuple[Select[S], ...] = tuple(compile_select(operand) for operand in node.operands)
    if isinstance(node, And):

        def all_of(pool: Sequence[S]) -> list[S]:
            kept = list(pool)
            for part in parts:
                if not kept:
                    break
                kept = part(kept)
            return kept

        return all_of

    def any_of(pool: Sequence[S]) -> list[S]:
        rest: Sequence[S] = pool
        kept: set[int] = set()
        for part in parts:
            if not rest:
                break
            chosen = {id(s) for s in part(rest)}
            if chosen:
                kept |= chosen
                rest = [s for s in rest if id(s) not in chosen]
        return [s for s in pool if id(s) in kept]

    return any_of


def _without(pool: Sequence[S], dropped: list[S]) -> list[S]:
    if not dropped:
        return list(pool)
    ids = {id(s) for s in dropped}
    return [s for s in pool if id(s) not in ids]


def _condition(node: Condition, outer_not: bool) -> Select[S]:
    """The filter of ``node``, or of ``not(node)`` when ``outer_not``.

    Every negative operator is the exact negation of its positive one (evaluate.py), so a
    condition is read as (positive operator, negated?) and ``not`` only flips the flag.
    """
    kind, operator, argument = node.subject.kind, node.operator, node.argument
    positive = NEGATED.get(operator)
    negated = (positive is not None) is not outer_not
    operator = positive or operator
    if kind is SubjectKind.ATTRIBUTE:
        test = _attribute_test(operator, argument)
        if test is not None:
            return _attribute(node.subject.name, test, negated)
    if kind is SubjectKind.TASK_GROUP and operator is Operator.EQ and isinstance(argument, Text):
        group = argument.text
        if negated:
            return lambda pool: [s for s in pool if group not in s.task_groups]
        return lambda pool: [s for s in pool if group in s.task_groups]
    predicate = compile_node(node)
    if not outer_not:
        return lambda pool: [s for s in pool if predicate(s)]
    return lambda pool: [s for s in pool if not predicate(s)]


def _attribute_test(operator: Operator, argument: object) -> _Test | None:
    """The test of one present value, for the operators whose test is a plain function of it."""
    if operator is Operator.EXISTS:
        return lambda v: True
    if isinstance(argument, Pattern):
        fullmatch = argument.regex.fullmatch  # whole-string, like Java's String.matches
        return lambda v: fullmatch(v) is not None
    if isinstance(argument, tuple):
        choices = frozenset(item.text for item in argument if isinstance(item, Text))
        return choices.__contains__
    if isinstance(argument, Text) and operator is Operator.EQ:
        text = argument.text
        return text.__eq__
    return None  # ordered comparisons: the scalar predicate, which knows numbers from strings


def _attribute(name: str, test: _Test, negated: bool) -> Select[S]:
    """Members whose attribute ``name`` is present and passes ``test`` (or, negated, the others).

    A missing attribute fails every positive test, so its negation holds (evaluate.py's rule).
    """

    def select(pool: Sequence[S]) -> list[S]:
        verdict = _Verdicts(test, negated)
        return [s for s in pool if verdict[s.attribute(name)]]

    return select


class _Verdicts(dict[str | None, bool]):
    """Each distinct value's verdict, worked out the first time the value is looked up."""

    def __init__(self, test: _Test, negated: bool) -> None:
        super().__init__({None: negated})
        self._test = test
        self._negated = negated

    def __missing__(self, value: str) -> bool:
        verdict = self[value] = self._test(value) is not self._negated
        return verdict
