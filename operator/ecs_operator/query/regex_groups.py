"""Groups and inline flags of Java regular expressions, for the translator.

Java allows flags anywhere (``a(?i)b|c`` makes ``b`` *and* ``c`` case-insensitive, up to the end
of the enclosing group); Python only at the start or scoped. So ``(?i)`` and ``(?s)`` are accepted
at the very start of the pattern (as compile flags) and as scoped groups ``(?i:...)``, and refused
elsewhere. Only ``i`` and ``s`` are supported: ``m`` and ``d`` change where ``^ $ .`` match in ways
Python cannot express, ``x`` treats whitespace in classes differently, ``u`` and ``U`` switch to
Unicode rules. ``.`` is emitted by the translator, which asks :attr:`GroupStack.dotall` whether
``(?s)`` is in force.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import LiteralError

__all__ = ["GroupStack"]

_LOOKAROUNDS = ("(?=", "(?!", "(?<=", "(?<!")
_NAMED = re.compile(r"\(\?<([a-zA-Z][a-zA-Z0-9]*)>")
_FLAGS = re.compile(r"\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])")
_REFUSED = {
    "(?>": "atomic groups (?>...) are not supported",
    "(?P": "(?P...) is Python syntax; Java writes (?<name>...) and \\k<name>",
    "(?#": "(?#...) comments are not Java syntax",
    "(?(": "conditional groups (?(...)...) are not Java syntax",
    "(?<": "a group name must be letters and digits, starting with a letter: (?<name>...)",
}


@dataclass
class _Open:
    at: int  # offset of the '('
    dotall_before: bool
    lookaround: bool


class GroupStack:
    """Open groups, capturing-group count and the flags in force while translating."""

    def __init__(self) -> None:
        self.captured = 0
        self.dotall = False
        self.flags = 0  # re flags for the whole pattern: re.IGNORECASE or 0
        self._open: list[_Open] = []

    def open(self, src: str, i: int, *, at_start: bool) -> tuple[str, int]:
        """The Python text for the group opening at ``src[i]``, and the index past the opening."""
        if not src.startswith("(?", i):
            return self._push(i, "(", i + 1, capturing=True)
        if src.startswith("(?:", i):
            return self._push(i, "(?:", i + 3)
        for look in _LOOKAROUNDS:
            if src.startswith(look, i):
                return self._push(i, look, i + len(look), lookaround=True)
        if named := _NAMED.match(src, i):
            return self._push(i, f"(?P<{named[1]}>", named.end(), capturing=True)
        if refused := _REFUSED.get(src[i : i + 3]):
            raise LiteralError(refused, i)
        flags = _FLAGS.match(src, i)
        if flags is None:
            raise LiteralError(f"unknown group construct {src[i : i + 3]!r}", i)
        on, off, terminator = flags[1], flags[2] or "", flags[3]
        for letter in on + off:
            if letter not in "is":
                raise LiteralError(f"the flag {letter!r} is not supported (only i and s are)", i)
        ignore_case = "i" in on and "i" not in off
        dotall = ("s" in on and "s" not in off) or (self.dotall and "s" not in off)
        if terminator == ":":
            prefix = "(?i:" if ignore_case else "(?-i:" if "i" in off else "(?:"
            text, end = self._push(i, prefix, flags.end())
            self.dotall = dotall
            return text, end
        if not at_start or not (on or off):
            raise LiteralError("inline flags such as (?i) are supported only at the start; use (?i:...)", i)
        if "i" in on + off:
            self.flags = re.IGNORECASE if ignore_case else 0
        self.dotall = dotall
        return "", flags.end()

    def close(self, i: int) -> bool:
        """Close the innermost group; True if what it closed can take a quantifier."""
        if not self._open:
            raise LiteralError("unmatched ')'", i)
        group = self._open.pop()
        self.dotall = group.dotall_before
        return not group.lookaround

    def finish(self) -> None:
        if self._open:
            raise LiteralError("unclosed group: ')' is missing", self._open[-1].at)

    def _push(
        self, i: int, text: str, end: int, *, capturing: bool = False, lookaround: bool = False
    ) -> tuple[str, int]:
        self.captured += capturing
        self._open.append(_Open(i, self.dotall, lookaround))
        return text, end
