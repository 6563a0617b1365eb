"""What "resync a cluster" means when this replica acquires its Lease (handlers/leadership.py).

Everything the previous holder may have left half done, or that this replica's handlers skipped
while another replica held the cluster: every not-STOPPED task of the cluster is reconciled
(placed, its pod created, its status brought up to date), every service of the cluster gets a
pass, and the schedule daemons are woken to fire what is due. Each step is the same idempotent,
level-triggered reconcile the handlers run, so a resync that overlaps a handler costs a 409 at
worst. Kept apart from `leadership` because it imports the handlers that import `leadership`.
"""

from __future__ import annotations

import logging

from ecs_operator.handlers import leadership, scheduled, services, tasks, tenancy
from ecs_operator.kube import objects
from ecs_operator.kube.objects import INSTANCES, SERVICES, TASKS, Obj
from ecs_operator.names import CLUSTER_LABEL

log = logging.getLogger(__name__)


def _instances(cluster: str) -> list[Obj]:
    return objects.list_objects(INSTANCES, label_selector=f"{CLUSTER_LABEL}={cluster}")


def resync(cluster: str) -> None:
    instances = _instances(cluster)
    live = [
        t
        for t in objects.list_objects(TASKS)
        if t["spec"].get("cluster") == cluster and (t.get("status") or {}).get("lastStatus") != "STOPPED"
    ]
    # Unplaced tasks first: they are the ones waiting for a scheduler.
    live.sort(key=lambda t: bool((t.get("status") or {}).get("containerInstance")))
    for task in live:
        if not leadership.owns(cluster):
            return  # handed over meanwhile: the new holder resyncs
        try:
            if not tenancy.refuse_task(task):
                tasks.reconcile_task(task, instances)
        except Exception as exc:  # the cluster's task sweep tries again
            log.warning(f"resync {cluster}: task {task['metadata']['name']}: {exc!r}")
    for service in objects.list_objects(SERVICES):
        if service["spec"].get("cluster") != cluster:
            continue
        meta = service["metadata"]
        try:  # a deleted service too: its pass drains it and lets its finalizer go
            if not meta.get("deletionTimestamp") and tenancy.refuse_service(service):
                continue
            services.reconcile_service(meta["namespace"], meta["name"], _instances)
        except Exception as exc:  # the service's timer tries again
            log.warning(f"resync {cluster}: service {meta['name']}: {exc!r}")
    loop = leadership.STATE.loop
    if loop is not None:
        loop.call_soon_threadsafe(scheduled.wake_all)
    log.info(f"leases: cluster {cluster} resynced ({len(live)} task(s))")


leadership.RESYNC.append(resync)
