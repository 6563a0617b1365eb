"""`ecs_operator.metrics`: what each accounting function exports, read back from the registry.

Every test uses its own cluster or namespace name, because the registry is process-wide.
"""

from __future__ import annotations

import re
import socket
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ecs_operator import metrics
from ecs_operator.cli.main import build_parser
from ecs_operator.metrics import REGISTRY


def value(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


@pytest.fixture
def cluster() -> str:
    return f"c-{uuid.uuid4().hex[:8]}"


def instance(cluster: str, name: str, zone: str, *, status: str = "ACTIVE", **res: int) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "uid": f"uid-{cluster}-{name}"},
        "spec": {"cluster": cluster},
        "status": {
            "status": status,
            "attributes": [{"name": "ecs.availability-zone", "value": zone}],
            "registeredResources": {"cpu": res.get("cpu", 4096), "memory": res.get("memory", 16384)},
            "remainingResources": {"cpu": res.get("left_cpu", 3072), "memory": res.get("left_memory", 15360)},
            "runningTasksCount": res.get("tasks", 2),
        },
    }


def test_instances_export_capacity_and_remaining_per_zone(cluster: str) -> None:
    metrics.observe_instance(instance(cluster, "a1", "zone-a"))
    metrics.observe_instance(instance(cluster, "b1", "zone-b", status="DRAINING", left_cpu=4096))
    metrics.observe_instance(instance(cluster, "c1", "zone-c", status="INACTIVE"))
    labels = {"cluster": cluster, "container_instance": "a1", "zone": "zone-a"}
    assert value("ecs_operator_instance_registered_cpu_units", **labels) == 4096
    assert value("ecs_operator_instance_registered_memory_mib", **labels) == 16384
    assert value("ecs_operator_instance_remaining_cpu_units", **labels) == 3072
    assert value("ecs_operator_instance_remaining_memory_mib", **labels) == 15360
    assert value("ecs_operator_instance_running_tasks", **labels) == 2
    b1 = {"cluster": cluster, "container_instance": "b1", "zone": "zone-b"}
    assert value("ecs_operator_instance_remaining_cpu_units", **b1) == 4096
    # INACTIVE instances offer no capacity; they are only counted by status
    c1 = {"cluster": cluster, "container_instance": "c1", "zone": "zone-c"}
    assert value("ecs_operator_instance_registered_cpu_units", **c1) is None
    counted = {
        status: value("ecs_operator_container_instances", cluster=cluster, zone=zone, status=status)
        for zone, status in (("zone-a", "ACTIVE"), ("zone-b", "DRAINING"), ("zone-c", "INACTIVE"))
    }
    assert counted == {"ACTIVE": 1, "DRAINING": 1, "INACTIVE": 1}
    # a cluster's placement counters exist at 0 from the first instance on (rate() sees the first)
    assert (
        value("ecs_operator_placements_total", cluster=cluster, result="failed", reason="RESOURCE:CPU") == 0
    )
    metrics.observe_instance(instance(cluster, "a1", "zone-a"), deleted=True)
    assert value("ecs_operator_instance_registered_cpu_units", **labels) is None


def test_tasks_are_counted_by_last_status_and_forgotten_when_deleted(cluster: str) -> None:
    def task(uid: str, last: str | None) -> dict[str, Any]:
        return {
            "metadata": {"uid": uid, "name": uid, "namespace": "ns"},
            "spec": {"cluster": cluster},
            "status": {"lastStatus": last} if last else {},
        }

    metrics.observe_task(task(f"{cluster}-1", None))
    metrics.observe_task(task(f"{cluster}-2", "PENDING"))
    metrics.observe_task(task(f"{cluster}-3", "RUNNING"))
    metrics.observe_task(task(f"{cluster}-2", "RUNNING"))  # the same task, later
    assert value("ecs_operator_tasks", cluster=cluster, last_status="RUNNING") == 2
    assert value("ecs_operator_tasks", cluster=cluster, last_status="NONE") == 1
    assert value("ecs_operator_tasks", cluster=cluster, last_status="PENDING") is None
    metrics.observe_task(task(f"{cluster}-3", "RUNNING"), deleted=True)
    assert value("ecs_operator_tasks", cluster=cluster, last_status="RUNNING") == 1


def service(cluster: str, deployments: list[dict[str, Any]], **status: Any) -> dict[str, Any]:
    return {
        "metadata": {"uid": f"svc-{cluster}", "name": "web", "namespace": "shop"},
        "spec": {"cluster": cluster, "desiredCount": 3},
        "status": {**status, "deployments": deployments},
    }


