"""What admission's schema and CEL cannot check, checked in one place (pure).

Why one module: the same expression is refused twice, by the validating webhook at admission and,
as the backstop when the webhook is off or was down, by the handler that reads the spec; both must
say the same words at the same field path. CEL sees the shape of a `memberOf` expression or a
`cron()`, not whether it parses: that needs the cluster query language's parser (`query`) and the
schedule grammar (`schedules`), which live here in Python.

Messages are the parsers' own (ECS's wording, with the column and, for queries, a caret line), led
by the field path as the API server writes it (`spec.placementConstraints[0].expression`), so a
status condition, a Warning Event and a refused `kubectl apply` read alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ecs_operator.placement import PlacementSpecError, constraints_from_spec, strategies_from_spec
from ecs_operator.query import QuerySyntaxError
from ecs_operator.schedules import ScheduleExpressionError, parse_expression, time_zone

INVALID_PLACEMENT = "InvalidPlacement"
INVALID_SCHEDULE = "InvalidSchedule"
INVALID_SPEC = "InvalidSpec"


@dataclass(frozen=True)
class Problem:
    """One refused field: where (`path`), ECS's words (`message`), and a condition reason."""

    path: str
    message: str
    reason: str = INVALID_PLACEMENT

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def constraint_problems(items: Any, path: str) -> list[Problem]:
    """Each `placementConstraints` entry parsed on its own, so the path names the bad one."""
    if items is None:
        return []
    if not isinstance(items, Sequence) or isinstance(items, str):
        return [Problem(path, "must be a list of placement constraints", INVALID_SPEC)]
    problems: list[Problem] = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            problems.append(Problem(f"{path}[{i}]", "must be an object {type, expression}", INVALID_SPEC))
            continue
        try:
            constraints_from_spec([item])
        except QuerySyntaxError as exc:
            problems.append(Problem(f"{path}[{i}].expression", str(exc)))
        except (PlacementSpecError, ValueError, TypeError) as exc:
            problems.append(Problem(f"{path}[{i}]", str(exc)))
    return problems


def strategy_problems(items: Any, path: str) -> list[Problem]:
    """`placementStrategy` entries (CEL checks them too; this is the backstop without admission)."""
    if items is None:
        return []
    if not isinstance(items, Sequence) or isinstance(items, str):
        return [Problem(path, "must be a list of placement strategies", INVALID_SPEC)]
    problems: list[Problem] = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            problems.append(Problem(f"{path}[{i}]", "must be an object {type, field}", INVALID_SPEC))
            continue
        try:
            strategies_from_spec([item])
        except (PlacementSpecError, ValueError, TypeError) as exc:
            problems.append(Problem(f"{path}[{i}]", str(exc)))
    return problems


def placement_problems(spec: Mapping[str, Any], path: str = "spec") -> list[Problem]:
    return [
        *constraint_problems(spec.get("placementConstraints"), f"{path}.placementConstraints"),
        *strategy_problems(spec.get("placementStrategy"), f"{path}.placementStrategy"),
    ]


def _date(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def schedule_problems(spec: Mapping[str, Any]) -> list[Problem]:
    """The schedule expression, its time zone and its date bounds, as `Schedule.parse` reads them."""
    problems: list[Problem] = []
    expression = spec.get("scheduleExpression")
    if not isinstance(expression, str):
        problems.append(Problem("spec.scheduleExpression", "must be a string", INVALID_SPEC))
    else:
        try:
            parse_expression(expression)
        except ScheduleExpressionError as exc:
            problems.append(Problem("spec.scheduleExpression", str(exc), INVALID_SCHEDULE))
    zone = spec.get("scheduleExpressionTimezone")
    if zone is not None:
        try:
            time_zone(str(zone))
        except ScheduleExpressionError as exc:
            problems.append(Problem("spec.scheduleExpressionTimezone", str(exc), INVALID_SCHEDULE))
    start, end = _date(spec.get("startDate")), _date(spec.get("endDate"))
    aware = start is not None and end is not None and start.tzinfo is not None and end.tzinfo is not None
    if aware and start is not None and end is not None and end <= start:
        problems.append(Problem("spec.endDate", "endDate must be after startDate", INVALID_SCHEDULE))
    return problems


def spec_problems(kind: str, spec: Any) -> list[Problem]:
    """Everything refused in one object's spec (empty: nothing this module can see is wrong)."""
    if not isinstance(spec, Mapping):
        return [Problem("spec", "must be an object", INVALID_SPEC)]
    if kind in ("EcsTask", "EcsService", "EcsTaskDefinition"):
        if kind == "EcsTaskDefinition":
            return constraint_problems(spec.get("placementConstraints"), "spec.placementConstraints")
        return placement_problems(spec)
    if kind == "ScheduledTask":
        target = spec.get("target")
        found = schedule_problems(spec)
        if isinstance(target, Mapping):
            found += placement_problems(target, "spec.target")
        return found
    return []


def summary(problems: Sequence[Problem]) -> str:
    """One message for a condition or an Event: every problem, each led by its field path."""
    return "\n".join(str(p) for p in problems)
