"""Failure reasons, the closest match, and the ECS messages that report them."""

from __future__ import annotations

import random

import pytest

from ecs_operator.placement import (
    ClusterSnapshot,
    Failure,
    FailureReason,
    InstanceBuilder,
    PlacementFailure,
    Rejection,
    TaskBuilder,
    Verdict,
    make_cluster,
    make_instance,
    make_task,
    place,
)

R = FailureReason
HEAD = "service web was unable to place a task because no container instance met all of its requirements."
CLOSEST = "The closest matching container-instance c.a"
TAIL = "For more information, see the Troubleshooting section of the Amazon ECS Developer Guide."


def failure_for(task: TaskBuilder, *instances: InstanceBuilder) -> PlacementFailure:
    result = place(make_cluster(*instances), task.build(), 1, random.Random(0))
    assert result.failure is not None
    return result.failure


MESSAGES = [
    pytest.param(
        make_task("t").memory(4096),
        [make_instance("c.a").memory(1024), make_instance("c.b").disconnected()],
        f"{HEAD} {CLOSEST} has insufficient memory available. {TAIL}",
        "TaskFailedToStart: RESOURCE:MEMORY",
        id="memory",
    ),
    pytest.param(
        make_task("t").cpu(8192),
        [make_instance("c.a")],
        f"{HEAD} {CLOSEST} has insufficient CPU units available. {TAIL}",
        "TaskFailedToStart: RESOURCE:CPU",
        id="cpu",
    ),
    pytest.param(
        make_task("t").port(22),
        [make_instance("c.a").reserved_ports(22)],
        f"{HEAD} {CLOSEST} is already using a port required by your task. {TAIL}",
        "TaskFailedToStart: RESOURCE:PORTS",
        id="ports",
    ),
    pytest.param(
        make_task("t").arch("arm64"),
        [make_instance("c.a")],
        f"{HEAD} {CLOSEST} is missing an attribute required by your task. {TAIL}",
        "TaskFailedToStart: ATTRIBUTE",
        id="attribute",
    ),
    pytest.param(
        make_task("t"),
        [make_instance("c.a").disconnected()],
        f'{HEAD} {CLOSEST} encountered error "AGENT". {TAIL}',
        "TaskFailedToStart: AGENT",
        id="agent",
    ),
    pytest.param(
        make_task("t").member_of("attribute:stack == prod"),
        [make_instance("c.a")],
        f'{HEAD} {CLOSEST} encountered error "MemberOf placement constraint unsatisfied". {TAIL}',
        "TaskFailedToStart: MemberOf placement constraint unsatisfied",
        id="member-of",
    ),
    pytest.param(
        make_task("t").memory(4096),
        [],
        f"{HEAD} Reason: No Container Instances were found in your cluster. {TAIL}",
        "TaskFailedToStart: No Container Instances were found in your cluster.",
        id="no-instances",
    ),
]


@pytest.mark.parametrize(("task", "instances", "message", "stopped_reason"), MESSAGES)
def test_messages(
    task: TaskBuilder, instances: list[InstanceBuilder], message: str, stopped_reason: str
) -> None:
    failure = failure_for(task, *instances)
    assert failure.service_message("web") == message
    assert failure.stopped_reason() == stopped_reason


def test_the_closest_match_passed_the_most_checks_and_ties_go_to_the_first_name() -> None:
    failure = failure_for(
        make_task("t").memory(4096).member_of("attribute:stack == prod"),
        make_instance("c.d").memory(1024),
        make_instance("c.c").memory(8192),  # passes resources, fails memberOf: closest
        make_instance("c.b").memory(8192),  # same distance, but c.b < c.c
        make_instance("c.a").draining(),
    )
    assert failure.closest == Verdict("c.b", 7, Rejection(R.MEMBER_OF, "attribute:stack == prod"))


def test_failures_are_one_per_reason_in_pipeline_order_naming_the_instances() -> None:
    failure = failure_for(
        make_task("t").memory(4096),
        *[make_instance(f"c.m{n}").memory(1024) for n in range(5)],
        make_instance("c.x").disconnected(),
    )
    assert failure.failures == (
        Failure("AGENT", "1 container instance: c.x (agent is disconnected (node not Ready))"),
        Failure(
            "RESOURCE:MEMORY",
            "5 container instances: c.m0 (needs 4096 MiB, 1024 MiB remaining); "
            "c.m1 (needs 4096 MiB, 1024 MiB remaining); "
            "c.m2 (needs 4096 MiB, 1024 MiB remaining); and 2 more",
        ),
    )
    assert [f.to_object()["reason"] for f in failure.failures] == ["AGENT", "RESOURCE:MEMORY"]


def test_no_instances_is_reported_as_missing() -> None:
    failure = place(ClusterSnapshot(), make_task("t").build(), 1, random.Random(0)).failure
    assert failure is not None
    assert failure.failures == (Failure("MISSING", "No Container Instances were found in your cluster."),)
    assert failure.closest is None


def test_reasons_are_the_ecs_wire_strings() -> None:
    assert [str(r) for r in R] == [
        "INACTIVE",
        "AGENT",
        "ATTRIBUTE",
        "RESOURCE:CPU",
        "RESOURCE:MEMORY",
        "RESOURCE:PORTS",
        "MemberOf placement constraint unsatisfied",
        "DistinctInstance placement constraint unsatisfied",
        "MISSING",
    ]