def test_services_export_desired_running_pending_and_deployments(cluster: str) -> None:
    labels = {"cluster": cluster, "ecs_namespace": "shop", "ecs_service": "web"}
    metrics.observe_service(service(cluster, []))  # before the first status: spec.desiredCount
    assert value("ecs_operator_service_desired_tasks", **labels) == 3
    assert value("ecs_operator_service_running_tasks", **labels) == 0
    deployments = [
        {"id": "ecs-svc/2", "rolloutState": "IN_PROGRESS"},
        {"id": "ecs-svc/1", "rolloutState": "COMPLETED"},
        {"id": "ecs-svc/0"},
    ]
    metrics.observe_service(service(cluster, deployments, desiredCount=4, runningCount=2, pendingCount=1))
    assert value("ecs_operator_service_desired_tasks", **labels) == 4
    assert value("ecs_operator_service_running_tasks", **labels) == 2
    assert value("ecs_operator_service_pending_tasks", **labels) == 1
    states = {
        s: value("ecs_operator_service_deployments", **labels, rollout_state=s)
        for s in ("IN_PROGRESS", "COMPLETED", "NONE", "FAILED")
    }
    assert states == {"IN_PROGRESS": 1, "COMPLETED": 1, "NONE": 1, "FAILED": None}
    assert value("ecs_operator_circuit_breaker_trips_total", **labels) == 0  # exists before a trip
    metrics.observe_service(service(cluster, []), deleted=True)
    assert value("ecs_operator_service_desired_tasks", **labels) is None


def test_a_circuit_breaker_trip_is_counted_once_when_its_status_is_written(cluster: str) -> None:
    labels = {"cluster": cluster, "ecs_namespace": "shop", "ecs_service": "web"}
    before = service(cluster, [{"id": "ecs-svc/2", "rolloutState": "IN_PROGRESS"}])
    tripped = {
        "deployments": [
            {
                "id": "ecs-svc/2",
                "rolloutState": "FAILED",
                "rolloutStateReason": "ECS deployment circuit breaker: task failed to start.",
            }
        ]
    }
    metrics.service_status_written(before, tripped)
    assert value("ecs_operator_circuit_breaker_trips_total", **labels) == 1
    # the next pass writes the same FAILED deployment again: no new trip
    metrics.service_status_written(service(cluster, tripped["deployments"]), tripped)
    assert value("ecs_operator_circuit_breaker_trips_total", **labels) == 1


@pytest.mark.parametrize(
    ("stopped_reason", "failures", "label"),
    [
        ("TaskFailedToStart: RESOURCE:MEMORY", [{"reason": "RESOURCE:CPU"}], "RESOURCE:MEMORY"),
        ("TaskFailedToStart: MISSING", [{"reason": "MISSING"}], "MISSING"),
        ("TaskFailedToStart: cpu must be a number", [{"reason": "INVALID", "detail": "…"}], "INVALID"),
        ("TaskFailedToStart: something else", [], "UNKNOWN"),
        ("TaskFailedToStart: x", [{"reason": "R" * 100}], "R" * 64),
    ],
    ids=["headline", "resolve", "free-text-headline", "nothing", "bounded"],
)
def test_failure_reason_is_a_bounded_label(stopped_reason: str, failures: Any, label: str) -> None:
    assert metrics.failure_reason(stopped_reason, failures) == label


def test_placements_and_their_latency(cluster: str) -> None:
    started = 0.0  # time.monotonic() long ago: the duration is large, but observed
    metrics.placement_succeeded(cluster, started)
    metrics.placement_failed(cluster, started, "TaskFailedToStart: RESOURCE:MEMORY", [])
    assert (
        value("ecs_operator_placements_total", cluster=cluster, result="failed", reason="RESOURCE:MEMORY")
        == 1
    )
    assert value("ecs_operator_placement_duration_seconds_count", cluster=cluster, result="placed") == 1
    assert value("ecs_operator_placement_duration_seconds_count", cluster=cluster, result="failed") == 1


def test_claim_commit_accounting_conflict_retry_commit(cluster: str) -> None:
    """A 409, a re-read where the task still fits, a write: one conflict, one retry, one placement."""
    track = metrics.ClaimWrite("commit")
    compute = track.compute(lambda obj: {"claims": ["mine"]})
    obj = {"spec": {"cluster": cluster}}
    compute(obj)
    track.on_conflict()
    compute(obj)
    track.committed()
    assert value("ecs_operator_claim_conflicts_total", cluster=cluster, operation="commit") == 1
    assert value("ecs_operator_claim_retries_total", cluster=cluster) == 1
    assert value("ecs_operator_placements_total", cluster=cluster, result="placed", reason="") == 1


