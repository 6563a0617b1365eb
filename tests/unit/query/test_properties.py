"""Properties: parse raises nothing but QuerySyntaxError, evaluation never raises, printing round-trips."""

import re
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ecs_operator.query import MAX_EXPRESSION_LENGTH, QuerySyntaxError, StaticSubjects, parse
from ecs_operator.query.ast import And, Condition, Node, Not, Or, Subject, SubjectKind
from ecs_operator.query.errors import LiteralError
from ecs_operator.query.printer import to_text
from ecs_operator.query.regex import compile_java
from ecs_operator.query.rules import ALLOWED, literal
from ecs_operator.query.tokens import Operator

from .test_regex import MATCHING, REFUSED

TOKENS = [
    *("agentConnected", "agentVersion", "ec2InstanceId", "registeredAt", "runningTasksCount", "task:group"),
    *("attribute:ecs.instance-type", "attribute:x", "attribute:", "attribute:a*b", "attribute"),
    *(op.value for op in Operator),
    *(op.alias for op in Operator if op.alias),
    *("and", "or", "not", "&&", "||", "!", "(", ")", "[", "]", ",", "'", '"', "=", "&", "|"),
    *("t2.small", "'a b'", '"x"', "''", "1", "-1", "1.5", "true", "false", "1.14.5", "v1.2.3-rc.1"),
    *("2018-06-18", "2018-06-18T22:28:28Z", "2018-06-18T22:28:28+00:00", "2018-02-30", "i-abcd1234"),
    *("t2.*", "'(?i)a|b'", "'a*+'", "'[a-z&&b]'", "'\\p{L}'", "'(?<n>x)\\k<n>'", "'\\Q(\\E'", "service:web"),
]
SEPARATORS = ["", " ", "  ", "\t", "\n"]

token_soup = st.lists(st.tuples(st.sampled_from(TOKENS), st.sampled_from(SEPARATORS)), max_size=24).map(
    lambda pairs: "".join(token + separator for token, separator in pairs)
)

datetimes = st.one_of(
    st.none(),
    st.datetimes(timezones=st.just(UTC)),
    st.datetimes(),  # naive: taken as UTC
    st.datetimes(timezones=st.sampled_from([timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))])),
)
names = st.sampled_from(["x", "ecs.instance-type", "a", "b"])
short_text = st.text(alphabet="ab1.-_:' *", max_size=6)
instances = st.builds(
    StaticSubjects,
    ec2_instance_id=short_text,
    agent_connected=st.booleans(),
    agent_version=st.one_of(
        st.none(), st.sampled_from(["1.14.5", "v1.2", "1.0.0-rc.1", "latest", "", "9" * 5000])
    ),
    registered_at=datetimes,
    running_tasks_count=st.integers(-3, 10**30),
    task_groups=st.lists(short_text, max_size=3),
    attributes=st.dictionaries(names, short_text, max_size=3),
)


def check_error(error: QuerySyntaxError, text: str) -> None:
    assert 1 <= error.column <= len(text) + 1
    message_line, _, caret_line = str(error).split("\n")[-3:]
    assert message_line.endswith(f" at column {error.column}") and caret_line.endswith("^")


@settings(max_examples=500)
@given(st.text(max_size=200))
def test_parse_raises_only_query_syntax_error_on_any_text(text: str) -> None:
    try:
        parse(text)
    except QuerySyntaxError as error:
        check_error(error, text)


@settings(max_examples=1500)
@given(token_soup, instances)
def test_token_soup_parses_or_fails_cleanly_and_evaluates_without_raising(
    text: str, subjects: StaticSubjects
) -> None:
    try:
        expression = parse(text)
    except QuerySyntaxError as error:
        check_error(error, text)
        return
    assert isinstance(expression.evaluate(subjects), bool)
    canonical = to_text(expression.root)
    assert parse(canonical).root == expression.root
    assert to_text(parse(canonical).root) == canonical


