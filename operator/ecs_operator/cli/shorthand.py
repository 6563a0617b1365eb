"""The AWS CLI's shorthand syntax for structure arguments, so `kubectl ecs` reads what `aws ecs` reads.

    --attributes name=stack,value=prod,targetId=worker-a1
    --placement-strategy type=spread,field=attribute:ecs.availability-zone type=binpack,field=memory
    --placement-constraints 'type=memberOf,expression="attribute:ecs.availability-zone in [zone-a, zone-b]"'

Grammar (one argument is one structure)::

    structure := pair ("," pair)*
    pair      := key "=" value
    value     := quoted | bare          quoted: "..." or '...' (no escapes)
    bare      := characters up to the next top-level ","; "[...]" and "(...)" may hold commas

An argument that starts with ``[`` or ``{`` is JSON instead (a list of structures, or one), as the
AWS CLI also accepts.
"""

from __future__ import annotations

import json
from typing import Any


class ShorthandError(ValueError):
    """An argument that is neither valid shorthand nor valid JSON; names the argument."""


def parse_structures(values: list[str], option: str) -> list[dict[str, Any]]:
    """Every argument of ``option`` parsed: shorthand structures, or JSON lists/objects."""
    out: list[dict[str, Any]] = []
    for value in values:
        text = value.strip()
        if text.startswith(("[", "{")):
            out.extend(_json(text, option))
        else:
            out.append(parse_shorthand(text, option))
    return out


def _json(text: str, option: str) -> list[dict[str, Any]]:
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ShorthandError(f"{option}: invalid JSON at column {exc.colno}: {exc.msg}") from exc
    items = loaded if isinstance(loaded, list) else [loaded]
    if not all(isinstance(item, dict) for item in items):
        raise ShorthandError(f"{option}: expected a JSON object or a list of objects")
    return items


def parse_shorthand(text: str, option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for piece in _split(text, option):
        key, sep, value = piece.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ShorthandError(f"{option}: expected key=value, got {piece!r}")
        if key in pairs:
            raise ShorthandError(f"{option}: {key} given twice in {text!r}")
        pairs[key] = _unquote(value.strip())
    return pairs


def _split(text: str, option: str) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        elif ch == "," and depth == 0:
            pieces.append("".join(current))
            current = []
            continue
        current.append(ch)
    if quote or depth:
        raise ShorthandError(f"{option}: unbalanced quotes or brackets in {text!r}")
    pieces.append("".join(current))
    return [p for p in pieces if p.strip()]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value
