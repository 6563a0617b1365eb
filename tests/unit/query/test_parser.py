"""The parser: operators and aliases, subjects and the operators they allow, precedence, literals."""

import pickle
from copy import deepcopy
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ecs_operator.query import MAX_EXPRESSION_LENGTH, Expression, QuerySyntaxError, StaticSubjects, parse
from ecs_operator.query.ast import (
    And,
    Condition,
    Count,
    Moment,
    Node,
    Not,
    Or,
    Subject,
    SubjectKind,
    Text,
    Version,
)
from ecs_operator.query.rules import ALLOWED
from ecs_operator.query.tokens import Operator


def shape(node: Node) -> str:
    """A compact rendering of a tree: conditions as written, groups made explicit."""
    if isinstance(node, Condition):
        argument = node.argument
        if argument is None:
            return f"{node.subject} {node.operator.value}"
        if isinstance(argument, tuple):
            return f"{node.subject} {node.operator.value} [{','.join(a.text for a in argument)}]"
        return f"{node.subject} {node.operator.value} {argument.text}"
    if isinstance(node, Not):
        return f"NOT({shape(node.operand)})"
    joiner = " AND " if isinstance(node, And) else " OR "
    return "{" + joiner.join(shape(o) for o in node.operands) + "}"


def error(text: str) -> QuerySyntaxError:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(text)
    return caught.value


A, B, C = "attribute:a == 1", "attribute:b == 2", "attribute:c == 3"
SA, SB, SC = A, B, C  # how shape() writes them


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(f"{A} and {B} or {C}", f"{{{{{SA} AND {SB}}} OR {SC}}}", id="and-binds-tighter-than-or"),
        pytest.param(
            f"{A} or {B} and {C}", f"{{{SA} OR {{{SB} AND {SC}}}}}", id="and-binds-tighter-than-or-right"
        ),
        pytest.param(f"({A} or {B}) and {C}", f"{{{{{SA} OR {SB}}} AND {SC}}}", id="parentheses-group"),
        pytest.param(f"not {A} and {B}", f"{{NOT({SA}) AND {SB}}}", id="not-binds-tightest"),
        pytest.param(f"not({A} and {B})", f"NOT({{{SA} AND {SB}}})", id="not-call-form"),
        pytest.param(f"!({A} or {B})", f"NOT({{{SA} OR {SB}}})", id="bang-call-form"),
        pytest.param(f"not not {A}", f"NOT(NOT({SA}))", id="double-negation"),
        pytest.param(f"! {A}", f"NOT({SA})", id="bang-with-space"),
        pytest.param(f"{A} and {B} and {C}", f"{{{SA} AND {SB} AND {SC}}}", id="and-chain-is-flat"),
        pytest.param(f"{A} || {B} || {C}", f"{{{SA} OR {SB} OR {SC}}}", id="or-chain-is-flat"),
        pytest.param(f"{A} && {B} || {C}", f"{{{{{SA} AND {SB}}} OR {SC}}}", id="symbol-connectives"),
        pytest.param(f"({A} and {B}) and {C}", f"{{{{{SA} AND {SB}}} AND {SC}}}", id="explicit-group-kept"),
        pytest.param(f"((({A})))", SA, id="redundant-parentheses"),
        pytest.param(f"({A})or({B})", f"{{{SA} OR {SB}}}", id="no-spaces-around-parentheses"),
        pytest.param(
            f"not({A}) and ({B} or not {C})",
            f"{{NOT({SA}) AND {{{SB} OR NOT({SC})}}}}",
            id="mixed",
        ),
    ],
)
def test_precedence_and_grouping(text: str, expected: str) -> None:
    assert shape(parse(text).root) == expected


ALIASED = [op for op in Operator if op.alias]


def _argument_for(op: Operator) -> str:
    if op in (Operator.EXISTS, Operator.NOT_EXISTS):
        return ""
    return " [a, b]" if op in (Operator.IN, Operator.NOT_IN) else " a"


