"""The evaluator: a syntax tree compiled once into nested closures, then called per instance.

Compiling resolves everything that does not depend on the instance (which subject to read, which
comparison, the parsed literal, the compiled pattern) so that evaluating is a few attribute reads
and comparisons. The meaning of each operator on each subject:

- **Missing subject** (an attribute the instance lacks, no agentVersion, no registeredAt):
  ``==``, ordered comparisons, ``in`` and ``=~`` are false; every negative operator (``!=``,
  ``!in``, ``!~``, ``!exists``) is exactly the negation of its positive one, hence true.
- **task:group** is many-valued: a positive operator holds when *some* group of the instance's
  tasks satisfies it (``== X`` runs a task of group X, ``in [..]`` runs one of them, ``=~`` one
  matches), ``exists`` when the instance runs any task; negatives hold when none does.
- **agentConnected** is compared as the string ``"true"`` or ``"false"``.
- Comparison semantics of numbers, versions and dates: :mod:`.values`.
"""

from __future__ import annotations

from collections.abc import Callable

from .ast import And, Condition, Count, Moment, Node, Not, Pattern, SubjectKind, Text, Version
from .subjects import Subjects
from .tokens import NEGATED, Operator
from .values import parse_number, parse_version, sign, utc

__all__ = ["Predicate", "compile_node"]

Predicate = Callable[[Subjects], bool]
_Test = Callable[[str], bool]

# Whether a comparison holds, given sign(instance value, literal).
_HOLDS: dict[Operator, Callable[[int], bool]] = {
    Operator.EQ: lambda s: s == 0,
    Operator.GT: lambda s: s > 0,
    Operator.GE: lambda s: s >= 0,
    Operator.LT: lambda s: s < 0,
    Operator.LE: lambda s: s <= 0,
}


def compile_node(node: Node) -> Predicate:
    """A predicate equivalent to ``node``."""
    if isinstance(node, Condition):
        positive = NEGATED.get(node.operator)
        if positive is None:
            return _condition(node, node.operator)
        inner = _condition(node, positive)
        return lambda s: not inner(s)
    if isinstance(node, Not):
        operand = compile_node(node.operand)
        return lambda s: not operand(s)
    parts = tuple(compile_node(operand) for operand in node.operands)
    if isinstance(node, And):
        return lambda s: all(part(s) for part in parts)
    return lambda s: any(part(s) for part in parts)


def _condition(node: Condition, operator: Operator) -> Predicate:
    """The predicate for ``node`` read with a positive ``operator``."""
    kind, argument = node.subject.kind, node.argument
    name = node.subject.name
    if operator is Operator.EXISTS:
        if kind is SubjectKind.ATTRIBUTE:
            return lambda s: s.attribute(name) is not None
        return lambda s: len(s.task_groups) > 0
    if isinstance(argument, Count):
        holds, count = _HOLDS[operator], argument.value
        return lambda s: holds(sign(s.running_tasks_count, count))
    if isinstance(argument, Version):
        return _version(_HOLDS[operator], argument)
    if isinstance(argument, Moment):
        return _moment(_HOLDS[operator], argument)
    if kind is SubjectKind.TASK_GROUP:
        if operator is Operator.EQ and isinstance(argument, Text):
            group = argument.text
            return lambda s: group in s.task_groups
        test = _text_test(operator, argument)
        return lambda s: any(test(g) for g in s.task_groups)
    test = _text_test(operator, argument)
    if kind is SubjectKind.ATTRIBUTE:

        def attribute(s: Subjects) -> bool:
            value = s.attribute(name)
            return value is not None and test(value)

        return attribute
    if kind is SubjectKind.AGENT_CONNECTED:
        return lambda s: test("true" if s.agent_connected else "false")
    return lambda s: test(s.ec2_instance_id)


def _text_test(operator: Operator, argument: object) -> _Test:
    """The test of one string value against a string literal, list or pattern."""
    if isinstance(argument, Pattern):
        fullmatch = argument.regex.fullmatch  # whole-string, like Java's String.matches
        return lambda v: fullmatch(v) is not None
    if isinstance(argument, tuple):
        choices = frozenset(item.text for item in argument if isinstance(item, Text))
        return lambda v: v in choices
    if not isinstance(argument, Text):
        raise TypeError(f"no string comparison {operator.value} with {argument!r}")
    text = argument.text
    if operator is Operator.EQ:
        return lambda v: v == text
    holds, number = _HOLDS[operator], argument.number

    def ordered(value: str) -> bool:
        if number is not None and (value_number := parse_number(value)) is not None:
            return holds(sign(value_number, number))
        return holds(sign(value, text))

    return ordered


def _version(holds: Callable[[int], bool], argument: Version) -> Predicate:
    key = argument.key

    def version(s: Subjects) -> bool:
        value = s.agent_version
        value_key = None if value is None else parse_version(value)
        return value_key is not None and holds(sign(value_key, key))

    return version


def _moment(holds: Callable[[int], bool], argument: Moment) -> Predicate:
    at, day, date_only = argument.at, argument.at.date(), argument.date_only

    def moment(s: Subjects) -> bool:
        value = s.registered_at
        instant = None if value is None else utc(value)
        if instant is None:
            return False
        if date_only:
            return holds(sign(instant.date(), day))
        return holds(sign(instant, at))

    return moment
