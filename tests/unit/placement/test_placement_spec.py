"""Strategies, constraints and requests are validated against ECS's rules on construction."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_operator.placement import (
    ConstraintType,
    HostPorts,
    NetworkMode,
    PlacementConstraint,
    PlacementSpecError,
    PlacementStrategy,
    Reservation,
    StrategyType,
    TaskBuilder,
    binpack,
    constraints_from_spec,
    distinct_instance,
    host_ports_from_containers,
    make_task,
    member_of,
    random_strategy,
    resources_from_containers,
    spread,
    strategies_from_spec,
)
from ecs_operator.query import QuerySyntaxError


def test_strategies_from_spec_normalise_fields() -> None:
    spec = [
        {"type": "spread", "field": "attribute:ecs.availability-zone"},
        {"type": "spread", "field": "host"},
        {"type": "binpack", "field": "MEMORY"},
        {"type": "random", "field": "ignored"},
    ]
    assert strategies_from_spec(spec) == (
        spread("attribute:ecs.availability-zone"),
        spread("instanceId"),
        binpack("memory"),
        random_strategy(),
    )
    assert [s.to_object() for s in strategies_from_spec(spec)] == [
        {"type": "spread", "field": "attribute:ecs.availability-zone"},
        {"type": "spread", "field": "instanceId"},
        {"type": "binpack", "field": "memory"},
        {"type": "random"},
    ]


def test_constraints_from_spec_parse_member_of() -> None:
    spec = [{"type": "distinctInstance"}, {"type": "memberOf", "expression": "attribute:stack == prod"}]
    parsed = constraints_from_spec(spec)
    assert parsed == (distinct_instance(), member_of("attribute:stack == prod"))
    assert parsed[1].parsed is not None
    assert [c.to_object() for c in parsed] == spec


BAD_SPECS = [
    pytest.param(
        strategies_from_spec,
        [{"type": "binpack", "field": "disk"}],
        "binpack field must be cpu or memory, not 'disk'",
        id="binpack-field",
    ),
    pytest.param(
        strategies_from_spec,
        [{"type": "spread"}],
        "placement strategy spread needs a field",
        id="spread-without-field",
    ),
    pytest.param(
        strategies_from_spec,
        [{"type": "spread", "field": "attribute:"}],
        "spread field must be instanceId, host or attribute:<name>, not 'attribute:'",
        id="spread-empty-attribute",
    ),
    pytest.param(
        strategies_from_spec,
        [{"type": "pack"}],
        "type must be one of binpack, spread, random: {'type': 'pack'}",
        id="unknown-strategy",
    ),
    pytest.param(
        strategies_from_spec,
        [{"type": "random"}] * 6,
        "at most 5 placement strategies, got 6",
        id="six-strategies",
    ),
    pytest.param(
        constraints_from_spec,
        [{"type": "distinctInstance", "expression": "x"}],
        "distinctInstance takes no expression",
        id="distinct-with-expression",
    ),
    pytest.param(
        constraints_from_spec,
        [{"type": "memberOf"}],
        "memberOf needs an expression",
        id="member-of-without-expression",
    ),
    pytest.param(
        constraints_from_spec,
        [{"type": "memberOf", "expression": "attribute:a == " + "b" * 2000}],
        "a memberOf expression is at most 2000 characters",
        id="expression-too-long",
    ),
    pytest.param(
        constraints_from_spec,
        [{"expression": "x"}],
        "type must be one of distinctInstance, memberOf: {'expression': 'x'}",
        id="constraint-without-type",
    ),
    pytest.param(
        constraints_from_spec,
        [{"type": "distinctInstance"}] * 11,
        "at most 10 placement constraints, got 11",
        id="eleven-constraints",
    ),
]


@pytest.mark.parametrize(("parse", "spec", "message"), BAD_SPECS)
def test_bad_specs_are_refused(parse: Any, spec: list[dict[str, str]], message: str) -> None:
    with pytest.raises(PlacementSpecError) as raised:
        parse(spec)
    assert str(raised.value) == message


def test_a_bad_member_of_expression_keeps_its_column() -> None:
    with pytest.raises(QuerySyntaxError) as raised:
        constraints_from_spec([{"type": "memberOf", "expression": "attribute:ecs.instance-type t2.small"}])
    assert raised.value.column == 29


BAD_REQUESTS = [
    pytest.param(make_task("t").group(""), "task t: a task belongs to a group", id="no-group"),
    pytest.param(
        make_task("t").cpu(-1), "task t: cpu and memory reservations cannot be negative", id="negative-cpu"
    ),
    pytest.param(make_task("t").port(0), "task t: host ports are 1-65535", id="port-zero"),
    pytest.param(make_task("t").port_udp(70000), "task t: host ports are 1-65535", id="port-too-high"),
    pytest.param(
        make_task("t").network_mode("host").dynamic_ports(1),
        "task t: dynamic host ports exist only in bridge mode",
        id="dynamic-in-host-mode",
    ),
    pytest.param(
        make_task("t").network_mode("awsvpc").port(80),
        "task t: network mode awsvpc reserves no host ports",
        id="awsvpc-host-port",
    ),
    pytest.param(
        make_task("t").fargate().strategy("random"),
        "task t: placement strategies and constraints are not supported on FARGATE",
        id="fargate-strategy",
    ),
    pytest.param(
        make_task("t").fargate().member_of("attribute:a exists"),
        "task t: placement strategies and constraints are not supported on FARGATE",
        id="fargate-constraint",
    ),
    pytest.param(
        make_task("t").fargate().network_mode("bridge"),
        "task t: FARGATE tasks use the awsvpc network mode",
        id="fargate-bridge",
    ),
    pytest.param(
        make_task("t")
        .strategy("random")
        .strategy("random")
        .strategy("random")
        .strategy("random")
        .strategy("random")
        .strategy("random"),
        "task t: at most 5 placement strategies",
        id="six-strategies",
    ),
    pytest.param(
        make_task("t").cpu(-1).port(0),
        "task t: cpu and memory reservations cannot be negative; host ports are 1-65535",
        id="every-problem-is-named",
    ),
]


@pytest.mark.parametrize(("task", "message"), BAD_REQUESTS)
def test_bad_requests_are_refused(task: TaskBuilder, message: str) -> None:
    with pytest.raises(PlacementSpecError) as raised:
        task.build()
    assert str(raised.value) == message


def test_too_many_constraints_counts_the_task_definitions() -> None:
    task = make_task("t")
    for n in range(6):
        task.member_of(f"attribute:a{n} exists").task_definition_member_of(f"attribute:b{n} exists")
    with pytest.raises(
        PlacementSpecError, match="at most 10 placement constraints with the task definition's"
    ):
        task.build()


def test_task_definition_constraints_are_member_of_only() -> None:
    from ecs_operator.placement import TaskRequest

    with pytest.raises(PlacementSpecError, match="accepts only memberOf"):
        TaskRequest("t", "g", task_definition_constraints=(distinct_instance(),))


def test_strategy_and_constraint_values() -> None:
    assert PlacementStrategy(StrategyType.SPREAD, "HOST") == spread("instanceId")
    assert str(binpack("cpu")) == "binpack(cpu)"
    assert str(member_of("attribute:a exists")) == "memberOf(attribute:a exists)"
    assert PlacementConstraint(ConstraintType.DISTINCT_INSTANCE) == distinct_instance()


RESERVATIONS = [
    pytest.param(
        {"task_cpu": 512, "task_memory": 1024},
        [{"cpu": 128, "memory": 256}],
        Reservation(512, 1024),
        id="task-level-wins",
    ),
    pytest.param(
        {},
        [{"cpu": 128, "memory": 512, "memoryReservation": 256}, {"cpu": 64, "memory": 128}],
        Reservation(192, 384),
        id="sum-reservation-else-memory",
    ),
    pytest.param(
        {"task_memory": 2048},
        [{"memory": 512}, {}],
        Reservation(0, 2048),
        id="task-memory-container-cpu-unset",
    ),
    pytest.param(
        {"task_cpu": 256}, [{"memoryReservation": 300}], Reservation(256, 300), id="task-cpu-container-memory"
    ),
]


@pytest.mark.parametrize(("task_level", "containers", "expected"), RESERVATIONS)
def test_resources_from_containers(
    task_level: dict[str, int], containers: list[dict[str, int]], expected: Reservation
) -> None:
    assert resources_from_containers(containers, **task_level) == expected


def test_resources_need_memory_somewhere() -> None:
    with pytest.raises(ValueError, match="neither the task nor any container sets memory"):
        resources_from_containers([{"cpu": 256}])


MAPPINGS = [
    {
        "portMappings": [
            {"containerPort": 80, "hostPort": 8080},
            {"containerPort": 81},
            {"containerPort": 53, "protocol": "udp"},
        ]
    },
    {"portMappings": [{"containerPort": 9000, "hostPort": 0}, {"containerPortRange": "7000-7004"}]},
]
HOST_PORTS = [
    pytest.param(NetworkMode.BRIDGE, HostPorts(frozenset({8080}), frozenset(), 7, 1), id="bridge"),
    pytest.param(
        NetworkMode.HOST,
        HostPorts(frozenset({8080, 81, 9000, *range(7000, 7005)}), frozenset({53}), 0, 0),
        id="host",
    ),
    pytest.param(NetworkMode.AWSVPC, HostPorts(), id="awsvpc"),
    pytest.param(NetworkMode.NONE, HostPorts(), id="none"),
]


@pytest.mark.parametrize(("mode", "expected"), HOST_PORTS)
def test_host_ports_from_containers(mode: NetworkMode, expected: HostPorts) -> None:
    assert host_ports_from_containers(mode, MAPPINGS) == expected
