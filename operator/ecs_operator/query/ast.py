"""The syntax tree: frozen dataclasses, built by the parser, compiled by the evaluator.

Literals carry both the text as written (what the printer writes back) and the value parsed from
it once (a number, a version key, an instant, a compiled pattern), so that evaluating an
expression against thousands of instances never parses a literal again. Columns are kept for
messages but do not take part in equality, so a printed-then-parsed tree equals the original.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from .tokens import Operator
from .values import VersionKey

__all__ = [
    "And",
    "Condition",
    "Count",
    "Moment",
    "Node",
    "Not",
    "Or",
    "Pattern",
    "Subject",
    "SubjectKind",
    "Text",
    "Value",
    "Version",
]


class SubjectKind(enum.StrEnum):
    AGENT_CONNECTED = "agentConnected"
    AGENT_VERSION = "agentVersion"
    ATTRIBUTE = "attribute"
    EC2_INSTANCE_ID = "ec2InstanceId"
    REGISTERED_AT = "registeredAt"
    RUNNING_TASKS_COUNT = "runningTasksCount"
    TASK_GROUP = "task:group"


@dataclass(frozen=True)
class Subject:
    kind: SubjectKind
    name: str = ""  # the attribute name, for ATTRIBUTE only

    def __str__(self) -> str:
        return f"attribute:{self.name}" if self.kind is SubjectKind.ATTRIBUTE else self.kind.value


@dataclass(frozen=True)
class Text:
    """A string value; ``number`` is set when it is a decimal number (for ordered comparison)."""

    text: str
    number: Decimal | None = None


@dataclass(frozen=True)
class Count:
    """A runningTasksCount value."""

    text: str
    value: int


@dataclass(frozen=True)
class Version:
    """An agentVersion value and its semantic-version key."""

    text: str
    key: VersionKey


@dataclass(frozen=True)
class Moment:
    """A registeredAt value: a UTC instant, or a whole UTC day when ``date_only``."""

    text: str
    at: datetime
    date_only: bool


@dataclass(frozen=True)
class Pattern:
    """A Java regular expression and its Python translation (compared by the Java text)."""

    text: str
    regex: re.Pattern[str] = field(compare=False, repr=False)


Value = Text | Count | Version | Moment | Pattern


@dataclass(frozen=True)
class Condition:
    """``subject operator argument``: no argument for exists/!exists, a tuple for in/!in."""

    subject: Subject
    operator: Operator
    argument: Value | tuple[Text, ...] | None
    column: int = field(default=0, compare=False)  # of the subject


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]  # two or more


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]  # two or more


Node = Condition | Not | And | Or
