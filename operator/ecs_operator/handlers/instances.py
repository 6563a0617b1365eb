"""Kopf handlers that keep one EcsContainerInstance per selected node of each EcsCluster.

A node is selected as EC2 capacity (`spec.nodeSelector`) or as Fargate capacity
(`spec.fargate.nodeSelector`); its instance says which in `status.launchType`, and placement keeps
each launch type on its own instances with the same claims ledger.

Thin by design: in-memory indices (Kopf's watch caches) give the snapshot; the pure
`reconcile.instances` module says what the status should be; `kube.instances` writes it with the
resourceVersion it was computed from. Every trigger is level-based (`on.event` and a timer), so
a restart or a missed event loses nothing, and no Kopf bookkeeping is written onto the instances
themselves (that would bump their resourceVersion and make schedulers' claims conflict for
nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import kopf

from ecs_operator.api.meta import plain
from ecs_operator.handlers import snapshots
from ecs_operator.kube import instances as kinstances
from ecs_operator.names import GROUP, VERSION
from ecs_operator.reconcile.instances import MANAGED_LABEL, instance_name, selected_launch_type

Idx = kopf.Index[str, dict[str, Any]]


@kopf.index("", "v1", "nodes")
async def node_index(name: str, body: kopf.Body, **_: Any) -> dict[str, dict[str, Any]]:
    return {name: {"metadata": dict(body.metadata), "spec": dict(body.spec), "status": dict(body.status)}}


_cluster_specs: dict[str, dict[str, Any]] = {}
"""The latest spec of each EcsCluster seen by `cluster_index`, for code that has no index kwargs."""


@kopf.index(GROUP, VERSION, "ecsclusters")
async def cluster_index(name: str, spec: kopf.Spec, meta: kopf.Meta, **_: Any) -> dict[str, dict[str, Any]]:
    _cluster_specs[name] = plain(spec)
    return {name: {"spec": dict(spec), "uid": meta.uid}}


def cluster_spec(name: str) -> dict[str, Any] | None:
    """The cluster's spec from the watch (None when this process has not seen the cluster)."""
    found = _cluster_specs.get(name)
    return None if found is None else dict(found)


@kopf.index("", "v1", "pods")
async def foreign_pod_index(
    spec: kopf.Spec, status: kopf.Status, labels: kopf.Labels, **_: Any
) -> dict[str, dict[str, Any]] | None:
    """Bound pods by node; those a cluster's claims do not cover reduce its registered resources."""
    node = spec.get("nodeName")
    if not node:
        return None
    return {
        node: {
            "metadata": {"labels": dict(labels)},
            "spec": dict(spec),
            "status": {"phase": status.get("phase")},
        }
    }


@kopf.index(GROUP, VERSION, "ecscontainerinstances")
async def instance_index(name: str, spec: kopf.Spec, **_: Any) -> dict[str, str]:
    """Instance names by cluster, to find instances whose node is gone."""
    return {str(spec.get("cluster", "")): name}


def _one(store: kopf.Store[dict[str, Any]] | None) -> dict[str, Any] | None:
    for item in store or ():
        return dict(item)
    return None


@dataclass(frozen=True)
class Indices:
    """The watch caches a handler reads its snapshot from (Kopf passes them as kwargs)."""

    clusters: Idx
    nodes: Idx
    foreign_pods: Idx
    instances: Idx  # whole instances by cluster (`tasks.instance_objects`)

    @classmethod
    def of(cls, kwargs: dict[str, Any]) -> Indices:
        return cls(
            kwargs["cluster_index"],
            kwargs["node_index"],
            kwargs["foreign_pod_index"],
            kwargs["instance_objects"],
        )

    def instances_of(self, cluster: str) -> dict[str, dict[str, Any]]:
        """The cluster's instances by name, the newest copy this process has (`snapshots`)."""
        return {
            str(i["metadata"]["name"]): i for i in snapshots.merged(self.instances.get(cluster, ()), cluster)
        }

    def instance(self, cluster: str, name: str) -> dict[str, Any] | None:
        """One instance, the newest copy this process has: a node's event must not merge the
        whole cluster (at 1,000 nodes that was 17 % of the operator's CPU in a fill, py-spy)."""
        cached = next((i for i in self.instances.get(cluster, ()) if i["metadata"]["name"] == name), None)
        return (snapshots.merged([cached]) if cached is not None else [snapshots.latest(name)])[0]


