"""What admission's schema cannot check: the same problems for the webhook and the handlers."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_operator.reconcile.validation import (
    INVALID_PLACEMENT,
    INVALID_SCHEDULE,
    Problem,
    spec_problems,
    summary,
)

BAD = "attribute:ecs.instance-type =! t2.small"
GOOD = "attribute:ecs.instance-type == t2.small"


def member_of(expression: str) -> dict[str, str]:
    return {"type": "memberOf", "expression": expression}


@pytest.mark.parametrize(
    ("kind", "spec", "paths"),
    [
        ("EcsService", {"placementConstraints": [member_of(GOOD)]}, []),
        (
            "EcsService",
            {"placementConstraints": [member_of(GOOD), member_of(BAD)]},
            ["spec.placementConstraints[1].expression"],
        ),
        ("EcsTask", {"placementConstraints": [member_of(BAD)]}, ["spec.placementConstraints[0].expression"]),
        (
            "EcsTaskDefinition",
            {"placementConstraints": [member_of(BAD)]},
            ["spec.placementConstraints[0].expression"],
        ),
        (
            "EcsTask",
            {"placementStrategy": [{"type": "binpack", "field": "disk"}]},
            ["spec.placementStrategy[0]"],
        ),
        ("EcsTask", {"placementConstraints": "memberOf"}, ["spec.placementConstraints"]),
        ("EcsTask", {"placementConstraints": [7]}, ["spec.placementConstraints[0]"]),
        (
            "ScheduledTask",
            {"scheduleExpression": "rate(5 minutes)", "target": {"placementConstraints": [member_of(BAD)]}},
            ["spec.target.placementConstraints[0].expression"],
        ),
        ("ScheduledTask", {"scheduleExpression": "cron(0 10 31 2 ? *)"}, ["spec.scheduleExpression"]),
        ("ScheduledTask", {"scheduleExpression": "cron(61 10 * * ? *)"}, ["spec.scheduleExpression"]),
        (
            "ScheduledTask",
            {"scheduleExpression": "rate(1 hour)", "scheduleExpressionTimezone": "Mars/Olympus"},
            ["spec.scheduleExpressionTimezone"],
        ),
        (
            "ScheduledTask",
            {
                "scheduleExpression": "rate(1 hour)",
                "startDate": "2030-01-02T00:00:00Z",
                "endDate": "2030-01-01T00:00:00Z",
            },
            ["spec.endDate"],
        ),
        ("ScheduledTask", {"scheduleExpression": 5}, ["spec.scheduleExpression"]),
        ("EcsCluster", {"nodeSelector": {}}, []),
        ("EcsService", "not an object", ["spec"]),
    ],
    ids=[
        "valid",
        "second-constraint",
        "task",
        "task-definition",
        "strategy-field",
        "constraints-not-a-list",
        "constraint-not-an-object",
        "schedule-target",
        "cron-never-fires",
        "cron-minute-out-of-range",
        "unknown-zone",
        "end-before-start",
        "expression-not-a-string",
        "other-kinds",
        "spec-not-an-object",
    ],
)
def test_problems_name_the_field(kind: str, spec: Any, paths: list[str]) -> None:
    assert [p.path for p in spec_problems(kind, spec)] == paths


def test_a_query_problem_carries_the_column_and_the_caret() -> None:
    (problem,) = spec_problems("EcsService", {"placementConstraints": [member_of(BAD)]})
    assert problem.reason == INVALID_PLACEMENT
    assert problem.message == (
        f"unexpected '='; did you mean '==' or '=~'? at column 29\n{BAD}\n                            ^"
    )
    assert str(problem).startswith("spec.placementConstraints[0].expression: unexpected '='")


def test_a_schedule_problem_carries_the_field_and_column() -> None:
    (problem,) = spec_problems("ScheduledTask", {"scheduleExpression": "cron(61 10 * * ? *)"})
    assert problem.reason == INVALID_SCHEDULE
    assert "field 1" in problem.message and "column" in problem.message


def test_summary_lists_every_problem_with_its_path() -> None:
    problems = [Problem("spec.a", "one"), Problem("spec.b", "two")]
    assert summary(problems) == "spec.a: one\nspec.b: two"
