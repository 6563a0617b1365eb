"""Tokens, operators and reserved words: the vocabulary shared by the lexer, parser and printer.

One definition of what a bare word is (:func:`is_word_char`) and which words are reserved keeps
the printer's output re-parseable: the printer quotes exactly the values the lexer would not read
back as one plain value.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = [
    "CONNECTIVES",
    "NEGATED",
    "OPERATOR_SYMBOLS",
    "OPERATOR_WORDS",
    "RESERVED_WORDS",
    "Operator",
    "Token",
    "TokenKind",
    "describe",
    "is_word_char",
]


class Operator(enum.StrEnum):
    """A comparison operator; the value is its symbol, :attr:`alias` its word form (if any)."""

    EQ = "=="
    NE = "!="
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="
    EXISTS = "exists"
    NOT_EXISTS = "!exists"
    IN = "in"
    NOT_IN = "!in"
    MATCHES = "=~"
    NOT_MATCHES = "!~"

    @property
    def alias(self) -> str | None:
        """The word form (``equals`` for ``==``); None for ``exists`` and ``in``, already words."""
        return _ALIASES.get(self)


_ALIASES: dict[Operator, str] = {
    Operator.EQ: "equals",
    Operator.NE: "not_equals",
    Operator.GT: "greater_than",
    Operator.GE: "greater_than_equal",
    Operator.LT: "less_than",
    Operator.LE: "less_than_equal",
    Operator.NOT_EXISTS: "not_exists",
    Operator.NOT_IN: "not_in",
    Operator.MATCHES: "matches",
    Operator.NOT_MATCHES: "not_matches",
}

#: Each negative operator is exactly the negation of its positive counterpart, also when the
#: subject is missing: ``attribute:x != a`` holds on an instance without ``x``.
NEGATED: dict[Operator, Operator] = {
    Operator.NE: Operator.EQ,
    Operator.NOT_EXISTS: Operator.EXISTS,
    Operator.NOT_IN: Operator.IN,
    Operator.NOT_MATCHES: Operator.MATCHES,
}

#: Symbols the lexer reads from punctuation (``!exists`` and ``!in`` included).
OPERATOR_SYMBOLS: dict[str, Operator] = {op.value: op for op in Operator if not op.value.isalpha()}
#: Words the lexer reads as operators: every alias, plus ``exists`` and ``in``.
OPERATOR_WORDS: dict[str, Operator] = {
    **{alias: op for op, alias in _ALIASES.items()},
    "exists": Operator.EXISTS,
    "in": Operator.IN,
}


class TokenKind(enum.Enum):
    WORD = "word"  # a subject or a bare value: attribute:ecs.instance-type, t2.*, 2018-06-18
    STRING = "string"  # a quoted value; Token.text is the content without the quotes
    OPERATOR = "operator"
    AND = "and"
    OR = "or"
    NOT = "not"
    LPAREN = "("
    RPAREN = ")"
    LBRACKET = "["
    RBRACKET = "]"
    COMMA = ","
    END = "end"


CONNECTIVES: dict[str, TokenKind] = {"and": TokenKind.AND, "or": TokenKind.OR, "not": TokenKind.NOT}
#: Words that are never read as a bare value; quote them to use them as one.
RESERVED_WORDS: frozenset[str] = frozenset(CONNECTIVES) | frozenset(OPERATOR_WORDS)

# Characters that end a bare word. '=', '!', '<', '>' start operators, '&&' and '||' are
# connectives; a value containing any of these (or whitespace) must be quoted.
_DELIMITERS = frozenset("()[],'\"=!<>&|")


def is_word_char(c: str) -> bool:
    """True for a character that may appear in a bare (unquoted) word."""
    return not c.isspace() and c not in _DELIMITERS


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str  # as written, except STRING: the content between the quotes
    column: int  # 1-based column of the token's first character (the opening quote of a STRING)
    operator: Operator | None = None  # set for OPERATOR tokens

    @property
    def quoted(self) -> bool:
        return self.kind is TokenKind.STRING


def describe(token: Token) -> str:
    """How an error message names a token: ``'t2.small'``, or ``the end of the expression``."""
    if token.kind is TokenKind.END:
        return "the end of the expression"
    return repr(token.text) if token.kind is TokenKind.STRING else f"'{token.text}'"
