r"""Java regular expressions (``java.util.regex.Pattern``) translated to Python's ``re``, or refused.

ECS evaluates ``=~`` and ``!~`` with Java's engine. A pattern is translated construct by construct
into Python text that matches exactly the same strings; a construct that Python lacks, or whose
meaning differs between the two engines, is refused with the offset of the construct, never
approximated. Matching is **whole-string**, like Java's ``String.matches``: ``t2.*`` matches
``t2.small`` but not ``xt2.small``; write ``.*t2.*`` to search.

Kept (same meaning; compiled with ``re.ASCII`` since Java's classes are ASCII by default):
literals, ``|``, groups ``(...)`` ``(?:...)``, lookahead ``(?=`` ``(?!``, fixed-width lookbehind
``(?<=`` ``(?<!``, greedy and lazy quantifiers ``* + ? {n} {n,} {n,m}`` (``*?`` ...), classes
``[a-z]`` ``[^...]``, ``\d \D \s \S \w \W \A``, back references ``\1``.

Translated: ``(?<name>`` → ``(?P<name>``; ``\k<name>`` → ``(?P=name)``; ``\z`` → ``\Z``;
``$`` and ``\Z`` → a lookahead for Java's "end, or before a final line terminator"; ``.`` →
"anything but a Java line terminator" (``\n \r \u0085 \u2028 \u2029``) unless ``(?s)``; ``\Q...\E``
→ escaped literals; ``\e \cX \0oct \xhh \x{h..h} \uhhhh`` (surrogate pairs joined) → the character;
flags ``(?i)`` ``(?s)`` at the very start → compile flags (``i`` is ASCII-only in both engines);
scoped ``(?i:...)`` ``(?-i:...)`` ``(?s:...)``.

Refused: possessive quantifiers ``*+ ++ ?+ {n}+`` and atomic groups ``(?>...)`` (Python's ``re``
has them only since 3.11; kept out of the supported subset); ``(?x)`` ``(?m)`` ``(?d)`` ``(?u)``
``(?U)`` and flag groups after the start; classes with union ``[a[b]]`` or intersection
``[a&&b]``; ``\p{..} \P{..} \h \H \v \V \R \X \G \N{..}``; ``\b`` and ``\B`` (Java 17 reads ``\b``
with Unicode letters, Java 19+ with ASCII ones, and ``\B`` matches an empty value in Java, never in
Python); Python-only syntax ``(?P...)`` ``(?#...)`` ``(?(...)``; escapes Java rejects; a ``{``
that does not form a quantifier; quantifiers with nothing to repeat (including anchors and
lookarounds). A pattern Python cannot compile after translation (a variable-width lookbehind) is
refused with Python's reason.

The translation was compared with OpenJDK 17 and 25 (``Pattern.matches``) on thousands of
generated patterns and values; the tables in ``tests/unit/query/test_regex.py`` keep the cases.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .errors import LiteralError
from .regex_classes import translate_class
from .regex_escapes import DOLLAR, read_escape
from .regex_groups import GroupStack

__all__ = ["compile_java", "translate"]

_DOT = r"[^\n\r\x85\u2028\u2029]"
_DOT_ALL = r"(?s:.)"
_COUNTED = re.compile(r"\{[0-9]+(?:,[0-9]*)?\}")


def compile_java(pattern: str) -> re.Pattern[str]:
    """The compiled Python equivalent of a Java pattern; :class:`LiteralError` if refused."""
    python, flags, origin = translate(pattern)
    try:
        return re.compile(python, flags)
    except re.error as error:
        raise LiteralError(f"unsupported regular expression: {error.msg}", origin(error.pos)) from None
    except (RecursionError, OverflowError, MemoryError, ValueError):  # absurd nesting or counts
        raise LiteralError("the regular expression is too complex", 0) from None


class _Output:
    """Python text being built, remembering which Java offset produced each piece."""

    def __init__(self, origins: list[int]) -> None:
        self.parts: list[str] = []
        self.marks: list[tuple[int, int]] = []  # (offset in the Python text, offset in the source)
        self.length = 0
        self.origins = origins  # offset after \Q...\E removal → offset in the pattern as written

    def emit(self, text: str, at: int) -> None:
        self.marks.append((self.length, at))
        self.parts.append(text)
        self.length += len(text)

    def origin(self, python_offset: int | None) -> int:
        at = 0
        for start, source in self.marks:
            if python_offset is None or start > python_offset:
                break
            at = source
        return self.origins[min(at, len(self.origins) - 1)]


def translate(pattern: str) -> tuple[str, int, Callable[[int | None], int]]:
    """``(python pattern, re flags, offset map)`` for a Java pattern; LiteralError if refused."""
    src, origins = _remove_quoting(pattern)
    out = _Output(origins)
    groups = GroupStack()
    quantifiable = False  # whether the previous item can take a quantifier
    i = 0
    try:
        while i < len(src):
            c, start = src[i], i
            if c == "\\":
                escape = read_escape(src, i, in_class=False, groups=groups.captured)
                text = re.escape(escape.text) if escape.kind == "char" else escape.text
                out.emit(text, start)
                quantifiable, i = escape.kind in ("char", "class", "reference"), escape.end
            elif c == "[":
                text, i = translate_class(src, i)
                out.emit(text, start)
                quantifiable = True
            elif c == "(":
                text, i = groups.open(src, i, at_start=out.length == 0)
                out.emit(text, start)
                quantifiable = False
            elif c == ")":
                out.emit(")", start)
                quantifiable, i = groups.close(i), i + 1
            elif c in "*+?{":
                text, i = _quantifier(src, i, quantifiable)
                out.emit(text, start)
                quantifiable = False
            else:
                out.emit(_single(c, groups.dotall), start)
                quantifiable, i = c not in "|^$", i + 1
        groups.finish()
    except LiteralError as error:
        error.offset = origins[min(error.offset, len(origins) - 1)]
        raise
    return "".join(out.parts), re.ASCII | groups.flags, out.origin


def _single(c: str, dotall: bool) -> str:
    if c == ".":
        return _DOT_ALL if dotall else _DOT
    if c == "$":
        return DOLLAR
    return c if c in "|^" else re.escape(c)


def _quantifier(src: str, i: int, quantifiable: bool) -> tuple[str, int]:
    c = src[i]
    if c == "{":
        counted = _COUNTED.match(src, i)
        if counted is None:
            raise LiteralError("'{' must start a count such as {2}, {2,} or {2,5}; write \\{ for a brace", i)
        text, end = counted[0], counted.end()
    else:
        text, end = c, i + 1
    if not quantifiable:
        raise LiteralError(f"'{text}' has nothing to repeat", i)
    if src.startswith("+", end):
        raise LiteralError(f"possessive quantifiers ('{text}+') are not supported", i)
    if src.startswith("?", end):
        return text + "?", end + 1
    return text, end


def _remove_quoting(pattern: str) -> tuple[str, list[int]]:
    r"""Java's first step: ``\Q...\E`` becomes escaped characters (``\Q`` alone runs to the end).

    Returns the new text and, for each of its characters (plus one past the end), the offset in
    ``pattern`` it came from.
    """
    out: list[str] = []
    origins: list[int] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("\\Q", i):
            end = pattern.find("\\E", i + 2)
            stop = len(pattern) if end < 0 else end
            for k in range(i + 2, stop):
                text = _quoted(pattern[k])
                out.append(text)
                origins.extend([k] * len(text))
            i = stop if end < 0 else end + 2
        elif pattern[i] == "\\" and i + 1 < len(pattern):
            out.append(pattern[i : i + 2])
            origins.extend([i, i + 1])
            i += 2
        else:
            out.append(pattern[i])
            origins.append(i)
            i += 1
    origins.append(len(pattern))
    return "".join(out), origins


def _quoted(c: str) -> str:
    if not c.isascii() or c.isalpha():
        return c
    if c.isdigit():  # \x3N: never read as part of an escape or a reference before it
        return f"\\x3{c}"
    return "\\" + c
