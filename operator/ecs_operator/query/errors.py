"""The one error the query language raises, and the caret rendering every parser error shares.

``QuerySyntaxError`` is a ``ValueError`` so that code validating a spec can treat a bad expression
like any other bad value; callers that want the position read ``.column`` (1-based, counted in
characters of the original expression). :class:`LiteralError` is internal: the helpers that check
subjects, values and regular expressions raise it with an offset inside their own text, and the
parser maps it to a column at the boundary, so no other exception type ever escapes ``parse``.
"""

from __future__ import annotations

__all__ = ["LiteralError", "QuerySyntaxError"]

# Expressions longer than this are shown as a window around the caret, so that an error in a
# 2000-character expression stays readable in a status message or a terminal.
_WINDOW = 100
_ELLIPSIS = "..."


class QuerySyntaxError(ValueError):
    """An expression that cannot be parsed: ``message``, ``expression`` and 1-based ``column``.

    ``str()`` renders the message, the expression and a caret under the offending token::

        expected an operator after 'attribute:ecs.instance-type' at column 29
        attribute:ecs.instance-type t2.small
                                    ^
    """

    def __init__(self, message: str, expression: str, column: int) -> None:
        self.message = message
        self.expression = expression
        self.column = column
        super().__init__(render(message, expression, column))

    def __reduce__(self) -> tuple[type[QuerySyntaxError], tuple[str, str, int]]:
        # The default reduce would call __init__ with the rendered text only.
        return (type(self), (self.message, self.expression, self.column))


class LiteralError(Exception):
    """Internal: a subject, value or pattern refused at ``offset`` characters into its own text."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def render(message: str, expression: str, column: int) -> str:
    """The message, then the expression with a caret line under ``column``.

    Characters that are not printable (tabs, newlines) are shown as spaces so that the caret stays
    under the right character.
    """
    line = "".join(c if c.isprintable() else " " for c in expression)
    caret = max(column - 1, 0)
    if len(line) > _WINDOW:
        start = max(0, min(caret - _WINDOW // 2, len(line) - _WINDOW))
        end = start + _WINDOW
        prefix = _ELLIPSIS if start > 0 else ""
        suffix = _ELLIPSIS if end < len(line) else ""
        line = prefix + line[start:end] + suffix
        caret = len(prefix) + caret - start
    return f"{message} at column {column}\n{line}\n{' ' * caret}^"
