"""The lexer: token kinds, texts and columns; quoting; the characters that end a bare word."""

import pytest

from ecs_operator.query import QuerySyntaxError
from ecs_operator.query.lexer import tokenize
from ecs_operator.query.tokens import Operator, TokenKind

K = TokenKind


def lexed(text: str) -> list[tuple[TokenKind, str, int]]:
    return [(t.kind, t.text, t.column) for t in tokenize(text)]


def test_tokens_carry_kind_text_and_column() -> None:
    assert lexed("attribute:ecs.instance-type =~ t2.* and not(task:group == 'db x')") == [
        (K.WORD, "attribute:ecs.instance-type", 1),
        (K.OPERATOR, "=~", 29),
        (K.WORD, "t2.*", 32),
        (K.AND, "and", 37),
        (K.NOT, "not", 41),
        (K.LPAREN, "(", 44),
        (K.WORD, "task:group", 45),
        (K.OPERATOR, "==", 56),
        (K.STRING, "db x", 59),
        (K.RPAREN, ")", 65),
        (K.END, "", 66),
    ]


def test_operators_need_no_surrounding_spaces() -> None:
    assert lexed("runningTasksCount>=1&&agentVersion<1.2||x!=y") == [
        (K.WORD, "runningTasksCount", 1),
        (K.OPERATOR, ">=", 18),
        (K.WORD, "1", 20),
        (K.AND, "&&", 21),
        (K.WORD, "agentVersion", 23),
        (K.OPERATOR, "<", 35),
        (K.WORD, "1.2", 36),
        (K.OR, "||", 39),
        (K.WORD, "x", 41),
        (K.OPERATOR, "!=", 42),
        (K.WORD, "y", 44),
        (K.END, "", 45),
    ]


@pytest.mark.parametrize(
    ("text", "operator"),
    [pytest.param(symbol, op, id=f"symbol {symbol}") for op in Operator for symbol in [op.value]]
    + [pytest.param(op.alias, op, id=f"alias {op.alias}") for op in Operator if op.alias],
)
def test_every_operator_symbol_and_alias_is_one_token(text: str, operator: Operator) -> None:
    (token, end) = tokenize(text)
    assert (token.kind, token.operator, end.kind) == (K.OPERATOR, operator, K.END)


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        pytest.param("!exists", [K.OPERATOR], id="bang-exists-is-an-operator"),
        pytest.param("!in", [K.OPERATOR], id="bang-in-is-an-operator"),
        pytest.param("!inside", [K.NOT, K.WORD], id="bang-before-another-word-is-negation"),
        pytest.param("! exists", [K.NOT, K.OPERATOR], id="bang-space-exists-is-two-tokens"),
        pytest.param("!(", [K.NOT, K.LPAREN], id="bang-before-parenthesis"),
        pytest.param("not(", [K.NOT, K.LPAREN], id="not-before-parenthesis"),
        pytest.param("notice", [K.WORD], id="word-starting-with-not"),
        pytest.param("AND", [K.WORD], id="keywords-are-lower-case"),
        pytest.param("or || and &&", [K.OR, K.OR, K.AND, K.AND], id="connective-words-and-symbols"),
        pytest.param("[a,b]", [K.LBRACKET, K.WORD, K.COMMA, K.WORD, K.RBRACKET], id="list-punctuation"),
    ],
)
def test_token_kinds(text: str, kinds: list[TokenKind]) -> None:
    assert [t.kind for t in tokenize(text)] == [*kinds, K.END]


@pytest.mark.parametrize(
    ("text", "content"),
    [
        pytest.param("'t2.small'", "t2.small", id="single-quoted"),
        pytest.param('"t2.small"', "t2.small", id="double-quoted"),
        pytest.param("''", "", id="empty"),
        pytest.param("'a b'", "a b", id="spaces-kept"),
        pytest.param(r"'^t2\.(micro|small)$'", r"^t2\.(micro|small)$", id="backslash-is-literal"),
        pytest.param('"it\'s"', "it's", id="single-quote-inside-double"),
        pytest.param("'say \"hi\"'", 'say "hi"', id="double-quote-inside-single"),
        pytest.param("'and'", "and", id="reserved-word-quoted"),
    ],
)
def test_quoted_strings(text: str, content: str) -> None:
    (token, _) = tokenize(text)
    assert (token.kind, token.text, token.column) == (K.STRING, content, 1)


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        pytest.param("attribute:x = a", 13, "unexpected '='; did you mean '==' or '=~'?", id="single-equals"),
        pytest.param("a & b", 3, "unexpected '&'; did you mean '&&' (or 'and')?", id="single-ampersand"),
        pytest.param("a | b", 3, "unexpected '|'; did you mean '||' (or 'or')?", id="single-bar"),
        pytest.param(
            "x == 'abc", 6, "unterminated quoted value: the closing ' is missing", id="unterminated-single"
        ),
        pytest.param(
            'x == "abc', 6, 'unterminated quoted value: the closing " is missing', id="unterminated-double"
        ),
    ],
)
def test_lexical_errors(text: str, column: int, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        tokenize(text)
    assert (caught.value.column, caught.value.message) == (column, message)
