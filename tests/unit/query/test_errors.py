"""Syntax errors: the message, the 1-based column of the bad token, and the caret rendering."""

import pickle

import pytest

from ecs_operator.query import MAX_EXPRESSION_LENGTH, QuerySyntaxError, parse

SUBJECT_LIST = (
    "expected agentConnected, agentVersion, attribute:<name>, ec2InstanceId, registeredAt, "
    "runningTasksCount or task:group"
)


def error(text: object) -> QuerySyntaxError:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(text)  # type: ignore[arg-type]
    return caught.value


def test_rendering_shows_message_expression_and_caret() -> None:
    caught = error("attribute:ecs.instance-type t2.small")
    assert caught.column == 29
    assert caught.message == "expected an operator after 'attribute:ecs.instance-type'"
    assert str(caught) == (
        "expected an operator after 'attribute:ecs.instance-type' at column 29\n"
        "attribute:ecs.instance-type t2.small\n"
        "                            ^"
    )


def test_error_is_a_value_error() -> None:
    assert isinstance(error("x"), ValueError)


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        pytest.param("", 1, "the expression is empty", id="empty"),
        pytest.param("   ", 4, "the expression is empty", id="blank"),
        pytest.param(
            "instanceType == t2", 1, f"unknown subject 'instanceType'; {SUBJECT_LIST}", id="unknown-subject"
        ),
        pytest.param(
            "agentconnected == true",
            1,
            f"unknown subject 'agentconnected' (did you mean 'agentConnected'?); {SUBJECT_LIST}",
            id="subject-case-hint",
        ),
        pytest.param(
            "attribute: exists", 11, "expected an attribute name after 'attribute:'", id="no-attr-name"
        ),
        pytest.param(
            "attribute:ecs*type exists",
            14,
            "an attribute name may contain only letters, digits, '-', '_', '/', '\\' and '.', not '*'",
            id="bad-attr-name-character",
        ),
        pytest.param(
            "attribute:" + "n" * 129 + " exists",
            139,
            "an attribute name is at most 128 characters",
            id="long-name",
        ),
        pytest.param("attribute:x", 12, "expected an operator after 'attribute:x'", id="no-operator-at-end"),
        pytest.param(
            "attribute:x == ",
            16,
            "expected a value after '==', found the end of the expression",
            id="no-value",
        ),
        pytest.param(
            "attribute:x == and attribute:y exists",
            16,
            "'and' is a reserved word; quote it ('and') to use it as a value",
            id="reserved-word-as-value",
        ),
        pytest.param(
            "attribute:x equals (a)",
            20,
            "expected a value after 'equals', found '('",
            id="parenthesised-value",
        ),
        pytest.param(
            "(attribute:x) == a", 13, "expected an operator after 'attribute:x'", id="parenthesised-subject"
        ),
        pytest.param(
            "attribute:x == a b",
            18,
            "expected 'and', 'or' or the end of the expression, found 'b'"
            " (quote a value that contains spaces)",
            id="unquoted-space",
        ),
        pytest.param(
            "attribute:x exists attribute:y exists",
            20,
            "expected 'and', 'or' or the end of the expression, found 'attribute:y'",
            id="missing-connective",
        ),
        pytest.param(
            "attribute:x exists and",
            23,
            "expected a condition such as 'attribute:<name> == <value>' after 'and', "
            "found the end of the expression",
            id="dangling-and",
        ),
        pytest.param(
            "or attribute:x exists",
            1,
            "expected a condition such as 'attribute:<name> == <value>', found 'or'",
            id="leading-or",
        ),
        pytest.param("attribute:x exists)", 19, "unmatched ')'", id="unmatched-close"),
        pytest.param(
            "not (attribute:x exists or (attribute:y exists)",
            5,
            "unclosed '(': expected ')' before the end of the expression",
            id="unclosed-open-points-at-it",
        ),
        pytest.param(
            "(attribute:x exists attribute:y exists)",
            21,
            "expected 'and', 'or' or ')', found 'attribute:y'",
            id="missing-connective-in-group",
        ),
        pytest.param(
            "()",
            2,
            "expected a condition such as 'attribute:<name> == <value>' after '(', found ')'",
            id="empty-group",
        ),
        pytest.param(
            "attribute:x == [a, b]", 16, "a list is allowed only after in or !in (not_in)", id="list-after-eq"
        ),
        pytest.param(
            "attribute:x in a", 16, "expected a list such as [a, b] after 'in'", id="in-without-list"
        ),
        pytest.param("attribute:x not_in []", 21, "a list needs at least one value", id="empty-list"),
        pytest.param(
            "attribute:x in [a,]", 19, "expected a value after 'in', found ']'", id="trailing-comma"
        ),
        pytest.param(
            "attribute:x in [a b]", 19, "expected ',' or ']' in the list, found 'b'", id="missing-comma"
        ),
        pytest.param(
            "attribute:x in [a, b",
            16,
            "unclosed '[': expected ']' before the end of the expression",
            id="unclosed-list",
        ),
        pytest.param(
            "runningTasksCount > many",
            21,
            "runningTasksCount compares with a whole number, not 'many'",
            id="count",
        ),
        pytest.param(
            "runningTasksCount > 1.5",
            21,
            "runningTasksCount compares with a whole number, not '1.5'",
            id="count-fraction",
        ),
        pytest.param(
            "agentVersion < latest",
            16,
            "agentVersion compares with a version such as 1.14.5, not 'latest'",
            id="version",
        ),
        pytest.param(
            "registeredAt < 2018-02-30",
            16,
            "registeredAt compares with a date such as 2018-06-18, 2018-06-18T22:28:28, "
            "2018-06-18T22:28:28Z or 2018-06-18T22:28:28+00:00, not '2018-02-30'",
            id="impossible-date",
        ),
        pytest.param(
            "agentConnected == yes", 19, "agentConnected compares with true or false, not 'yes'", id="boolean"
        ),
        pytest.param(
            "agentConnected in [true, True]",
            26,
            "agentConnected compares with true or false, not 'True'",
            id="boolean-in-list",
        ),
        pytest.param(
            "attribute:x =~ 'ab*+c'",
            19,
            "possessive quantifiers ('*+') are not supported",
            id="regex-points-inside-quotes",
        ),
        pytest.param(
            "attribute:x =~ ab\\p{L}",
            18,
            "Unicode and POSIX properties (\\p{...}) are not supported",
            id="regex-bare",
        ),
        pytest.param("attribute:x = a", 13, "unexpected '='; did you mean '==' or '=~'?", id="lexer-error"),
    ],
)
def test_error_message_and_column(text: str, column: int, message: str) -> None:
    caught = error(text)
    assert (caught.message, caught.column) == (message, column)
    assert caught.expression == text


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        pytest.param(
            "attribute:x == ",
            "expected a value after '==', found the end of the expression at column 16\n"
            "attribute:x == \n"
            "               ^",
            id="caret-past-the-end",
        ),
        pytest.param(
            "attribute:x ==\n\ta b",
            "expected 'and', 'or' or the end of the expression, found 'b' "
            "(quote a value that contains spaces) at column 19\n"
            "attribute:x ==  a b\n"
            "                  ^",
            id="newline-and-tab-shown-as-spaces",
        ),
        pytest.param(
            "agentVersion >= 1.x",
            "agentVersion compares with a version such as 1.14.5, not '1.x' at column 17\n"
            "agentVersion >= 1.x\n"
            "                ^",
            id="value-error",
        ),
    ],
)
def test_caret_rendering(text: str, rendered: str) -> None:
    assert str(error(text)) == rendered


