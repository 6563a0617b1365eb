"""The shapes that cross kube/'s boundary, typed: a JSON object, and the few bodies whose keys
the operator itself decides.

Why this module exists: the official client's signatures name its model classes (`V1Pod`, …), but
the operator speaks JSON (the same camelCase dicts Kopf hands the handlers). `Obj` is that JSON,
defined once; the bodies kube/ builds or summarises itself get a `TypedDict`, so a misspelt key is
a type error rather than a field the API server silently drops.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

Obj = dict[str, Any]
"""A Kubernetes object (or any JSON object) as the API serves it: camelCase keys, JSON values."""


class ClusterCounts(TypedDict):
    """The counts of `EcsCluster.status` derived from its container instances (api.md)."""

    status: Literal["ACTIVE"]
    registeredContainerInstancesCount: int
    runningTasksCount: int


class LeaseMeta(TypedDict, total=False):
    name: str
    namespace: str
    labels: dict[str, str]
    resourceVersion: str


class LeaseSpec(TypedDict):
    """coordination.k8s.io/v1 LeaseSpec, as the operator writes it (times are MicroTime)."""

    holderIdentity: str
    leaseDurationSeconds: int
    renewTime: str
    acquireTime: str
    leaseTransitions: int


class LeaseBody(TypedDict):
    apiVersion: Literal["coordination.k8s.io/v1"]
    kind: Literal["Lease"]
    metadata: LeaseMeta
    spec: LeaseSpec


class Preconditions(TypedDict):
    resourceVersion: str


class DeleteBody(TypedDict):
    """A DeleteOptions body that only deletes the object at the version read."""

    preconditions: Preconditions
