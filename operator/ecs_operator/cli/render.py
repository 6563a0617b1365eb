"""Output of `kubectl ecs`: tables the way kubectl prints them, or JSON/YAML documents (pure).

Tables: upper-case headers, left-aligned columns three spaces apart, ``<none>`` for an empty cell,
and ages in kubectl's human form (``45s``, ``5m30s``, ``125m``, ``7h12m``, ``3d4h``, ``12d``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import yaml

NONE = "<none>"
FORMATS = ("table", "json", "yaml")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[h.upper() for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["   ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None or value == "" or value == []:
        return NONE
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def document(data: Any, fmt: str) -> str:
    """A JSON (indented, stable key order as given) or YAML document."""
    if fmt == "json":
        return json.dumps(data, indent=2, default=str)
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False).rstrip("\n")


def age(timestamp: str | None, now: datetime | None = None) -> str:
    """kubectl's human duration since an RFC 3339 timestamp (``<unknown>`` when absent)."""
    if not timestamp:
        return "<unknown>"
    then = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    seconds = int(((now or datetime.now(UTC)) - then).total_seconds())
    return human_duration(max(seconds, 0))


def human_duration(seconds: int) -> str:
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 120:
        return f"{seconds}s"
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if hours < 3:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if days < 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    return f"{days // 365}y"
