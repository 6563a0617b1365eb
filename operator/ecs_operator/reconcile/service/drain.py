"""Draining a deleted service without planning (pure): the path that works whatever the spec says.

Why: a deleted service is DRAINING until its tasks have stopped, and the planner gets there by
planning with desired 0. A spec the planner cannot read (a `memberOf` expression that does not
parse, a task definition that is gone) must not keep the service, and its finalizer, forever:
then every live task is simply stopped (ServiceSchedulerInitiated, as a scale-in to 0 would) and
the finalizer goes once they are all STOPPED. Nothing here needs placement or the task definition.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .reasons import scaling


@dataclass(frozen=True)
class DrainStop:
    name: str
    uid: str
    reason: str


@dataclass(frozen=True)
class Drain:
    stops: tuple[DrainStop, ...]
    """Tasks still wanted RUNNING: stop them."""
    finished: bool
    """Every task is STOPPED (or there is none): the service is INACTIVE."""


def _primary(service_status: Mapping[str, Any]) -> str | None:
    for deployment in service_status.get("deployments") or []:
        if isinstance(deployment, Mapping) and deployment.get("status") == "PRIMARY":
            return str(deployment.get("id") or "") or None
    return None


def drain(service_status: Mapping[str, Any], tasks: Sequence[Mapping[str, Any]]) -> Drain:
    """What to stop now, and whether draining is over, from the service's status and its tasks."""
    reason = scaling(_primary(service_status))
    stops: list[DrainStop] = []
    finished = True
    for task in tasks:
        status = task.get("status") or {}
        if status.get("lastStatus") == "STOPPED":
            continue
        finished = False
        wanted = "STOPPED" not in ((task.get("spec") or {}).get("desiredStatus"), status.get("desiredStatus"))
        if wanted:
            meta = task["metadata"]
            stops.append(DrainStop(str(meta["name"]), str(meta["uid"]), reason))
    return Drain(tuple(stops), finished)
