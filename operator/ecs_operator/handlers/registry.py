"""The one place that knows every handler module: importing it registers them all with Kopf."""

from __future__ import annotations

from ecs_operator.handlers import (
    instances,
    leadership,
    resync,
    retirement,
    scheduled,
    services,
    settings,
    sweep,
    task_sweep,
    taskdefs,
    tasks,
    tenancy,
)

__all__ = [
    "instances",
    "leadership",
    "resync",
    "retirement",
    "scheduled",
    "services",
    "settings",
    "sweep",
    "task_sweep",
    "taskdefs",
    "tasks",
    "tenancy",
]
