"""DeleteTaskDefinitions' decision (pure): which revisions turn DELETE_IN_PROGRESS, which fail.

ECS deletes only revisions that were deregistered first (INACTIVE); up to 10 references per call,
each ``family:revision`` or its ARN, a revision required. Each reference either joins
``taskDefinitions`` (status DELETE_IN_PROGRESS) or becomes a ``failures[]`` entry; the call itself
fails only for an empty or over-long list. The API reference documents no failure reasons: these
are the ones ECS answers with (as reproduced by the usual ECS emulators). A revision already
DELETE_IN_PROGRESS is accepted again, unchanged (asking twice is not an error).

How a deletion is carried out (`spec.deletedRevisions`, then the operator's purge) is
`reconcile.taskdefs`'s docstring.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ecs_operator.ecsapi.arns import resource_id
from ecs_operator.ecsapi.errors import invalid
from ecs_operator.reconcile.taskdefs import ResolveError, parse_ref, revision_status

MOST = 10
INVALID_ID = "The specified task definition identifier is invalid. Specify a valid name or ARN and try again."
NOT_FOUND = (
    "The specified task definition does not exist. Specify a valid account, family, revision and try again."
)
STILL_ACTIVE = (
    "The specified task definition is still in ACTIVE status. Please deregister the target and try again."
)


@dataclass(frozen=True)
class Failure:
    given: str  # the reference as the caller wrote it
    reason: str
    family: str | None = None  # known when the reference parsed: the failure's ARN is then the full one
    revision: int | None = None


@dataclass
class Plan:
    accepted: list[tuple[str, int]] = field(default_factory=list)  # (family, revision), request order
    failures: list[Failure] = field(default_factory=list)

    def by_family(self) -> dict[str, list[int]]:
        """The revisions to add to each family's ``spec.deletedRevisions``."""
        out: dict[str, list[int]] = {}
        for family, revision in self.accepted:
            out.setdefault(family, []).append(revision)
        return out


def references(params: Mapping[str, Any]) -> list[str]:
    """The request's ``taskDefinitions``: 1 to 10 strings, or InvalidParameterException."""
    given = params.get("taskDefinitions")
    if not isinstance(given, list) or not given:
        raise invalid("taskDefinitions can not be empty.")
    if len(given) > MOST:
        raise invalid(f"taskDefinitions can have at most {MOST} elements.")
    if not all(isinstance(g, str) for g in given):
        raise invalid("taskDefinitions must be a list of strings.")
    return given


def plan(given: Sequence[str], revisions_of: Callable[[str], Sequence[Mapping[str, Any]] | None]) -> Plan:
    """Decide each reference; ``revisions_of(family)`` is the family's ``status.revisions`` (None:
    no such family). A reference repeated in one request counts once."""
    out = Plan()
    for text in given:
        try:
            ref = parse_ref(resource_id(text, "task-definition"))
        except ResolveError:
            out.failures.append(Failure(text, INVALID_ID))
            continue
        if ref.revision is None:
            out.failures.append(Failure(text, INVALID_ID))
            continue
        revisions = revisions_of(ref.family)
        status = None if revisions is None else revision_status(revisions, ref.revision)
        if status is None:
            out.failures.append(Failure(text, NOT_FOUND, ref.family, ref.revision))
        elif status == "ACTIVE":
            out.failures.append(Failure(text, STILL_ACTIVE, ref.family, ref.revision))
        elif (ref.family, ref.revision) not in out.accepted:
            out.accepted.append((ref.family, ref.revision))
    return out