def test_too_long_expression() -> None:
    text = "attribute:a exists" + " " * (MAX_EXPRESSION_LENGTH - 17)
    caught = error(text)
    assert (caught.column, caught.message) == (
        2001,
        "the expression is 2001 characters long; the limit is 2000",
    )


def test_long_expression_is_rendered_as_a_window_around_the_caret() -> None:
    text = "attribute:a exists and " * 40 + "attribute:b ?? c"
    caught = error(text)
    expression_line, caret_line = str(caught).splitlines()[1:]
    assert caught.column == text.index("??") + 1
    assert expression_line.startswith("...") and len(expression_line) <= 110
    assert expression_line[caret_line.index("^") :].startswith("??")


def test_nesting_limit() -> None:
    caught = error("(" * 51 + "attribute:a exists" + ")" * 51)
    assert (caught.column, caught.message) == (51, "parentheses and negations are nested more than 50 deep")
    caught = error("!" * 60 + "attribute:a exists")
    assert caught.column == 51


def test_non_text_input() -> None:
    caught = error(42)
    assert (caught.message, caught.column, caught.expression) == (
        "the expression must be text, not int",
        1,
        "",
    )


def test_error_survives_pickling() -> None:
    caught = error("attribute:x")
    copy = pickle.loads(pickle.dumps(caught))
    assert (copy.message, copy.expression, copy.column, str(copy)) == (
        caught.message,
        caught.expression,
        caught.column,
        str(caught),
    )
