"""The operator's Prometheus metrics, documented in one place.

Why one package, documented here: the dashboard (`deploy/dashboards/`) and the alert rules (`deploy/alerts/`) are
written against these names, and a test checks that every PromQL expression there names only
metrics exported here; the handlers call the small functions re-exported below and never touch
`prometheus_client` themselves. The accounting is exception-safe: a bug in it is logged once
and never fails a handler (`counts_errors` re-raises the handler's own exceptions, unchanged).

| ecs_operator_…                   | type      | labels                  | meaning                           |
|----------------------------------|-----------|-------------------------|-----------------------------------|
| placements_total                 | counter   | cluster, result, reason | placed (reason ""): a claim       |
|                                  |           |                         | committed, counted once per task  |
|                                  |           |                         | by the process whose CAS write    |
|                                  |           |                         | added it; failed: a task that     |
|                                  |           |                         | could not start                   |
|                                  |           |                         | (TaskFailedToStart), reason = the |
|                                  |           |                         | closest instance's ECS reason     |
|                                  |           |                         | (RESOURCE:MEMORY, …) or the       |
|                                  |           |                         | resolve error (MISSING, INVALID)  |
| placement_duration_seconds       | histogram | cluster, result         | one launch by the task handler:   |
|                                  |           |                         | resolve, placement lock, plan,    |
|                                  |           |                         | commit                            |
| claim_conflicts_total            | counter   | cluster, operation      | 409 writing a claim ledger        |
|                                  |           |                         | (commit, release): the instance   |
|                                  |           |                         | changed since it was read         |
| claim_retries_total              | counter   | cluster                 | after a 409 the task still fit    |
|                                  |           |                         | the re-read instance: committed   |
|                                  |           |                         | there again                       |
| claim_replans_total              | counter   | cluster, reason         | a commit given up                 |
|                                  |           |                         | (no_longer_fits; conflicts: every |
|                                  |           |                         | attempt lost): the scheduler      |
|                                  |           |                         | plans again                       |
| placement_races_lost_total       | counter   | cluster                 | a claim committed, but a peer had |
|                                  |           |                         | recorded the task's placement     |
|                                  |           |                         | first (or it stopped): the claim  |
|                                  |           |                         | was rolled back                   |
| orphan_claims_released_total     | counter   | cluster, reason         | claims the sweep released: task   |
|                                  |           |                         | gone, stopped, placed elsewhere   |
| capacity_provider_placements_total | counter | cluster,              | tasks whose placement was recorded|
|                                  |           | capacity_provider       | on a capacity provider (by its    |
|                                  |           |                         | strategy or the cluster's default)|
| tasks                            | gauge     | cluster, last_status    | EcsTasks by status.lastStatus     |
|                                  |           |                         | (NONE: not placed yet)            |
| service_desired_tasks            | gauge     | SVC                     | status.desiredCount (DAEMON: one  |
|                                  |           |                         | per instance), else               |
|                                  |           |                         | spec.desiredCount                 |
| service_running_tasks            | gauge     | SVC                     | status.runningCount               |
| service_pending_tasks            | gauge     | SVC                     | status.pendingCount               |
| service_deployments              | gauge     | SVC, rollout_state      | status.deployments by             |
|                                  |           |                         | rolloutState (NONE: unset)        |
| circuit_breaker_trips_total      | counter   | SVC                     | deployments turned FAILED by the  |
|                                  |           |                         | circuit breaker, counted by the   |
|                                  |           |                         | process whose CAS write recorded  |
|                                  |           |                         | it                                |
| scheduled_task_lag_seconds       | histogram | cluster                 | a ScheduledTask's task created −  |
|                                  |           |                         | its invocation time (occurrence + |
|                                  |           |                         | flexible-window offset); first    |
|                                  |           |                         | attempts                          |
| scheduled_task_missed_runs_total | counter   | ecs_namespace,          | invocations never run: skipped    |
|                                  |           | scheduled_task, reason  | (older than                       |
|                                  |           |                         | maximumEventAgeInSeconds, beyond  |
|                                  |           |                         | the catch-up limit),              |
|                                  |           |                         | retries_exhausted                 |
| reconcile_errors_total           | counter   | kind, error             | exceptions escaping a handler, by |
|                                  |           |                         | exception class (TemporaryError:  |
|                                  |           |                         | a deliberate retry)               |
| container_instances              | gauge     | cluster, zone, status   | instances by status (ACTIVE,      |
|                                  |           |                         | DRAINING, INACTIVE)               |
| instance_registered_cpu_units    | gauge     | CI                      | CPU units (1024 = one vCPU)       |
| instance_registered_memory_mib   | gauge     | CI                      | memory, MiB                       |
| instance_remaining_cpu_units     | gauge     | CI                      | registered − claimed CPU units    |
| instance_remaining_memory_mib    | gauge     | CI                      | registered − claimed memory, MiB  |
| instance_running_tasks           | gauge     | CI                      | claims on the instance            |
| clusters_held                    | gauge     |                         | clusters whose Lease this replica |
|                                  |           |                         | holds (it reconciles them); the   |
|                                  |           |                         | sum over replicas is the number   |
|                                  |           |                         | of clusters once they settle      |

SVC = cluster, ecs_namespace, ecs_service; CI = cluster, container_instance, zone (INACTIVE
instances are left out of the instance_* gauges: they offer no capacity).

Plus `process_*`, `python_gc_*` and `python_info` (memory, CPU, open files of the operator).

Label names avoid those Prometheus and a ServiceMonitor attach to every target (`instance`,
`namespace`, `service`, `pod`, `job`), which would turn ours into `exported_*`: hence
`container_instance`, `ecs_namespace`, `ecs_service`.

How the gauges are kept: the handlers pass every watch event of tasks, services and container
instances to `observe_*`, which keep the last value per object in memory (a DELETED event drops
it); a collector turns that map into gauges at scrape time. Every replica sees the same watch,
so every replica exports the same gauges; counters count what this process did. A deletion
missed while a watch was down (a relist after 410 Gone) leaves its object counted until the
operator restarts.
"""

from ecs_operator.metrics.families import REGISTRY as REGISTRY
from ecs_operator.metrics.objects import observe_instance as observe_instance
from ecs_operator.metrics.objects import observe_service as observe_service
from ecs_operator.metrics.objects import observe_task as observe_task
from ecs_operator.metrics.objects import service_status_written as service_status_written
from ecs_operator.metrics.placements import ClaimWrite as ClaimWrite
from ecs_operator.metrics.placements import capacity_provider_placed as capacity_provider_placed
from ecs_operator.metrics.placements import failure_reason as failure_reason
from ecs_operator.metrics.placements import orphan_claim_released as orphan_claim_released
from ecs_operator.metrics.placements import placement_failed as placement_failed
from ecs_operator.metrics.placements import placement_race_lost as placement_race_lost
from ecs_operator.metrics.placements import placement_succeeded as placement_succeeded
from ecs_operator.metrics.process import clusters_held as clusters_held
from ecs_operator.metrics.process import counts_errors as counts_errors
from ecs_operator.metrics.process import reconcile_error as reconcile_error
from ecs_operator.metrics.process import scheduled_runs_missed as scheduled_runs_missed
from ecs_operator.metrics.process import scheduled_task_created as scheduled_task_created
from ecs_operator.metrics.process import serve as serve
