"""Create and update EcsContainerInstances with compare-and-swap on resourceVersion.

The instance is shared state (architecture.md §2): schedulers write claims into its status while
this module writes what the node says. Both always write with the resourceVersion they read, so
neither can overwrite the other; `reconcile.instances.desired_instance_status` carries the claims
over untouched and recomputes the remaining resources from them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ecs_operator.api.meta import owner_reference
from ecs_operator.kube import objects
from ecs_operator.kube.errors import AlreadyExists, NotFound
from ecs_operator.kube.objects import INSTANCES, Obj
from ecs_operator.kube.views import ClusterCounts
from ecs_operator.names import CLUSTER_LABEL, NODE_LABEL
from ecs_operator.reconcile.instances import changed, desired_instance_status, foreign_usage, instance_name


def sync(
    *,
    cluster: str,
    cluster_uid: str,
    node_name: str,
    node: Obj | None,
    selected: bool,
    pods: list[Obj],
    launch_type: str | None = None,
    current: Obj | None = None,
) -> Obj | None:
    """Bring `<cluster>.<node>` in line with its node; create it when the node is newly selected.

    `launch_type` (EC2 or FARGATE) is the capacity the node is selected as, None when it is not.
    `current`: the instance from a watch cache, so an unchanged one costs no read (a stale copy
    costs one 409 and a re-read; a copy stale enough to hide a needed change is followed by the
    watch event of that change, which syncs again). None: it is read.
    """
    name = instance_name(cluster, node_name)
    if current is None:
        try:
            current = objects.get(INSTANCES, name)
        except NotFound:
            if not selected:
                return None
            current = _create(cluster, cluster_uid, node_name)
    usage = foreign_usage(pods, cluster)

    def compute(obj: Obj) -> Obj | None:
        desired = desired_instance_status(
            spec=obj.get("spec") or {},
            status=obj.get("status") or {},
            node=node,
            selected=selected,
            usage=usage,
            now=datetime.now(UTC),
            launch_type=launch_type,
        )
        return changed(obj.get("status") or {}, desired)

    return objects.update_status(INSTANCES, name, compute, current=current)


def _create(cluster: str, cluster_uid: str, node_name: str) -> Obj:
    body = {
        "apiVersion": f"{INSTANCES.group}/{INSTANCES.version}",
        "kind": "EcsContainerInstance",
        "metadata": {
            "name": instance_name(cluster, node_name),
            "labels": {CLUSTER_LABEL: cluster, NODE_LABEL: node_name},
            # Deleting the cluster deletes its instances (Kubernetes garbage collection).
            "ownerReferences": [owner_reference("EcsCluster", cluster, cluster_uid, controller=False)],
        },
        "spec": {"cluster": cluster, "nodeName": node_name, "status": "ACTIVE"},
    }
    try:
        return objects.create(INSTANCES, body)
    except AlreadyExists:
        return objects.get(INSTANCES, instance_name(cluster, node_name))


def cluster_counts(cluster: str, items: list[Obj] | None = None) -> ClusterCounts:
    """EcsCluster.status counts, from the cluster's container instances (`items`, from a watch
    cache; None: listed)."""
    if items is None:
        items = objects.list_objects(INSTANCES, label_selector=f"{CLUSTER_LABEL}={cluster}")
    registered = [i for i in items if (i.get("status") or {}).get("status") in ("ACTIVE", "DRAINING")]
    return {
        "status": "ACTIVE",
        "registeredContainerInstancesCount": len(registered),
        "runningTasksCount": sum(
            int((i.get("status") or {}).get("runningTasksCount", 0)) for i in registered
        ),
    }
