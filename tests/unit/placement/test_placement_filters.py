"""Stages 1 and 2: candidates (status, agent, launch type, compatibility) and resources."""

from __future__ import annotations

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
)

ENGINE = PlacementEngine()
ALL_CHECKS = len(ENGINE.checks)
R = FailureReason


def verdict_of(instance: object, task: TaskBuilder) -> Verdict:
    cluster = make_cluster(instance)  # type: ignore[arg-type]
    (verdict,) = ENGINE.evaluate(cluster, task.build())
    return verdict


def stage(name: str) -> int:
    return [c.name for c in ENGINE.checks].index(name)


CASES = [
    pytest.param(
        make_instance("c.a").draining(),
        make_task("t"),
        Verdict("c.a", stage("status"), Rejection(R.INACTIVE, "container instance is DRAINING")),
        id="draining-is-not-a-candidate",
    ),
    pytest.param(
        make_instance("c.a").status("INACTIVE"),
        make_task("t"),
        Verdict("c.a", stage("status"), Rejection(R.INACTIVE, "container instance is INACTIVE")),
        id="inactive-is-not-a-candidate",
    ),
    pytest.param(
        make_instance("c.a").disconnected(),
        make_task("t"),
        Verdict("c.a", stage("agent"), Rejection(R.AGENT, "agent is disconnected (node not Ready)")),
        id="agent-disconnected",
    ),
    pytest.param(
        make_instance("c.a").fargate(),
        make_task("t"),
        Verdict(
            "c.a",
            stage("launch type"),
            Rejection(R.ATTRIBUTE, "provides FARGATE capacity, the task needs EC2"),
        ),
        id="ec2-task-on-fargate-capacity",
    ),
    pytest.param(
        make_instance("c.a"),
        make_task("t").fargate(),
        Verdict(
            "c.a",
            stage("launch type"),
            Rejection(R.ATTRIBUTE, "provides EC2 capacity, the task needs FARGATE"),
        ),
        id="fargate-task-on-ec2-capacity",
    ),
    pytest.param(
        make_instance("c.a").os("windows"),
        make_task("t").os("LINUX"),
        Verdict(
            "c.a", stage("compatibility"), Rejection(R.ATTRIBUTE, "needs ecs.os-type=linux, has windows")
        ),
        id="os-mismatch-case-insensitive",
    ),
    pytest.param(
        make_instance("c.a").arch("x86_64"),
        make_task("t").arch("arm64"),
        Verdict(
            "c.a",
            stage("compatibility"),
            Rejection(R.ATTRIBUTE, "needs ecs.cpu-architecture=arm64, has x86_64"),
        ),
        id="architecture-mismatch",
    ),
    pytest.param(
        make_instance("c.a").without_attribute("ecs.cpu-architecture"),
        make_task("t").arch("arm64"),
        Verdict(
            "c.a",
            stage("compatibility"),
            Rejection(R.ATTRIBUTE, "needs ecs.cpu-architecture=arm64, has none"),
        ),
        id="architecture-attribute-missing",
    ),
    pytest.param(
        make_instance("c.a").os("windows"),
        make_task("t"),
        Verdict(
            "c.a",
            stage("compatibility"),
            Rejection(R.ATTRIBUTE, "network mode bridge is not supported on windows"),
        ),
        id="bridge-mode-on-windows",
    ),
    pytest.param(
        make_instance("c.a").os("windows"),
        make_task("t").network_mode("awsvpc"),
        Verdict("c.a", ALL_CHECKS),
        id="awsvpc-on-windows-fits",
    ),
    pytest.param(
        make_instance("c.a").arch("arm64"),
        make_task("t").os("linux").arch("ARM64"),
        Verdict("c.a", ALL_CHECKS),
        id="compatible",
    ),
    pytest.param(
        make_instance("c.a").cpu(1024).task("g", cpu=768),
        make_task("t").cpu(512),
        Verdict("c.a", stage("cpu"), Rejection(R.RESOURCE_CPU, "needs 512 CPU units, 256 remaining")),
        id="cpu-short",
    ),
    pytest.param(
        make_instance("c.a").cpu(1024).task("g", cpu=512),
        make_task("t").cpu(512),
        Verdict("c.a", ALL_CHECKS),
        id="cpu-exactly-fits",
    ),
    pytest.param(
        make_instance("c.a").memory(2048).task("g", memory=1536),
        make_task("t").memory(1024),
        Verdict("c.a", stage("memory"), Rejection(R.RESOURCE_MEMORY, "needs 1024 MiB, 512 MiB remaining")),
        id="memory-short",
    ),
    pytest.param(
        make_instance("c.a").cpu(0).memory(0),
        make_task("t").cpu(256).memory(512),
        Verdict("c.a", stage("cpu"), Rejection(R.RESOURCE_CPU, "needs 256 CPU units, 0 remaining")),
        id="cpu-named-before-memory",
    ),
    pytest.param(
        make_instance("c.a").memory(1024).task("g", memory=2048),
        make_task("t"),
        Verdict("c.a", ALL_CHECKS),
        id="overcommitted-instance-still-takes-a-zero-reservation",
    ),
]