def check_pattern(pattern: str) -> None:
    try:
        compile_java(pattern)
    except LiteralError as error:
        assert 0 <= error.offset <= len(pattern)


@given(st.text(max_size=40))
def test_regex_translation_raises_only_literal_error(pattern: str) -> None:
    check_pattern(pattern)


@settings(max_examples=1000)
@given(st.text(alphabet="ab()[]{}|*+?.^$\\-&:<>=!QEkdwsxuc0123,i", max_size=30))
def test_regex_soup_raises_only_literal_error(pattern: str) -> None:
    check_pattern(pattern)


PATTERNS = [p for p, _, _ in MATCHING]
REFUSED_PATTERNS = {p for p, _, _ in REFUSED}
VERSIONS = st.builds(
    lambda v, parts, pre: v + ".".join(map(str, parts)) + pre,
    st.sampled_from(["", "v"]),
    st.lists(st.integers(0, 99), min_size=1, max_size=4),
    st.sampled_from(["", "-rc.1", "-alpha", "+build.5"]),
)
MOMENTS = st.builds(
    lambda dt, form: dt.strftime(form),
    st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 1, 1)),
    st.sampled_from(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S+00:00"]),
)
TEXTS = st.text(max_size=12).filter(lambda t: "'" not in t or '"' not in t)


@st.composite
def conditions(draw: st.DrawFn) -> Condition:
    kind = draw(st.sampled_from(list(SubjectKind)))
    name = (
        draw(st.text(alphabet="abcXYZ019-_/\\.", min_size=1, max_size=12))
        if kind is SubjectKind.ATTRIBUTE
        else ""
    )
    subject = Subject(kind, name)
    operator = draw(st.sampled_from(ALLOWED[kind]))
    if operator in (Operator.EXISTS, Operator.NOT_EXISTS):
        return Condition(subject, operator, None)
    if operator in (Operator.MATCHES, Operator.NOT_MATCHES):
        values = st.sampled_from(PATTERNS)
    elif kind is SubjectKind.AGENT_CONNECTED:
        values = st.sampled_from(["true", "false"])
    elif kind is SubjectKind.RUNNING_TASKS_COUNT:
        values = st.integers(-5, 10**6).map(str)
    elif kind is SubjectKind.AGENT_VERSION:
        values = VERSIONS
    elif kind is SubjectKind.REGISTERED_AT:
        values = MOMENTS
    else:
        values = TEXTS
    if operator in (Operator.IN, Operator.NOT_IN):
        texts = draw(st.lists(values, min_size=1, max_size=4))
        items = tuple(literal(subject, operator, t) for t in texts)
        return Condition(subject, operator, items)  # type: ignore[arg-type]
    return Condition(subject, operator, literal(subject, operator, draw(values)))


trees: st.SearchStrategy[Node] = st.recursive(
    conditions(),
    lambda children: st.one_of(
        children.map(Not),
        st.lists(children, min_size=2, max_size=3).map(lambda ns: And(tuple(ns))),
        st.lists(children, min_size=2, max_size=3).map(lambda ns: Or(tuple(ns))),
    ),
    max_leaves=8,
)


@settings(max_examples=500)
@given(trees, instances)
def test_printing_then_parsing_round_trips(tree: Node, subjects: StaticSubjects) -> None:
    text = to_text(tree)
    assume(len(text) <= MAX_EXPRESSION_LENGTH)
    expression = parse(text)
    assert expression.root == tree
    assert to_text(expression.root) == text
    assert isinstance(expression.evaluate(subjects), bool)


@given(st.sampled_from(PATTERNS), st.text(max_size=8))
def test_supported_patterns_never_raise_when_matching(pattern: str, value: str) -> None:
    assert pattern not in REFUSED_PATTERNS
    assert isinstance(compile_java(pattern).fullmatch(value), re.Match | None)