def sync_node_for_cluster(
    cluster: str,
    cluster_info: dict[str, Any],
    node_name: str,
    idx: Indices,
    known: dict[str, dict[str, Any]] | None = None,
) -> None:
    """`known`: the cluster's instances by name (`Indices.instances_of`), when the caller has them."""
    name = instance_name(cluster, node_name)
    current = known.get(name) if known is not None else idx.instance(cluster, name)
    node = _one(idx.nodes.get(node_name))
    labels = (node or {}).get("metadata", {}).get("labels") or {}
    launch_type = None if node is None else selected_launch_type(plain(cluster_info["spec"]), labels)
    pods = [dict(p) for p in idx.foreign_pods.get(node_name, ())]
    synced = kinstances.sync(
        cluster=cluster,
        cluster_uid=cluster_info["uid"],
        node_name=node_name,
        node=node,
        selected=launch_type is not None,
        pods=pods,
        launch_type=launch_type,
        current=current,
    )
    if synced is not None:
        snapshots.remember(synced)


def sync_node(name: str, idx: Indices) -> None:
    """Bring this node's instance in every cluster in line with it."""
    for cluster, store in list(idx.clusters.items()):
        info = _one(store)
        if info is not None:
            sync_node_for_cluster(cluster, info, name, idx)


def sync_cluster(name: str, node_names: set[str], idx: Indices) -> bool:
    info = _one(idx.clusters.get(name))
    if info is None:
        return False
    known = idx.instances_of(name)
    for node_name in sorted(node_names):
        sync_node_for_cluster(name, info, node_name, idx, known)
    return True


@kopf.on.event("", "v1", "nodes")
def node_changed(name: str, **kwargs: Any) -> None:
    sync_node(name, Indices.of(kwargs))


@kopf.on.event("", "v1", "pods", labels={MANAGED_LABEL: kopf.ABSENT})
def foreign_pod_changed(spec: kopf.Spec, **kwargs: Any) -> None:
    node_name = spec.get("nodeName")
    if node_name:
        sync_node(str(node_name), Indices.of(kwargs))


@kopf.on.event(GROUP, VERSION, "ecscontainerinstances")
def instance_changed(name: str, spec: kopf.Spec, type: str, **kwargs: Any) -> None:
    """People edit spec.attributes and spec.status (PutAttributes, UpdateContainerInstancesState)."""
    if type == "DELETED":
        snapshots.forget(name)  # placement must not pick an instance that no longer exists
        return
    idx = Indices.of(kwargs)
    cluster = str(spec.get("cluster", ""))
    info = _one(idx.clusters.get(cluster))
    if info is not None:
        sync_node_for_cluster(cluster, info, str(spec.get("nodeName", "")), idx)


@kopf.timer(GROUP, VERSION, "ecsclusters", interval=30, initial_delay=1)
def cluster_resync(name: str, patch: kopf.Patch, **kwargs: Any) -> None:
    """Periodic level-triggered pass: every node, every known instance, and the cluster's counts."""
    idx = Indices.of(kwargs)
    instance_index: Idx = kwargs["instance_index"]
    prefix = f"{name}."
    known = {str(i)[len(prefix) :] for i in instance_index.get(name, ()) if str(i).startswith(prefix)}
    if sync_cluster(name, set(idx.nodes.keys()) | known, idx):
        patch.status.update(kinstances.cluster_counts(name, list(idx.instances_of(name).values())))


@kopf.on.event(GROUP, VERSION, "ecsclusters")
def cluster_changed(name: str, type: str, **kwargs: Any) -> None:
    if type != "DELETED":
        idx = Indices.of(kwargs)
        sync_cluster(name, set(idx.nodes.keys()), idx)
