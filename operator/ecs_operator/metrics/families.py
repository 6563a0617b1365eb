"""Every metric family the operator exports, and the registry they are exported from.

Why one module: the names, help texts, labels and buckets are the contract with the dashboard and
the alert rules (`ecs_operator.metrics`' docstring documents each); the modules that count
(`placements`, `objects`, `process`) import the families from here and own no name of their own.
"""

from __future__ import annotations

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
)

REGISTRY = CollectorRegistry(auto_describe=True)
for _default in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    REGISTRY.register(_default)

PLACEMENTS = Counter(
    "ecs_operator_placements_total",
    "Tasks placed (a claim committed) or failed to start, by ECS failure reason.",
    ["cluster", "result", "reason"],
    registry=REGISTRY,
)
PLACEMENT_SECONDS = Histogram(
    "ecs_operator_placement_duration_seconds",
    "Time of one launch by the task handler: resolve, placement lock, plan, commit.",
    ["cluster", "result"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
CLAIM_CONFLICTS = Counter(
    "ecs_operator_claim_conflicts_total",
    "409 Conflict writing a container instance's claim ledger.",
    ["cluster", "operation"],
    registry=REGISTRY,
)
CLAIM_RETRIES = Counter(
    "ecs_operator_claim_retries_total",
    "Commits tried again on the re-read instance after a 409 (the task still fit).",
    ["cluster"],
    registry=REGISTRY,
)
CLAIM_REPLANS = Counter(
    "ecs_operator_claim_replans_total",
    "Commits given up; the scheduler plans again.",
    ["cluster", "reason"],
    registry=REGISTRY,
)
CAPACITY_PROVIDER_PLACEMENTS = Counter(
    "ecs_operator_capacity_provider_placements_total",
    "Tasks whose placement was recorded on a capacity provider.",
    ["cluster", "capacity_provider"],
    registry=REGISTRY,
)
PLACEMENT_RACES_LOST = Counter(
    "ecs_operator_placement_races_lost_total",
    "Claims rolled back: a peer recorded the task's placement first.",
    ["cluster"],
    registry=REGISTRY,
)
ORPHAN_CLAIMS = Counter(
    "ecs_operator_orphan_claims_released_total",
    "Claims released by the sweep, by why the task no longer wants them.",
    ["cluster", "reason"],
    registry=REGISTRY,
)
BREAKER_TRIPS = Counter(
    "ecs_operator_circuit_breaker_trips_total",
    "Deployments turned FAILED by the deployment circuit breaker.",
    ["cluster", "ecs_namespace", "ecs_service"],
    registry=REGISTRY,
)
SCHEDULED_LAG = Histogram(
    "ecs_operator_scheduled_task_lag_seconds",
    "A scheduled invocation's task created minus its invocation time (first attempts).",
    ["cluster"],
    buckets=(0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0),
    registry=REGISTRY,
)
SCHEDULED_MISSED = Counter(
    "ecs_operator_scheduled_task_missed_runs_total",
    "Scheduled invocations never run: skipped, or given up after the retries.",
    ["ecs_namespace", "scheduled_task", "reason"],
    registry=REGISTRY,
)
RECONCILE_ERRORS = Counter(
    "ecs_operator_reconcile_errors_total",
    "Exceptions that escaped a handler, by kind and exception class.",
    ["kind", "error"],
    registry=REGISTRY,
)

CLUSTERS_HELD = Gauge(
    "ecs_operator_clusters_held",
    "Clusters whose coordination Lease this replica holds: the clusters it reconciles.",
    registry=REGISTRY,
)
