"""What an instance exposes to the language: the :class:`Subjects` protocol, and a static one.

The placement engine's instance snapshot implements :class:`Subjects` directly, so evaluating a
``memberOf`` expression builds nothing per instance. :class:`StaticSubjects` is a plain record for
tests, tools and custom schedulers that have no snapshot of their own.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

__all__ = ["StaticSubjects", "Subjects"]


class Subjects(Protocol):
    """The values the subjects of an expression read on one container instance."""

    @property
    def agent_connected(self) -> bool: ...

    @property
    def agent_version(self) -> str | None: ...

    @property
    def ec2_instance_id(self) -> str: ...

    @property
    def registered_at(self) -> datetime | None:
        """Timezone-aware UTC (a naive value is taken as UTC)."""
        ...

    @property
    def running_tasks_count(self) -> int: ...

    @property
    def task_groups(self) -> Collection[str]:
        """The groups of the tasks currently on the instance (``in`` and iteration are used)."""
        ...

    def attribute(self, name: str) -> str | None:
        """The attribute's value; None when absent, "" for an attribute with no value."""
        ...


@dataclass(frozen=True)
class StaticSubjects:
    """A :class:`Subjects` given as plain values; every field has an empty default."""

    ec2_instance_id: str = ""
    agent_connected: bool = True
    agent_version: str | None = None
    registered_at: datetime | None = None
    running_tasks_count: int = 0
    task_groups: Collection[str] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)

    def attribute(self, name: str) -> str | None:
        return self.attributes.get(name)
