"""The cluster's sweep of its live tasks: the time-based transitions no event brings.

Most of a task's life is driven by events (its own and its pod's, `handlers.tasks`). A few steps
come with time alone: a health check that never reports within its start period, a pod that
never came (`reconcile.task.POD_CREATE_GRACE`), the end of a PROVISIONING wait; and a pass that
failed on an API error is only tried again by a later pass.

Why one sweep per cluster rather than a Kopf timer per task: Kopf runs each timer as its own
asyncio task and builds the handler's arguments on every tick; at 1,000 tasks that bookkeeping
alone took about 2 % of a core at idle (py-spy, issue 15), ten times that at 10,000. Here one
timer per cluster walks the watch-fed task index. A task is passed again only when it has not
changed for `IDLE` seconds (a change came with an event, whose pass just ran), and never while
it is settled (`settled`: RUNNING, no health check still starting) with the same task, pod and
instance versions as at its last pass: the planner is then a pure function of unchanged inputs
that do not depend on the clock, so another pass would decide the same nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import kopf

from ecs_operator import metrics
from ecs_operator.handlers import leadership, task_protection, tasks, tenancy
from ecs_operator.handlers import task_launch as tl
from ecs_operator.handlers.badinput import reports_bad_input
from ecs_operator.kube.objects import Obj
from ecs_operator.names import GROUP, VERSION

log = logging.getLogger(__name__)

INTERVAL = 10.0
IDLE = 10.0

Key = tuple[str, str, str]


@dataclass(frozen=True)
class _Seen:
    key: Key  # the task's, its pod's and its instance's resourceVersions
    since: float  # monotonic time the key was first seen
    passed: bool  # a sweep passed the task with this key


# Per task uid; entries of tasks gone from the index are dropped at each sweep.
_seen: dict[str, _Seen] = {}
# Whether a task definition revision has a container with a health check, by reference.
_checks_health: dict[str, bool] = {}


def _health_checked(task: Obj) -> bool:
    reference = str((task.get("status") or {}).get("taskDefinition") or "")
    known = _checks_health.get(reference)
    if known is None:
        known = any(spec.health_check is not None for spec in tl.container_specs(tl.resolve_task(task)))
        if reference:
            _checks_health[reference] = known
    return known


def settled(task: Obj) -> bool:
    """Nothing time-based is left: RUNNING and meant to run, not deleting, and its health is
    decided (HEALTHY or UNHEALTHY) or not checked at all (`lifecycle.health.container_health`:
    only a container still in its start period changes with the clock)."""
    status = task.get("status") or {}
    if status.get("lastStatus") != "RUNNING" or status.get("desiredStatus") != "RUNNING":
        return False
    if task["metadata"].get("deletionTimestamp"):
        return False
    return status.get("healthStatus") in ("HEALTHY", "UNHEALTHY") or not _health_checked(task)


def _rv(obj: Obj | None) -> str:
    return str((obj or {}).get("metadata", {}).get("resourceVersion", ""))


@metrics.counts_errors("EcsTask")
@reports_bad_input("EcsTask", tasks.report_bad_task)
def _pass(body: Obj, pod: Obj | None, instances: list[Obj]) -> None:
    """What a task's own event does (`tasks.task_changed`), from the indexes."""
    if tenancy.refuse_task(body):
        return
    task = task_protection.sync(body)
    tasks.reconcile_task(task, instances, pod, pod_known=pod is not None)


def sweep(cluster: str, kwargs: dict[str, Any], now: float | None = None) -> int:
    """Pass the cluster's live tasks that are due (module docstring); how many were passed."""
    now = time.monotonic() if now is None else now
    instances = tasks.cluster_instances(kwargs, cluster)
    versions = {str(i["metadata"]["name"]): _rv(i) for i in instances}
    index: tasks.Idx = kwargs["task_bodies"]
    present: set[str] = set()
    passed = 0
    for uid in list(index):
        task = tasks.newest(index, uid)
        if task is None or str(task["spec"].get("cluster", "")) != cluster:
            continue
        present.add(uid)
        if (task.get("status") or {}).get("lastStatus") == "STOPPED":
            continue  # `tasks.stopped_task_retention` has it
        pod = tasks.indexed_pod(kwargs, task)
        instance = str((task.get("status") or {}).get("containerInstance") or "")
        key = (_rv(task), _rv(pod), versions.get(instance, ""))
        seen = _seen.get(uid)
        if seen is None or seen.key != key:
            _seen[uid] = _Seen(key, now, passed=False)
            continue  # it just changed: its event's pass ran
        if now - seen.since < IDLE or (seen.passed and settled(task)):
            continue
        try:
            _pass(body=dict(task), pod=pod, instances=instances)
        except Exception as exc:  # an API error: the next sweep tries again; others go on
            log.warning("EcsTask %s: sweep pass failed: %r", task["metadata"].get("name"), exc)
            continue
        _seen[uid] = _Seen(key, seen.since, passed=True)
        passed += 1
    for uid in [u for u in _seen if u not in present and _cluster_of(index, u) in (None, cluster)]:
        del _seen[uid]
    return passed


def _cluster_of(index: tasks.Idx, uid: str) -> str | None:
    task = next(iter(index.get(uid, ())), None)
    return None if task is None else str(task["spec"].get("cluster", ""))


@kopf.timer(GROUP, VERSION, "ecsclusters", interval=INTERVAL, initial_delay=IDLE)
@metrics.counts_errors("EcsCluster")
def task_sweep(name: str, **kwargs: Any) -> None:
    """The sweep of the cluster's live tasks, by the replica that holds the cluster."""
    if leadership.owns(name):
        sweep(name, kwargs)
