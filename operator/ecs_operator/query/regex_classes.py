"""Java character classes (``[...]``) translated to Python classes, or refused.

Java reads ``[`` inside a class as a nested class (a union) and ``&&`` as an intersection; Python
reads both as literal characters (with a FutureWarning), so both are refused. Everything else is
re-emitted item by item with every ASCII punctuation character escaped, so the Python class means
exactly the Java one: a ``]`` first in the class is literal in both, ``-`` is a range only between
two characters (``[\\d-z]`` is a digit, ``-`` or ``z`` in Java, an error in Python, and is emitted
as ``[\\d\\-z]``), and ``^`` negates only right after ``[``.
"""

from __future__ import annotations

from .errors import LiteralError
from .regex_escapes import Escape, read_escape

__all__ = ["translate_class"]


def translate_class(src: str, start: int) -> tuple[str, int]:
    """The Python class for the Java class opening at ``src[start]``, and the index past it."""
    i = start + 1
    negated = src.startswith("^", i)
    if negated:
        i += 1
    items: list[str] = []
    while True:
        if i >= len(src):
            raise LiteralError("unclosed character class: ']' is missing", start)
        c = src[i]
        if c == "]" and items:
            return "[" + ("^" if negated else "") + "".join(items) + "]", i + 1
        if c == "[":
            raise LiteralError("nested character classes and unions ([a[b]]) are not supported", i)
        if src.startswith("&&", i):
            raise LiteralError("character class intersections ([a&&b]) are not supported", i)
        low, i = _item(src, i)
        is_range = (
            low.kind == "char" and src.startswith("-", i) and i + 1 < len(src) and src[i + 1] not in "[]"
        )
        if not is_range:
            items.append(_emit(low))
            continue
        high, end = _item(src, i + 1)
        if high.kind != "char":
            raise LiteralError("a range must end with a single character", i + 1)
        if high.text < low.text:
            raise LiteralError(f"the range {low.text!r}-{high.text!r} runs backwards", i + 1)
        items.append(f"{_emit(low)}-{_emit(high)}")
        i = end


def _item(src: str, i: int) -> tuple[Escape, int]:
    if src[i] == "\\":
        escape = read_escape(src, i, in_class=True, groups=0)
        return escape, escape.end
    return Escape("char", src[i], i + 1), i + 1


def _emit(item: Escape) -> str:
    c = item.text
    if item.kind == "char" and c.isascii() and not c.isalnum():
        return "\\" + c
    return c
