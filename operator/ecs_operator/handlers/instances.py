"""Kopf handlers that keep one EcsContainerInstance per selected node of each EcsCluster.

Thin by design: in-memory indices (Kopf's watch caches) give the snapshot; the pure
`reconcile.instances` module says what the status should be; `kube.instances` writes it with the
resourceVersion it was computed from. Every trigger is level-based (`on.event` and a timer), so
a restart or a missed event loses nothing, and no Kopf bookkeeping is written onto the instances
themselves (that would bump their resourceVersion and make schedulers' claims conflict for
nothing).
"""

from __future__ import annotations

from typing import Any

import kopf

from ecs_operator.kube import instances as kinstances
from ecs_operator.reconcile.instances import MANAGED_LABEL
from ecs_operator.reconcile.selectors import matches

GROUP, VERSION = "ecs-operator.dev", "v1alpha1"


@kopf.index("", "v1", "nodes")
def node_index(name: str, body: kopf.Body, **_: Any) -> dict[str, dict[str, Any]]:
    return {name: {"metadata": dict(body.metadata), "spec": dict(body.spec), "status": dict(body.status)}}


@kopf.index(GROUP, VERSION, "ecsclusters")
def cluster_index(name: str, spec: kopf.Spec, meta: kopf.Meta, **_: Any) -> dict[str, dict[str, Any]]:
    return {name: {"spec": dict(spec), "uid": meta.uid}}


@kopf.index("", "v1", "pods", labels={MANAGED_LABEL: kopf.ABSENT})
def foreign_pod_index(spec: kopf.Spec, status: kopf.Status, **_: Any) -> dict[str, dict[str, Any]] | None:
    """Pods the operator does not manage, by node: they reduce a node's registered resources."""
    node = spec.get("nodeName")
    if not node:
        return None
    return {node: {"spec": dict(spec), "status": {"phase": status.get("phase")}}}


@kopf.index(GROUP, VERSION, "ecscontainerinstances")
def instance_index(name: str, spec: kopf.Spec, **_: Any) -> dict[str, str]:
    """Instance names by cluster, to find instances whose node is gone."""
    return {str(spec.get("cluster", "")): name}


def _one(store: kopf.Store | None) -> dict[str, Any] | None:
    for item in store or ():
        return dict(item)
    return None


def sync_node_for_cluster(
    cluster: str, cluster_info: dict[str, Any], node_name: str, node_index: kopf.Index, foreign_pod_index: kopf.Index
) -> None:
    node = _one(node_index.get(node_name))
    labels = (node or {}).get("metadata", {}).get("labels") or {}
    selected = node is not None and matches(cluster_info["spec"].get("nodeSelector") or {}, labels)
    pods = [dict(p) for p in foreign_pod_index.get(node_name, ())]
    kinstances.sync(
        cluster=cluster, cluster_uid=cluster_info["uid"], node_name=node_name, node=node, selected=selected, pods=pods
    )


@kopf.on.event("", "v1", "nodes")
def node_changed(
    name: str, cluster_index: kopf.Index, node_index: kopf.Index, foreign_pod_index: kopf.Index, **_: Any
) -> None:
    for cluster, store in list(cluster_index.items()):
        info = _one(store)
        if info is not None:
            sync_node_for_cluster(cluster, info, name, node_index, foreign_pod_index)


@kopf.on.event("", "v1", "pods", labels={MANAGED_LABEL: kopf.ABSENT})
def foreign_pod_changed(
    spec: kopf.Spec, cluster_index: kopf.Index, node_index: kopf.Index, foreign_pod_index: kopf.Index, **_: Any
) -> None:
    node_name = spec.get("nodeName")
    if not node_name:
        return
    node_changed(
        name=node_name, cluster_index=cluster_index, node_index=node_index, foreign_pod_index=foreign_pod_index
    )


@kopf.on.event(GROUP, VERSION, "ecscontainerinstances")
def instance_changed(
    spec: kopf.Spec,
    type: str | None,
    cluster_index: kopf.Index,
    node_index: kopf.Index,
    foreign_pod_index: kopf.Index,
    **_: Any,
) -> None:
    """People edit spec.attributes and spec.status (PutAttributes, UpdateContainerInstancesState)."""
    if type == "DELETED":
        return
    cluster = str(spec.get("cluster", ""))
    info = _one(cluster_index.get(cluster))
    if info is not None:
        sync_node_for_cluster(cluster, info, str(spec.get("nodeName", "")), node_index, foreign_pod_index)


@kopf.timer(GROUP, VERSION, "ecsclusters", interval=30, initial_delay=1)
def cluster_resync(
    name: str,
    patch: kopf.Patch,
    cluster_index: kopf.Index,
    node_index: kopf.Index,
    foreign_pod_index: kopf.Index,
    instance_index: kopf.Index,
    **_: Any,
) -> None:
    """Periodic level-triggered pass: every node, every known instance, and the cluster's counts."""
    info = _one(cluster_index.get(name))
    if info is None:
        return
    nodes = set(node_index.keys())
    prefix = f"{name}."
    known = {str(i)[len(prefix):] for i in instance_index.get(name, ()) if str(i).startswith(prefix)}
    for node_name in sorted(nodes | known):
        sync_node_for_cluster(name, info, node_name, node_index, foreign_pod_index)
    patch.status.update(kinstances.cluster_counts(name))


@kopf.on.event(GROUP, VERSION, "ecsclusters")
def cluster_changed(
    name: str,
    type: str | None,
    cluster_index: kopf.Index,
    node_index: kopf.Index,
    foreign_pod_index: kopf.Index,
    **_: Any,
) -> None:
    if type == "DELETED":
        return
    info = _one(cluster_index.get(name))
    if info is None:
        return
    for node_name in sorted(node_index.keys()):
        sync_node_for_cluster(name, info, node_name, node_index, foreign_pod_index)

