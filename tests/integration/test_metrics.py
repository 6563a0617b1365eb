"""Metrics end to end (issue 8): an operator serving `--metrics-port`, real work on the local
control plane, then a scrape of /metrics whose values are checked against the API.

The session's operator is stopped for the length of the test (and started again after it), so
that the operator scraped here is the only scheduler: its counters then count every placement
of the test's cluster, exactly.
"""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.test_scheduled_tasks import at_in
from tests.support.cluster import Kube, wait_for
from tests.support.ecs import container, manifest, register
from tests.support.operator import OperatorProcess

EC2 = {"matchLabels": {"node.ecs-operator.dev/capacity": "ec2"}}


@dataclass(frozen=True)
class Scraped:
    samples: list[tuple[str, dict[str, str], float]]

    def get(self, name: str, **labels: str) -> float | None:
        """The value of the one sample with this name and (at least) these labels."""
        found = [v for n, ls, v in self.samples if n == name and labels.items() <= ls.items()]
        assert len(found) <= 1, (name, labels, found)
        return found[0] if found else None

    def total(self, name: str, **labels: str) -> float:
        return sum(v for n, ls, v in self.samples if n == name and labels.items() <= ls.items())


@dataclass(frozen=True)
class Endpoint:
    port: int

    def scrape(self) -> Scraped:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as response:
            text = response.read().decode()
        return Scraped(
            [
                (s.name, dict(s.labels), s.value)
                for f in text_string_to_metric_families(text)
                for s in f.samples
            ]
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def endpoint(operator: OperatorProcess, tmp_path: Path) -> Iterator[Endpoint]:
    """Our own operator with --metrics-port, the only one running while the test runs."""
    operator.stop()
    port = free_port()
    own = OperatorProcess(operator.kubeconfig, tmp_path / "operator.log", [f"--metrics-port={port}"])
    own.start()
    try:
        endpoint = Endpoint(port)

        def up() -> bool:
            try:
                return endpoint.scrape() is not None
            except OSError:
                return False

        wait_for(up, timeout=60, what="the metrics endpoint")
        yield endpoint
    finally:
        own.stop()
        print(f"\n--- operator (metrics) log tail ---\n{own.log_tail(40)}")
        operator.start()


def instances(kube: Kube, cluster: str) -> list[dict[str, Any]]:
    return list(kube.get_json("ecsci", "-l", f"ecs-operator.dev/cluster={cluster}")["items"])


def zone(instance: dict[str, Any]) -> str:
    return next(a["value"] for a in instance["status"]["attributes"] if a["name"] == "ecs.availability-zone")


def gauges_match_the_api(endpoint: Endpoint, kube: Kube, cluster: str) -> bool:
    """Every instance's registered and remaining cpu/memory, as scraped, equals its status."""
    scraped = endpoint.scrape()
    for inst in instances(kube, cluster):
        labels = {"cluster": cluster, "container_instance": inst["metadata"]["name"], "zone": zone(inst)}
        status = inst["status"]
        expected = {
            "registered_cpu_units": status["registeredResources"]["cpu"],
            "registered_memory_mib": status["registeredResources"]["memory"],
            "remaining_cpu_units": status["remainingResources"]["cpu"],
            "remaining_memory_mib": status["remainingResources"]["memory"],
            "running_tasks": len(status.get("claims") or []),
        }
        for field, want in expected.items():
            if scraped.get(f"ecs_operator_instance_{field}", **labels) != want:
                return False
    return True


def test_metrics_after_real_work(kube: Kube, endpoint: Endpoint, namespace: str, unique: str) -> None:
    cluster = f"metrics-{unique}"
    kube.apply(manifest("EcsCluster", cluster, {"nodeSelector": EC2}))
    try:
        run_the_work(kube, endpoint, namespace, cluster)
    finally:
        kube.kubectl("delete", "ecscluster", cluster, "--wait=false", check=False)


def run_the_work(kube: Kube, endpoint: Endpoint, namespace: str, cluster: str) -> None:
    wait_for(
        lambda: (
            len([i for i in instances(kube, cluster) if (i.get("status") or {}).get("remainingResources")])
            == 6
        ),
        what="six instances registered",
    )
    register(kube, namespace)  # web: 256 CPU units, 512 MiB
    register(kube, namespace, "huge", containerDefinitions=[container(memory=100_000)])
    for family in ("web", "huge"):
        wait_for(
            lambda family=family: (
                (kube.get_json("ecstd", family, "-n", namespace).get("status") or {}).get("revision") == 1
            ),
            what=f"{family}:1 registered",
        )

    def task(name: str, family: str) -> None:
        kube.apply(manifest("EcsTask", name, {"cluster": cluster, "taskDefinition": family}, namespace))

    def status(kind: str, name: str) -> dict[str, Any]:
        return dict(kube.get_json(kind, name, "-n", namespace).get("status") or {})

    # RunTask that runs, RunTask that fits nowhere, a service of two, a scheduled task that fires
    task("ok", "web")
    task("too-big", "huge")
    service = {"cluster": cluster, "taskDefinition": "web", "desiredCount": 2}
    kube.apply(manifest("EcsService", "svc", service, namespace))
    expression, _ = at_in(4)
    body = {"cluster": cluster, "scheduleExpression": expression, "target": {"taskDefinition": "web"}}
    kube.apply(manifest("ScheduledTask", "soon", body, namespace))

    wait_for(lambda: status("ecstask", "ok").get("lastStatus") == "RUNNING", what="ok RUNNING")
    failed = wait_for(
        lambda: (s := status("ecstask", "too-big")).get("lastStatus") == "STOPPED" and s,
        what="too-big STOPPED",
    )
    assert failed["stopCode"] == "TaskFailedToStart" and failed["stoppedReason"].endswith("RESOURCE:MEMORY")
    wait_for(
        lambda: status("ecsservice", "svc").get("runningCount") == 2, timeout=90, what="svc runningCount 2"
    )

    def all_running() -> bool:
        tasks = kube.get_json("ecstasks", "-n", namespace)["items"]
        states = sorted((t.get("status") or {}).get("lastStatus") or "" for t in tasks)
        return states == ["RUNNING"] * 4 + ["STOPPED"]

    wait_for(all_running, timeout=90, what="4 tasks RUNNING (ok, 2 of svc, the scheduled one), 1 STOPPED")

    # Gauges follow the watch: poll until they show the state the API shows.
    svc = {"cluster": cluster, "ecs_namespace": namespace, "ecs_service": "svc"}

    def settled() -> Scraped | None:
        rollout = status("ecsservice", "svc")["deployments"][0]["rolloutState"]  # it may move on
        s = endpoint.scrape()
        ready = (
            s.get("ecs_operator_tasks", cluster=cluster, last_status="RUNNING") == 4
            and s.get("ecs_operator_tasks", cluster=cluster, last_status="STOPPED") == 1
            and s.get("ecs_operator_service_running_tasks", **svc) == 2
            and s.get("ecs_operator_service_deployments", **svc, rollout_state=rollout) == 1
        )
        return s if ready else None

    scraped = wait_for(settled, timeout=30, what="task, service and deployment gauges")
    assert scraped.get("ecs_operator_service_desired_tasks", **svc) == 2
    assert scraped.get("ecs_operator_service_pending_tasks", **svc) == 0
    assert scraped.total("ecs_operator_service_deployments", **svc) == 1
    assert scraped.get("ecs_operator_circuit_breaker_trips_total", **svc) == 0

    # Placements: one claim per task that runs, exactly; one failure, with ECS's reason.
    placed = {"cluster": cluster, "result": "placed"}
    assert scraped.get("ecs_operator_placements_total", **placed, reason="") == 4
    failed_by_reason = {
        labels["reason"]: value
        for name, labels, value in scraped.samples
        if name == "ecs_operator_placements_total"
        and labels.get("cluster") == cluster
        and labels.get("result") == "failed"
        and value
    }
    assert failed_by_reason == {"RESOURCE:MEMORY": 1}
    assert (scraped.get("ecs_operator_placement_duration_seconds_count", **placed) or 0) >= 4
    assert scraped.get("ecs_operator_placement_duration_seconds_count", cluster=cluster, result="failed") == 1

    # The scheduled task's lag was observed once (its first attempt).
    assert scraped.get("ecs_operator_scheduled_task_lag_seconds_count", cluster=cluster) == 1
    assert scraped.total("ecs_operator_container_instances", cluster=cluster) == 6

    # Capacity per instance and zone: exactly what the instances' status says.
    wait_for(lambda: gauges_match_the_api(endpoint, kube, cluster), timeout=30, what="instance gauges")
    by_zone = {
        z: scraped.total("ecs_operator_instance_registered_cpu_units", cluster=cluster, zone=z)
        for z in ("zone-a", "zone-b", "zone-c")
    }
    assert all(cpu > 0 for cpu in by_zone.values()), by_zone
