"""The orphan-claim sweep: claims whose task no longer wants them are released.

Why a sweep: a task's claim is released by the pass that sees it STOPPED or deleted, and a
scheduler that lost the race to record a placement rolls its own claim back (`handlers.tasks`);
but a process can die between any two of those writes, and an API call can fail. Every 30 s, per
cluster, each claim of each container instance is judged by `reconcile.ledger.verdict` against a
watch-fed index of the tasks; a claim the index says is orphaned is confirmed with a fresh read of
its task before it is released (the index may lag), and released by compare-and-swap on the
instance. Claims of live tasks that name no instance yet are never released here: they are in
flight, or adopted by the task's next pass.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import kopf

from ecs_operator import metrics
from ecs_operator.handlers import leadership, snapshots
from ecs_operator.kube import claims, objects
from ecs_operator.kube.errors import NotFound
from ecs_operator.kube.objects import TASKS, Obj
from ecs_operator.names import GROUP, VERSION
from ecs_operator.reconcile.ledger import TaskView, Verdict, verdict

log = logging.getLogger(__name__)


@kopf.index(GROUP, VERSION, "ecstasks")
async def task_views(body: kopf.Body, **_: Any) -> dict[str, TaskView]:
    """Each task's uid → what the ledger needs of it (a few fields, not the body)."""
    return {str(body.metadata["uid"]): TaskView.of(body)}


def _fresh(task_ref: str) -> TaskView | None:
    namespace, _, name = task_ref.partition("/")
    try:
        return TaskView.of(objects.get(TASKS, name, namespace))
    except NotFound:
        return None


def sweep_instance(inst: Obj, views: kopf.Index[str, TaskView]) -> int:
    """Release the orphaned claims of one instance; how many were released."""
    name = str(inst["metadata"]["name"])
    cluster = str((inst.get("spec") or {}).get("cluster", ""))
    released = 0
    for claim in (inst.get("status") or {}).get("claims") or []:
        uid = str(claim.get("taskUid"))
        cached = next(iter(views.get(uid, ())), None)
        if verdict(name, uid, cached) is Verdict.KEEP:
            continue
        confirmed = verdict(name, uid, _fresh(str(claim.get("task", ""))))
        if confirmed is Verdict.KEEP:
            continue
        with contextlib.suppress(NotFound):
            after = claims.release(name, uid)
            if after is not None:
                snapshots.remember(after)
                released += 1
                metrics.orphan_claim_released(cluster, confirmed.value)
                log.info("released the claim of task %s on %s: %s", claim.get("task"), name, confirmed.value)
    return released


@kopf.timer(GROUP, VERSION, "ecsclusters", interval=30, initial_delay=15)
@metrics.counts_errors("EcsCluster")
def sweep_orphan_claims(name: str, **kwargs: Any) -> None:
    """Every instance of the cluster, from the watch cache (`tasks.instance_objects`), by the
    replica that holds the cluster (another one sweeping too would be safe, only wasted work)."""
    if not leadership.owns(name):
        return
    instances: kopf.Index[str, dict[str, Any]] = kwargs["instance_objects"]
    views: kopf.Index[str, TaskView] = kwargs["task_views"]
    for inst in list(instances.get(name, ())):
        sweep_instance(dict(inst), views)
