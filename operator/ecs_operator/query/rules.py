"""What each subject is, which operators it allows, and how its values are read (ecs-semantics 2.2).

The parser calls :func:`subject` and :func:`literal`; both raise the internal
:class:`~.errors.LiteralError` with an offset inside their own text, which the parser turns into
a :class:`~.errors.QuerySyntaxError` column. Every literal is checked here, at parse time, so that
a value no instance could ever match (``runningTasksCount > many``, ``agentConnected == yes``) is
a syntax error rather than a constraint that silently never holds.
"""

from __future__ import annotations

import difflib
import string

from .ast import Count, Moment, Pattern, Subject, SubjectKind, Text, Value, Version
from .errors import LiteralError
from .regex import compile_java
from .tokens import Operator
from .values import parse_moment, parse_number, parse_version

__all__ = ["ALLOWED", "MAX_ATTRIBUTE_NAME", "literal", "subject"]

_EQUALITY = (Operator.EQ, Operator.NE)
_ORDER = (Operator.GT, Operator.GE, Operator.LT, Operator.LE)
_MEMBERSHIP = (Operator.IN, Operator.NOT_IN)
_MATCHING = (Operator.MATCHES, Operator.NOT_MATCHES)

#: The operators each subject allows, in the order ecs-semantics 2.2 lists them.
ALLOWED: dict[SubjectKind, tuple[Operator, ...]] = {
    SubjectKind.AGENT_CONNECTED: (*_EQUALITY, *_MEMBERSHIP, *_MATCHING),
    SubjectKind.EC2_INSTANCE_ID: (*_EQUALITY, *_MEMBERSHIP, *_MATCHING),
    SubjectKind.AGENT_VERSION: (*_EQUALITY, *_ORDER),
    SubjectKind.RUNNING_TASKS_COUNT: (*_EQUALITY, *_ORDER),
    SubjectKind.REGISTERED_AT: (*_EQUALITY, *_ORDER),
    SubjectKind.ATTRIBUTE: tuple(Operator),
    SubjectKind.TASK_GROUP: tuple(Operator),
}

MAX_ATTRIBUTE_NAME = 128
_ATTRIBUTE_PREFIX = "attribute:"
_NAME_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-_/\\.")
_BY_NAME = {kind.value: kind for kind in SubjectKind if kind is not SubjectKind.ATTRIBUTE}
_SUBJECT_LIST = (
    "agentConnected, agentVersion, attribute:<name>, ec2InstanceId, registeredAt, runningTasksCount"
    " or task:group"
)
_INTEGER = frozenset(string.digits)


def subject(word: str) -> Subject:
    """The subject a word names: ``attribute:<name>`` or one of the built-in subjects."""
    if word.startswith(_ATTRIBUTE_PREFIX):
        name = word[len(_ATTRIBUTE_PREFIX) :]
        _check_attribute_name(name)
        return Subject(SubjectKind.ATTRIBUTE, name)
    if word in _BY_NAME:
        return Subject(_BY_NAME[word])
    candidates = [*_BY_NAME, _ATTRIBUTE_PREFIX]
    close = [c for c in candidates if c.lower() == word.lower()] or difflib.get_close_matches(
        word, candidates, 1
    )
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise LiteralError(f"unknown subject '{word}'{hint}; expected {_SUBJECT_LIST}")


def _check_attribute_name(name: str) -> None:
    offset = len(_ATTRIBUTE_PREFIX)
    if not name:
        raise LiteralError("expected an attribute name after 'attribute:'", offset)
    for k, c in enumerate(name):
        if c not in _NAME_CHARACTERS:
            raise LiteralError(
                f"an attribute name may contain only letters, digits, '-', '_', '/', '\\' and '.', not {c!r}",
                offset + k,
            )
    if len(name) > MAX_ATTRIBUTE_NAME:
        raise LiteralError(
            f"an attribute name is at most {MAX_ATTRIBUTE_NAME} characters", offset + MAX_ATTRIBUTE_NAME
        )


def literal(subject: Subject, operator: Operator, text: str) -> Value:
    """The value ``text`` stands for after ``subject operator``, read once for evaluation."""
    if operator in _MATCHING:
        return Pattern(text, compile_java(text))
    kind = subject.kind
    if kind is SubjectKind.RUNNING_TASKS_COUNT:
        digits = text.removeprefix("-")
        if not digits or not set(digits) <= _INTEGER:
            raise LiteralError(f"runningTasksCount compares with a whole number, not {text!r}")
        return Count(text, int(text))
    if kind is SubjectKind.AGENT_VERSION:
        key = parse_version(text)
        if key is None:
            raise LiteralError(f"agentVersion compares with a version such as 1.14.5, not {text!r}")
        return Version(text, key)
    if kind is SubjectKind.REGISTERED_AT:
        moment = parse_moment(text)
        if moment is None:
            raise LiteralError(
                "registeredAt compares with a date such as 2018-06-18, 2018-06-18T22:28:28, "
                f"2018-06-18T22:28:28Z or 2018-06-18T22:28:28+00:00, not {text!r}"
            )
        return Moment(text, *moment)
    if kind is SubjectKind.AGENT_CONNECTED and text not in ("true", "false"):
        raise LiteralError(f"agentConnected compares with true or false, not {text!r}")
    return Text(text, parse_number(text))