def test_claim_found_already_committed_is_no_new_placement(cluster: str) -> None:
    """Another replica committed this task's claim first: the CAS loop writes nothing."""
    chained: list[str] = []
    track = metrics.ClaimWrite("commit", lambda: chained.append("called"))
    compute = track.compute(lambda obj: None)
    compute({"spec": {"cluster": cluster}})
    track.on_conflict()
    track.replan("no_longer_fits")
    track.committed()
    assert chained == ["called"]  # the caller's own on_conflict still runs
    assert value("ecs_operator_placements_total", cluster=cluster, result="placed", reason="") is None
    assert value("ecs_operator_claim_replans_total", cluster=cluster, reason="no_longer_fits") == 1


def test_scheduled_lag_counts_first_attempts_and_missed_runs(cluster: str) -> None:
    metrics.scheduled_task_created(cluster, datetime.now(UTC) - timedelta(seconds=3), attempt=1)
    metrics.scheduled_task_created(cluster, datetime.now(UTC) - timedelta(minutes=5), attempt=2)
    assert value("ecs_operator_scheduled_task_lag_seconds_count", cluster=cluster) == 1
    assert value("ecs_operator_scheduled_task_lag_seconds_bucket", cluster=cluster, le="2.0") == 0
    assert value("ecs_operator_scheduled_task_lag_seconds_bucket", cluster=cluster, le="5.0") == 1
    metrics.scheduled_runs_missed(cluster, "nightly", 7, "skipped")
    missed = value(
        "ecs_operator_scheduled_task_missed_runs_total",
        **{"ecs_namespace": cluster},
        scheduled_task="nightly",
        reason="skipped",
    )
    assert missed == 7


def test_handler_errors_are_counted_and_reraised_keeping_the_handler_id() -> None:
    kind = f"Kind{uuid.uuid4().hex[:6]}"

    def handler(**_: Any) -> None:
        raise KeyError("boom")

    wrapped = metrics.counts_errors(kind)(handler)
    with pytest.raises(KeyError):
        wrapped(body={})
    assert value("ecs_operator_reconcile_errors_total", kind=kind, error="KeyError") == 1
    assert wrapped.__wrapped__ is handler  # type: ignore[attr-defined]  # Kopf's handler id follows it
    assert wrapped.__qualname__ == handler.__qualname__


def test_accounting_never_raises_on_a_malformed_body() -> None:
    metrics.observe_task({"metadata": None, "spec": "not a mapping"})  # type: ignore[dict-item]
    metrics.observe_instance({"status": {"registeredResources": {"cpu": "lots"}}})
    metrics.service_status_written({}, {"deployments": [None]})


def documented() -> set[str]:
    rows = re.findall(r"^\| (\w+) ", metrics.__doc__ or "", re.MULTILINE)
    return {f"ecs_operator_{m}" for m in rows}


def exported() -> set[str]:
    """Family names as exposed (a counter's family drops `_total`; its samples carry it)."""
    names = set()
    for family in REGISTRY.collect():
        if family.name.startswith("ecs_operator_"):
            names.add(family.name + ("_total" if family.type == "counter" else ""))
    return names


def test_the_module_docstring_documents_every_metric_and_nothing_else() -> None:
    assert documented() == exported()


def test_serve_is_optional_and_a_taken_port_is_not_fatal() -> None:
    assert metrics.serve(0) is False
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        assert metrics.serve(sock.getsockname()[1], "127.0.0.1") is False


def test_run_serves_metrics_on_9090_by_default() -> None:
    assert build_parser().parse_args(["run"]).metrics_port == 9090
    assert build_parser().parse_args(["run", "--metrics-port", "0"]).metrics_port == 0


def test_placements_are_counted_per_capacity_provider(cluster: str) -> None:
    metrics.capacity_provider_placed(cluster, "spot")
    metrics.capacity_provider_placed(cluster, "spot")
    metrics.capacity_provider_placed(cluster, "ondemand")
    assert (
        value("ecs_operator_capacity_provider_placements_total", cluster=cluster, capacity_provider="spot")
        == 2
    )
    assert (
        value(
            "ecs_operator_capacity_provider_placements_total", cluster=cluster, capacity_provider="ondemand"
        )
        == 1
    )
