"""The recursive-descent parser: tokens to a syntax tree, or a QuerySyntaxError with a column.

Grammar (EBNF; tokens as in :mod:`.lexer`)::

    expression := or-expr END
    or-expr    := and-expr { ("or" | "||") and-expr }
    and-expr   := not-expr { ("and" | "&&") not-expr }
    not-expr   := ("not" | "!") not-expr            // not(...) is "not" followed by a group
                | "(" or-expr ")"
                | condition
    condition  := subject ("exists" | "!exists" | "not_exists")
                | subject ("in" | "!in" | "not_in") list
                | subject comparison value
    comparison := "==" | "equals" | "!=" | "not_equals" | ">" | "greater_than"
                | ">=" | "greater_than_equal" | "<" | "less_than" | "<=" | "less_than_equal"
                | "=~" | "matches" | "!~" | "not_matches"
    subject    := "agentConnected" | "agentVersion" | "attribute:" name | "ec2InstanceId"
                | "registeredAt" | "runningTasksCount" | "task:group"
    list       := "[" value { "," value } "]"
    value      := word | string                     // a reserved word is a value only when quoted

Precedence, tightest first (all binary connectives associate to the left):

    ======  ====================  =================================
    level   operators             example
    ======  ====================  =================================
    1       ``(`` ... ``)``       ``(a or b) and c``
    2       ``not`` ``!``         ``not a and b`` is ``(not a) and b``
    3       ``and`` ``&&``        ``a or b and c`` is ``a or (b and c)``
    4       ``or`` ``||``         ``a or b``
    ======  ====================  =================================

A condition is never parenthesised inside itself (``(attribute:x) == 1`` is an error);
parentheses only group whole conditions. Which operators a subject allows, and what its values
look like, is checked while parsing (:mod:`.rules`). Nesting is limited to :data:`MAX_DEPTH`
levels, each ``(`` and each ``not``/``!`` counting one (so ``not(`` counts two), so that no input
can exhaust the interpreter's stack.
"""

from __future__ import annotations

from .ast import And, Condition, Node, Not, Or, Subject, Text, Value
from .errors import LiteralError, QuerySyntaxError
from .expression import Expression
from .lexer import tokenize
from .rules import ALLOWED, literal, subject
from .tokens import Operator, Token, TokenKind, describe

__all__ = ["MAX_DEPTH", "MAX_EXPRESSION_LENGTH", "parse"]

#: ECS's limit on a memberOf expression.
MAX_EXPRESSION_LENGTH = 2000
#: Parentheses and negations nested deeper than this are refused.
MAX_DEPTH = 50

_MEMBERSHIP = (Operator.IN, Operator.NOT_IN)
_PRESENCE = (Operator.EXISTS, Operator.NOT_EXISTS)
_RESERVED = (TokenKind.AND, TokenKind.OR, TokenKind.NOT, TokenKind.OPERATOR)
_VALUES = (TokenKind.WORD, TokenKind.STRING)


