"""Kubernetes status conditions (API conventions), kept in the pure core.

`lastTransitionTime` changes only when the condition's status changes, as the conventions ask;
reason and message may change at any time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ecs_operator.names import TIME_FORMAT


def set_condition(
    conditions: Sequence[Mapping[str, Any]],
    *,
    type: str,
    status: bool,
    reason: str,
    message: str,
    now: datetime,
    generation: int | None = None,
) -> list[dict[str, Any]]:
    text = "True" if status else "False"
    out: list[dict[str, Any]] = []
    found = False
    for cond in conditions:
        item = dict(cond)
        if item.get("type") == type:
            found = True
            if item.get("status") != text:
                item["lastTransitionTime"] = now.strftime(TIME_FORMAT)
            item.update(status=text, reason=reason, message=message)
            if generation is not None:
                item["observedGeneration"] = generation
        out.append(item)
    if not found:
        new: dict[str, Any] = {
            "type": type,
            "status": text,
            "reason": reason,
            "message": message,
            "lastTransitionTime": now.strftime(TIME_FORMAT),
        }
        if generation is not None:
            new["observedGeneration"] = generation
        out.append(new)
    return out