@pytest.mark.parametrize(("instance", "task", "expected"), CASES)
def test_candidates_and_resources(instance: object, task: TaskBuilder, expected: Verdict) -> None:
    assert verdict_of(instance, task) == expected


PORT_CASES = [
    pytest.param(
        make_instance("c.a").reserved_ports(22),
        make_task("t").port(22),
        Rejection(R.RESOURCE_PORTS, "TCP port 22 in use"),
        id="tcp-reserved-by-agent",
    ),
    pytest.param(
        make_instance("c.a").task("g", ports=(8080, 8081)),
        make_task("t").port(8081, 8080, 9000),
        Rejection(R.RESOURCE_PORTS, "TCP ports 8080, 8081 in use"),
        id="tcp-taken-by-a-task",
    ),
    pytest.param(
        make_instance("c.a").task("g", ports=(53,)),
        make_task("t").port_udp(53),
        None,
        id="tcp-port-does-not-block-udp",
    ),
    pytest.param(
        make_instance("c.a").task("g", ports_udp=(53,)),
        make_task("t").port_udp(53),
        Rejection(R.RESOURCE_PORTS, "UDP port 53 in use"),
        id="udp-taken",
    ),
    pytest.param(
        make_instance("c.a").reserved_ports_udp(514),
        make_task("t").port_udp(514),
        Rejection(R.RESOURCE_PORTS, "UDP port 514 in use"),
        id="udp-reserved",
    ),
    pytest.param(
        make_instance("c.a").task("g", ports=tuple(range(49153, 65536))),
        make_task("t").dynamic_ports(1),
        Rejection(R.RESOURCE_PORTS, "needs 1 dynamic TCP ports, 0 free in 49153-65535"),
        id="dynamic-range-exhausted",
    ),
    pytest.param(
        make_instance("c.a").task("g", ports=tuple(range(49153, 65535))),
        make_task("t").dynamic_ports(1),
        None,
        id="dynamic-last-port-free",
    ),
    pytest.param(
        make_instance("c.a").task("g", ports=tuple(range(49153, 65535))),
        make_task("t").port(65535).dynamic_ports(1),
        Rejection(R.RESOURCE_PORTS, "needs 1 dynamic TCP ports, 0 free in 49153-65535"),
        id="dynamic-cannot-use-the-tasks-own-static-port",
    ),
    pytest.param(
        make_instance("c.a").task("g", ports_udp=tuple(range(49153, 65535))),
        make_task("t").dynamic_ports(0, udp=2),
        Rejection(R.RESOURCE_PORTS, "needs 2 dynamic UDP ports, 1 free in 49153-65535"),
        id="dynamic-udp",
    ),
    pytest.param(
        make_instance("c.a").task("g", ports=(8080,)),
        make_task("t").network_mode("awsvpc"),
        None,
        id="awsvpc-takes-no-host-port",
    ),
]


@pytest.mark.parametrize(("instance", "task", "expected"), PORT_CASES)
def test_ports(instance: object, task: TaskBuilder, expected: Rejection | None) -> None:
    passed = ALL_CHECKS if expected is None else stage("ports")
    assert verdict_of(instance, task) == Verdict("c.a", passed, expected)


def test_checks_stop_at_the_first_rejection_and_count_how_far_an_instance_got() -> None:
    cluster = make_cluster(
        make_instance("c.a").disconnected().memory(0),
        make_instance("c.b").memory(0),
        make_instance("c.c"),
    )
    verdicts = ENGINE.evaluate(cluster, make_task("t").memory(512).build())
    assert verdicts == (
        Verdict("c.a", stage("agent"), Rejection(R.AGENT, "agent is disconnected (node not Ready)")),
        Verdict("c.b", stage("memory"), Rejection(R.RESOURCE_MEMORY, "needs 512 MiB, 0 MiB remaining")),
        Verdict("c.c", ALL_CHECKS),
    )


def test_empty_cluster_has_no_verdicts() -> None:
    assert ENGINE.evaluate(ClusterSnapshot(), make_task("t").build()) == ()