@pytest.mark.parametrize("op", ALIASED, ids=lambda op: f"{op.alias}-is-{op.value}")
def test_every_alias_parses_like_its_symbol(op: Operator) -> None:
    by_symbol = parse(f"attribute:x {op.value}{_argument_for(op)}")
    by_alias = parse(f"attribute:x {op.alias}{_argument_for(op)}")
    assert by_alias.root == by_symbol.root
    assert isinstance(by_symbol.root, Condition) and by_symbol.root.operator is op


SUBJECTS = {
    SubjectKind.AGENT_CONNECTED: ("agentConnected", "true"),
    SubjectKind.AGENT_VERSION: ("agentVersion", "1.14.5"),
    SubjectKind.ATTRIBUTE: ("attribute:ecs.os-type", "linux"),
    SubjectKind.EC2_INSTANCE_ID: ("ec2InstanceId", "i-abcd1234"),
    SubjectKind.REGISTERED_AT: ("registeredAt", "2018-06-18"),
    SubjectKind.RUNNING_TASKS_COUNT: ("runningTasksCount", "1"),
    SubjectKind.TASK_GROUP: ("task:group", "service:web"),
}


def _condition(kind: SubjectKind, op: Operator) -> str:
    word, value = SUBJECTS[kind]
    if op in (Operator.EXISTS, Operator.NOT_EXISTS):
        return f"{word} {op.value}"
    if op in (Operator.IN, Operator.NOT_IN):
        return f"{word} {op.value} [{value}]"
    if op in (Operator.MATCHES, Operator.NOT_MATCHES):
        return f"{word} {op.value} .*"
    return f"{word} {op.value} {value}"


ALLOWED_CASES = [(kind, op) for kind in SubjectKind for op in Operator if op in ALLOWED[kind]]
REFUSED_CASES = [(kind, op) for kind in SubjectKind for op in Operator if op not in ALLOWED[kind]]


@pytest.mark.parametrize(
    ("kind", "op"), ALLOWED_CASES, ids=[f"{k.value} {o.value}" for k, o in ALLOWED_CASES]
)
def test_allowed_operators_parse(kind: SubjectKind, op: Operator) -> None:
    root = parse(_condition(kind, op)).root
    assert isinstance(root, Condition)
    assert (root.subject.kind, root.operator) == (kind, op)


@pytest.mark.parametrize(
    ("kind", "op"), REFUSED_CASES, ids=[f"{k.value} {o.value}" for k, o in REFUSED_CASES]
)
def test_refused_operators_name_the_subject_at_the_operator(kind: SubjectKind, op: Operator) -> None:
    word = SUBJECTS[kind][0]
    caught = error(_condition(kind, op))
    assert caught.column == len(word) + 2
    assert caught.message.startswith(f"'{op.value}' is not allowed with {word} (allowed: ")


def test_allowed_operator_table_matches_ecs_semantics() -> None:
    assert {kind: {op.value for op in ops} for kind, ops in ALLOWED.items()} == {
        SubjectKind.AGENT_CONNECTED: {"==", "!=", "in", "!in", "=~", "!~"},
        SubjectKind.EC2_INSTANCE_ID: {"==", "!=", "in", "!in", "=~", "!~"},
        SubjectKind.AGENT_VERSION: {"==", "!=", ">", ">=", "<", "<="},
        SubjectKind.RUNNING_TASKS_COUNT: {"==", "!=", ">", ">=", "<", "<="},
        SubjectKind.REGISTERED_AT: {"==", "!=", ">", ">=", "<", "<="},
        SubjectKind.ATTRIBUTE: {op.value for op in Operator},
        SubjectKind.TASK_GROUP: {op.value for op in Operator},
    }


