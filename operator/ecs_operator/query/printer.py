"""The printer: a syntax tree back to canonical text that parses to an equal tree.

Canonical form: operators by symbol, connectives as ``and``/``or``, negation as ``not(...)``,
parentheses only where precedence needs them (an ``or`` inside an ``and``; a nested ``and`` or
``or`` of the same kind, which the parser would otherwise flatten), values bare when the lexer
reads them back as one plain word, otherwise single-quoted (double-quoted if they contain ``'``).
"""

from __future__ import annotations

from .ast import And, Condition, Node, Not, Or
from .tokens import RESERVED_WORDS, is_word_char

__all__ = ["quote", "to_text"]


def to_text(node: Node) -> str:
    """Canonical text for ``node``: ``parse(to_text(n)).root == n``."""
    if isinstance(node, Condition):
        return _condition(node)
    if isinstance(node, Not):
        return f"not({to_text(node.operand)})"
    if isinstance(node, And):
        return " and ".join(_grouped(operand, (And, Or)) for operand in node.operands)
    return " or ".join(_grouped(operand, (Or,)) for operand in node.operands)


def quote(text: str) -> str:
    """``text`` as a value: bare if it reads back as one word, else quoted."""
    if text and text not in RESERVED_WORDS and all(is_word_char(c) for c in text):
        return text
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    raise ValueError(f"a value cannot contain both kinds of quote: {text!r}")


def _grouped(node: Node, needs_parentheses: tuple[type[And] | type[Or], ...]) -> str:
    text = to_text(node)
    return f"({text})" if isinstance(node, needs_parentheses) else text


def _condition(node: Condition) -> str:
    head = f"{node.subject} {node.operator.value}"
    argument = node.argument
    if argument is None:
        return head
    if isinstance(argument, tuple):
        return f"{head} [{', '.join(quote(item.text) for item in argument)}]"
    return f"{head} {quote(argument.text)}"
