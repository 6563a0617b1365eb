"""Backslash escapes of Java regular expressions, read one at a time for the translator.

Every escape Java's ``Pattern`` knows is either turned into something Python's ``re`` means the
same way, or refused with a :class:`LiteralError` naming it; an escape Java itself rejects (``\\g``,
``\\y``, a letter with no meaning) is refused too, as Java would. See :mod:`.regex` for the list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .errors import LiteralError

__all__ = ["DOLLAR", "Escape", "read_escape"]

#: Java's ``$`` (and ``\Z``) outside multiline mode: the end of the input, or just before a final
#: line terminator (``\r\n``, ``\n``, ``\r``, ``\u0085``, ``\u2028``, ``\u2029``), never between the
#: ``\r`` and ``\n`` of a ``\r\n``. Python's ``$`` only knows ``\n``.
DOLLAR = r"(?=(?:\r\n|(?<!\r)\n|[\r\x85\u2028\u2029])?\Z)"

_CHARACTERS = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "a": "\a", "e": "\x1b"}
_CLASSES = frozenset("dDsSwW")  # ASCII in Java by default; the translation compiles with re.ASCII
_ANCHORS = {"A": r"\A", "z": r"\Z", "Z": DOLLAR}
_REFUSED = {
    "p": "Unicode and POSIX properties (\\p{...}) are not supported",
    "P": "Unicode and POSIX properties (\\P{...}) are not supported",
    "h": "\\h (horizontal whitespace) is not supported",
    "H": "\\H (not horizontal whitespace) is not supported",
    "v": "\\v is vertical whitespace in Java but a vertical tab in Python; write [\\n\\x0B\\f\\r] instead",
    "V": "\\V (not vertical whitespace) is not supported",
    "R": "\\R (any line break) is not supported",
    "X": "\\X (a grapheme cluster) is not supported",
    "G": "\\G (the end of the previous match) is not supported",
    "N": "\\N{name} is not supported; write the character or \\x{hex}",
    "E": "\\E without a \\Q before it",
    # Java 17 reads \b with Unicode letters, Java 19+ with ASCII ones; \B matches the empty string
    # in Java and never in Python: whichever JVM ECS runs, some value would be misjudged.
    "b": "\\b (word boundary) is not supported: its meaning differs between Java versions and Python",
    "B": "\\B (not a word boundary) is not supported: Java and Python differ on the empty string",
}
_HEX2 = re.compile(r"[0-9a-fA-F]{2}")
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_HEX_BRACED = re.compile(r"\{([0-9a-fA-F]{1,8})\}")
_NAMED_REFERENCE = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)>")


@dataclass(frozen=True)
class Escape:
    """One escape: a literal ``char``, a ``class`` (\\d), an ``anchor`` or a ``reference``."""

    kind: Literal["char", "class", "anchor", "reference"]
    text: str  # the character itself for "char"; Python regex text for the other kinds
    end: int  # index just past the escape


def read_escape(src: str, i: int, *, in_class: bool, groups: int) -> Escape:
    """The escape starting with the backslash at ``src[i]``.

    ``groups`` is how many capturing groups were opened before it: Java reads ``\\11`` as group 11
    only if there are eleven groups already, else as group 1 followed by ``1``.
    """
    if i + 1 >= len(src):
        raise LiteralError("a regular expression cannot end with a lone backslash", i)
    c = src[i + 1]
    if c in _CHARACTERS:
        return Escape("char", _CHARACTERS[c], i + 2)
    if c in _CLASSES:
        return Escape("class", "\\" + c, i + 2)
    if c == "0":
        return _octal(src, i)
    if c == "x":
        return _hex(src, i)
    if c == "u":
        return _unicode(src, i)
    if c == "c":
        if i + 2 >= len(src):
            raise LiteralError("\\c must be followed by a character", i)
        return Escape("char", chr(ord(src[i + 2]) ^ 64), i + 3)
    if c in _REFUSED:
        raise LiteralError(_REFUSED[c], i)
    if not (c.isascii() and c.isalnum()):
        return Escape("char", c, i + 2)  # \. \\ \* ... : the character itself
    if in_class:
        raise LiteralError(f"\\{c} is not allowed inside a character class", i)
    if c in _ANCHORS:
        return Escape("anchor", _ANCHORS[c], i + 2)
    if c.isdigit():
        return _numbered_reference(src, i, groups)
    if c == "k":
        match = _NAMED_REFERENCE.match(src, i + 2)
        if match is None:
            raise LiteralError("\\k must be followed by a group name such as <name>", i)
        return Escape("reference", f"(?P={match[1]})", match.end())
    raise LiteralError(f"unknown escape \\{c} (Java rejects it too)", i)


def _octal(src: str, i: int) -> Escape:
    # Java: \0n, \0nn, or \0mnn with m <= 3; at least one octal digit.
    digits = ""
    for ch in src[i + 2 : i + 5]:
        if ch not in "01234567":
            break
        digits += ch
    if len(digits) == 3 and digits[0] > "3":
        digits = digits[:2]
    if not digits:
        raise LiteralError("\\0 must be followed by octal digits, as in \\012", i)
    return Escape("char", chr(int(digits, 8)), i + 2 + len(digits))


def _hex(src: str, i: int) -> Escape:
    if braced := _HEX_BRACED.match(src, i + 2):
        value, end = int(braced[1], 16), braced.end()
    elif two := _HEX2.match(src, i + 2):
        value, end = int(two[0], 16), two.end()
    else:
        raise LiteralError("\\x must be followed by two hex digits or {hex digits}", i)
    if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
        raise LiteralError("\\x{...} is not a valid code point", i)
    return Escape("char", chr(value), end)


def _unicode(src: str, i: int) -> Escape:
    four = _HEX4.match(src, i + 2)
    if four is None:
        raise LiteralError("\\u must be followed by four hex digits", i)
    value, end = int(four[0], 16), four.end()
    if 0xD800 <= value <= 0xDBFF and src.startswith("\\u", end) and (low := _HEX4.match(src, end + 2)):
        low_value = int(low[0], 16)
        if 0xDC00 <= low_value <= 0xDFFF:  # Java joins a surrogate pair into one code point
            value = 0x10000 + ((value - 0xD800) << 10) + (low_value - 0xDC00)
            end = low.end()
    if 0xD800 <= value <= 0xDFFF:
        raise LiteralError("a lone surrogate (\\uD800-\\uDFFF) is not supported", i)
    return Escape("char", chr(value), end)


def _numbered_reference(src: str, i: int, groups: int) -> Escape:
    number, end = int(src[i + 1]), i + 2
    while (
        end < len(src) and src[end].isascii() and src[end].isdigit() and number * 10 + int(src[end]) <= groups
    ):
        number, end = number * 10 + int(src[end]), end + 1
    if number > groups:
        raise LiteralError(f"\\{number} refers to a group that does not exist before it", i)
    # Wrapped so that a digit written after the reference is never read as part of it.
    return Escape("reference", f"(?:\\{number})", end)
