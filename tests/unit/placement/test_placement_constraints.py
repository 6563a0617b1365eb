"""Stage 3: distinctInstance within the group, memberOf of the request and the task definition."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from ecs_operator.placement import (
    ClusterSnapshot,
    FailureReason,
    PlacementEngine,
    Rejection,
    TaskBuilder,
    Verdict,
    make_cluster,
    make_instance,
    make_task,
    place,
)

ENGINE = PlacementEngine()
MEMBER_OF = [c.name for c in ENGINE.checks].index("memberOf")
DISTINCT = [c.name for c in ENGINE.checks].index("distinctInstance")
PASS = len(ENGINE.checks)
R = FailureReason


def cluster() -> ClusterSnapshot:
    return make_cluster(
        make_instance("c.a1")
        .zone("zone-a")
        .instance_type("t2.small")
        .agent_version("1.80.0")
        .task("service:web"),
        make_instance("c.b1")
        .zone("zone-b")
        .instance_type("m5.large")
        .attribute("stack", "prod")
        .registered_at(datetime(2026, 1, 1, tzinfo=UTC))
        .task("service:db")
        .task("service:db"),
        make_instance("c.c1").zone("zone-c").instance_type("t2.micro").ec2_instance_id("i-0abc"),
    )


def verdicts(task: TaskBuilder) -> tuple[Verdict, ...]:
    return ENGINE.evaluate(cluster(), task.build())


def member_of(expression: str) -> Rejection:
    return Rejection(R.MEMBER_OF, expression)


CASES = [
    pytest.param(
        make_task("t").group("service:web").distinct_instance(),
        {"c.a1": (DISTINCT, Rejection(R.DISTINCT_INSTANCE, "already runs a task of service:web"))},
        id="distinct-instance-within-the-group",
    ),
    pytest.param(
        make_task("t").group("service:other").distinct_instance(),
        {},
        id="distinct-instance-ignores-other-groups",
    ),
    pytest.param(
        make_task("t").member_of("attribute:ecs.instance-type =~ t2.*"),
        {"c.b1": (MEMBER_OF, member_of("attribute:ecs.instance-type =~ t2.*"))},
        id="member-of-regex",
    ),
    pytest.param(
        make_task("t").member_of("attribute:ecs.availability-zone in [zone-a, zone-c]"),
        {"c.b1": (MEMBER_OF, member_of("attribute:ecs.availability-zone in [zone-a, zone-c]"))},
        id="member-of-in-list",
    ),
    pytest.param(
        make_task("t").member_of("attribute:stack exists"),
        {
            "c.a1": (MEMBER_OF, member_of("attribute:stack exists")),
            "c.c1": (MEMBER_OF, member_of("attribute:stack exists")),
        },
        id="member-of-custom-attribute-exists",
    ),
    pytest.param(
        make_task("t").member_of("not(task:group == service:db)"),
        {"c.b1": (MEMBER_OF, member_of("not(task:group == service:db)"))},
        id="member-of-anti-affinity",
    ),
    pytest.param(
        make_task("t").member_of("task:group == service:db"),
        {
            "c.a1": (MEMBER_OF, member_of("task:group == service:db")),
            "c.c1": (MEMBER_OF, member_of("task:group == service:db")),
        },
        id="member-of-affinity",
    ),
    pytest.param(
        make_task("t").member_of("runningTasksCount < 2"),
        {"c.b1": (MEMBER_OF, member_of("runningTasksCount < 2"))},
        id="member-of-running-tasks-count",
    ),
    pytest.param(
        make_task("t").member_of("ec2InstanceId in ['i-0abc', 'b1']"),
        {"c.a1": (MEMBER_OF, member_of("ec2InstanceId in ['i-0abc', 'b1']"))},
        id="member-of-ec2-instance-id",
    ),
    pytest.param(
        make_task("t").member_of("agentVersion >= 1.50.0"),
        {
            "c.b1": (MEMBER_OF, member_of("agentVersion >= 1.50.0")),
            "c.c1": (MEMBER_OF, member_of("agentVersion >= 1.50.0")),
        },
        id="member-of-agent-version",
    ),
    pytest.param(
        make_task("t").member_of("registeredAt < 2027-01-01"),
        {
            "c.a1": (MEMBER_OF, member_of("registeredAt < 2027-01-01")),
            "c.c1": (MEMBER_OF, member_of("registeredAt < 2027-01-01")),
        },
        id="member-of-registered-at",
    ),
    pytest.param(
        make_task("t")
        .task_definition_member_of("attribute:ecs.instance-type =~ t2.*")
        .member_of("attribute:ecs.availability-zone != zone-a"),
        {
            "c.a1": (MEMBER_OF, member_of("attribute:ecs.availability-zone != zone-a")),
            "c.b1": (MEMBER_OF, member_of("attribute:ecs.instance-type =~ t2.*")),
        },
        id="task-definition-and-request-both-apply",
    ),
    pytest.param(
        make_task("t")
        .group("service:web")
        .distinct_instance()
        .member_of("attribute:ecs.instance-type =~ t2.*"),
        {
            "c.a1": (DISTINCT, Rejection(R.DISTINCT_INSTANCE, "already runs a task of service:web")),
            "c.b1": (MEMBER_OF, member_of("attribute:ecs.instance-type =~ t2.*")),
        },
        id="member-of-is-checked-before-distinct-instance",
    ),
]


@pytest.mark.parametrize(("task", "rejected"), CASES)
def test_constraints(task: TaskBuilder, rejected: dict[str, tuple[int, Rejection]]) -> None:
    expected = tuple(
        Verdict(name, *rejected[name]) if name in rejected else Verdict(name, PASS)
        for name in ("c.a1", "c.b1", "c.c1")
    )
    assert verdicts(task) == expected


def test_distinct_instance_places_a_group_once_per_instance_then_fails() -> None:
    task = make_task("t").group("family:batch").distinct_instance().build()
    result = place(cluster(), task, 4, random.Random(3))
    assert sorted(p.instance for p in result.placements) == ["c.a1", "c.b1", "c.c1"]
    assert result.unplaced == 1
    assert result.failure is not None
    assert {v.rejection.reason for v in result.failure.verdicts if v.rejection} == {R.DISTINCT_INSTANCE}


def test_member_of_sees_task_groups_placed_earlier_in_the_same_call() -> None:
    # Only instances already running a task of the group are eligible: the group can grow where it is.
    task = make_task("t").group("service:db").member_of("task:group == service:db").build()
    result = place(cluster(), task, 3, random.Random(0))
    assert [p.instance for p in result.placements] == ["c.b1", "c.b1", "c.b1"]


def test_memberof_expression_is_parsed_once_per_request() -> None:
    task = make_task("t").member_of("attribute:stack == prod").build()
    (constraint,) = task.constraints
    assert constraint.parsed is not None
    again = make_task("u").member_of("attribute:stack == prod").build()
    assert again.constraints[0].parsed is constraint.parsed