@pytest.mark.parametrize(
    ("text", "argument"),
    [
        pytest.param("attribute:x == t2.small", Text("t2.small"), id="bare"),
        pytest.param("attribute:x == 't2 small'", Text("t2 small"), id="single-quoted"),
        pytest.param('attribute:x == "t2 small"', Text("t2 small"), id="double-quoted"),
        pytest.param("attribute:x == ''", Text(""), id="empty-quoted"),
        pytest.param("attribute:x == 'and'", Text("and"), id="reserved-word-quoted"),
        pytest.param("attribute:x == 10", Text("10", Decimal(10)), id="numeric-text"),
        pytest.param(
            "task:group == service:production", Text("service:production"), id="colon-in-bare-value"
        ),
        pytest.param("attribute:x == a/b\\c@d", Text("a/b\\c@d"), id="attribute-value-characters"),
        pytest.param("runningTasksCount == 007", Count("007", 7), id="count"),
        pytest.param("runningTasksCount > -1", Count("-1", -1), id="negative-count"),
        pytest.param("agentVersion < v1.14.5", Version("v1.14.5", ((1, 14, 5), 1, ())), id="version-with-v"),
        pytest.param(
            "registeredAt < 2018-02-13",
            Moment("2018-02-13", datetime(2018, 2, 13, tzinfo=UTC), True),
            id="date",
        ),
        pytest.param(
            "registeredAt == '2018-06-18T22:28:28+02:00'",
            Moment("2018-06-18T22:28:28+02:00", datetime(2018, 6, 18, 20, 28, 28, tzinfo=UTC), False),
            id="date-time-offset-quoted",
        ),
    ],
)
def test_literals(text: str, argument: object) -> None:
    root = parse(text).root
    assert isinstance(root, Condition)
    assert root.argument == argument


@pytest.mark.parametrize(
    ("text", "values"),
    [
        pytest.param("attribute:x in [a]", ["a"], id="one"),
        pytest.param("attribute:x in [us-east-1a, us-east-1b]", ["us-east-1a", "us-east-1b"], id="two"),
        pytest.param(
            "ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", ["i-abcd1234", "i-wxyx7890"], id="quoted"
        ),
        pytest.param("attribute:x not_in [a,'b c',\"d\"]", ["a", "b c", "d"], id="mixed-quoting-no-spaces"),
        pytest.param("agentConnected in [true, false]", ["true", "false"], id="booleans"),
    ],
)
def test_lists(text: str, values: list[str]) -> None:
    root = parse(text).root
    assert isinstance(root, Condition) and isinstance(root.argument, tuple)
    assert [v.text for v in root.argument] == values


@pytest.mark.parametrize(
    "name",
    ["ecs.instance-type", "ecs.capability.task-eni", "stack", "a_b/c\\d.e-f", "X" * 128],
    ids=["instance-type", "capability", "custom", "every-allowed-character", "128-characters"],
)
def test_attribute_names(name: str) -> None:
    root = parse(f"attribute:{name} exists").root
    assert root == Condition(Subject(SubjectKind.ATTRIBUTE, name), Operator.EXISTS, None)


def test_expression_keeps_the_original_text() -> None:
    text = "  attribute:ecs.instance-type   ==  t2.small  "
    expression = parse(text)
    assert isinstance(expression, Expression)
    assert expression.text == text == str(expression)


def test_condition_records_the_subject_column() -> None:
    root = parse("attribute:a exists and   task:group exists").root
    assert isinstance(root, And)
    assert [c.column for c in root.operands if isinstance(c, Condition)] == [1, 26]


def test_longest_expression_is_accepted() -> None:
    text = " or ".join(["attribute:a == b"] * 100)
    text = text + " " * (MAX_EXPRESSION_LENGTH - len(text))
    assert len(text) == MAX_EXPRESSION_LENGTH == 2000
    assert isinstance(parse(text).root, Or)


def test_deep_but_allowed_nesting() -> None:
    text = "(" * 25 + "not " * 25 + "attribute:a exists" + ")" * 25
    node = parse(text).root
    for _ in range(25):
        assert isinstance(node, Not)
        node = node.operand
    assert isinstance(node, Condition)


def test_expression_survives_pickling_and_copying() -> None:
    expression = parse("attribute:x =~ 'a+' and registeredAt < 2018-01-01 or task:group in [a, b]")
    for copy in (pickle.loads(pickle.dumps(expression)), deepcopy(expression)):
        assert copy == expression and copy.text == expression.text
        assert copy.evaluate(StaticSubjects(task_groups=("b",)))