def parse(text: str) -> Expression:
    """Parse a cluster query language expression once; evaluate the result per instance."""
    if not isinstance(text, str):
        raise QuerySyntaxError(f"the expression must be text, not {type(text).__name__}", "", 1)
    if len(text) > MAX_EXPRESSION_LENGTH:
        message = f"the expression is {len(text)} characters long; the limit is {MAX_EXPRESSION_LENGTH}"
        raise QuerySyntaxError(message, text, MAX_EXPRESSION_LENGTH + 1)
    return Expression(text, _Parser(text).expression())


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.position = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.position]

    def advance(self) -> Token:
        token = self.tokens[self.position]
        self.position = min(self.position + 1, len(self.tokens) - 1)
        return token

    def error(self, message: str, token: Token, offset: int = 0) -> QuerySyntaxError:
        return QuerySyntaxError(message, self.text, token.column + offset)

    def expression(self) -> Node:
        if self.token.kind is TokenKind.END:
            raise self.error("the expression is empty", self.token)
        node = self.or_expr(0)
        after = self.token  # re-read: the parser has moved on
        if after.kind is TokenKind.RPAREN:
            raise self.error("unmatched ')'", after)
        if after.kind is not TokenKind.END:
            raise self._expected_connective("the end of the expression")
        return node

    def or_expr(self, depth: int) -> Node:
        operands = [self.and_expr(depth)]
        while self.token.kind is TokenKind.OR:
            self.advance()
            operands.append(self.and_expr(depth))
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_expr(self, depth: int) -> Node:
        operands = [self.not_expr(depth)]
        while self.token.kind is TokenKind.AND:
            self.advance()
            operands.append(self.not_expr(depth))
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def not_expr(self, depth: int) -> Node:
        token = self.token
        if token.kind in (TokenKind.NOT, TokenKind.LPAREN) and depth >= MAX_DEPTH:
            raise self.error(f"parentheses and negations are nested more than {MAX_DEPTH} deep", token)
        if token.kind is TokenKind.NOT:
            self.advance()
            return Not(self.not_expr(depth + 1))
        if token.kind is TokenKind.LPAREN:
            self.advance()
            node = self.or_expr(depth + 1)
            if self.token.kind is TokenKind.END:
                raise self.error("unclosed '(': expected ')' before the end of the expression", token)
            if self.token.kind is not TokenKind.RPAREN:
                raise self._expected_connective("')'")
            self.advance()
            return node
        return self.condition()

    def condition(self) -> Condition:
        token = self.token
        if token.kind is not TokenKind.WORD:
            after = self.tokens[self.position - 1] if self.position else None
            where = f" after '{after.text}'" if after is not None else ""
            raise self.error(
                f"expected a condition such as 'attribute:<name> == <value>'{where}, found {describe(token)}",
                token,
            )
        try:
            parsed = subject(token.text)
        except LiteralError as error:
            raise self.error(error.message, token, error.offset) from None
        self.advance()
        op_token = self.token
        if op_token.kind is not TokenKind.OPERATOR or op_token.operator is None:
            raise self.error(f"expected an operator after '{token.text}'", op_token)
        operator = op_token.operator
        if operator not in ALLOWED[parsed.kind]:
            allowed = ", ".join(op.value for op in ALLOWED[parsed.kind])
            raise self.error(f"'{op_token.text}' is not allowed with {parsed} (allowed: {allowed})", op_token)
        self.advance()
        argument: Value | tuple[Text, ...] | None
        if operator in _PRESENCE:
            argument = None
        elif operator in _MEMBERSHIP:
            argument = self.list_(parsed, operator, op_token)
        else:
            if self.token.kind is TokenKind.LBRACKET:
                raise self.error("a list is allowed only after in or !in (not_in)", self.token)
            argument = self.value(parsed, operator, op_token)
        return Condition(parsed, operator, argument, token.column)

    def list_(self, parsed: Subject, operator: Operator, op_token: Token) -> tuple[Text, ...]:
        opening = self.token
        if opening.kind is not TokenKind.LBRACKET:
            raise self.error(f"expected a list such as [a, b] after '{op_token.text}'", opening)
        self.advance()
        if self.token.kind is TokenKind.RBRACKET:
            raise self.error("a list needs at least one value", self.token)
        values: list[Text] = []
        while True:
            value = self.value(parsed, operator, op_token)
            assert isinstance(value, Text)  # in/!in only apply to string subjects (rules.ALLOWED)
            values.append(value)
            separator = self.advance()
            if separator.kind is TokenKind.RBRACKET:
                return tuple(values)
            if separator.kind is TokenKind.END:
                raise self.error("unclosed '[': expected ']' before the end of the expression", opening)
            if separator.kind is not TokenKind.COMMA:
                raise self.error(f"expected ',' or ']' in the list, found {describe(separator)}", separator)

    def value(self, parsed: Subject, operator: Operator, op_token: Token) -> Value:
        token = self.token
        if token.kind not in _VALUES:
            if token.kind in _RESERVED:
                message = f"'{token.text}' is a reserved word; quote it ('{token.text}') to use it as a value"
            else:
                message = f"expected a value after '{op_token.text}', found {describe(token)}"
            raise self.error(message, token)
        self.advance()
        try:
            return literal(parsed, operator, token.text)
        except LiteralError as error:
            raise self.error(error.message, token, error.offset + token.quoted) from None

    def _expected_connective(self, closer: str) -> QuerySyntaxError:
        token = self.token
        previous = self.tokens[self.position - 1]
        hint = ""
        if token.kind in _VALUES and previous.kind in _VALUES:
            hint = " (quote a value that contains spaces)"
        return self.error(f"expected 'and', 'or' or {closer}, found {describe(token)}{hint}", token)
