"""`kubectl ecs describe-capacity-providers` and `put-cluster-capacity-providers`.

Why: ECS users manage providers with these two verbs (DescribeCapacityProviders,
PutClusterCapacityProviders); here the first reads the EcsCapacityProvider objects (with the
built-in FARGATE and FARGATE_SPOT), the second replaces an EcsCluster's `capacityProviders` and
`defaultCapacityProviderStrategy` in one merge patch, so the API server's admission rules (a
default strategy only of associated providers, ECS's strategy limits) answer with ECS's words.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ecs_operator.cli.shorthand import parse_structures
from ecs_operator.kube import objects
from ecs_operator.kube.errors import NotFound
from ecs_operator.kube.objects import CAPACITY_PROVIDERS, CLUSTERS

if TYPE_CHECKING:
    from ecs_operator.cli.commands import Context

BUILT_IN = ("FARGATE", "FARGATE_SPOT")
HEADERS = ("name", "status", "managed scaling", "target capacity", "termination protection")


def provider_view(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A DescribeCapacityProviders entry for an EcsCapacityProvider."""
    spec = obj.get("spec") or {}
    scaling = spec.get("managedScaling") or {}
    return {
        "name": obj["metadata"]["name"],
        "status": (obj.get("status") or {}).get("status") or "ACTIVE",
        "nodeSelector": spec.get("nodeSelector") or {},
        "managedScaling": {
            "status": scaling.get("status", "DISABLED"),
            "targetCapacity": scaling.get("targetCapacity", 100),
        },
        "managedTerminationProtection": spec.get("managedTerminationProtection", "DISABLED"),
    }


def built_in_view(name: str) -> dict[str, Any]:
    return {"name": name, "status": "ACTIVE"}


def _row(view: Mapping[str, Any]) -> list[Any]:
    scaling = view.get("managedScaling") or {}
    return [
        view["name"],
        view["status"],
        scaling.get("status", "-"),
        scaling.get("targetCapacity", "-"),
        view.get("managedTerminationProtection", "-"),
    ]


def describe_capacity_providers(args: argparse.Namespace, ctx: Context) -> int:
    names = args.capacity_providers
    found: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    if not names:
        found = [built_in_view(n) for n in BUILT_IN]
        found += [provider_view(o) for o in sorted(objects.list_objects(CAPACITY_PROVIDERS), key=_name)]
    for name in names or ():
        if name in BUILT_IN:
            found.append(built_in_view(name))
            continue
        try:
            found.append(provider_view(objects.get(CAPACITY_PROVIDERS, name)))
        except NotFound:
            failures.append({"arn": name, "reason": "MISSING"})
    ctx.emit("table", {"capacityProviders": found, "failures": failures}, HEADERS, [_row(v) for v in found])
    return ctx.failures(failures)


def _name(obj: Mapping[str, Any]) -> str:
    return str(obj["metadata"]["name"])


def cluster_patch(providers: list[str], strategy: list[str]) -> dict[str, Any]:
    """The merge patch of PutClusterCapacityProviders: both lists replaced (empty: removed)."""
    items = parse_structures(strategy, "--default-capacity-provider-strategy")
    default = [
        {
            "capacityProvider": str(i.get("capacityProvider", "")),
            "base": int(i.get("base") or 0),
            "weight": int(i.get("weight") or 0),
        }
        for i in items
    ]
    return {
        "spec": {"capacityProviders": providers or None, "defaultCapacityProviderStrategy": default or None}
    }


def put_cluster_capacity_providers(args: argparse.Namespace, ctx: Context) -> int:
    patch = cluster_patch(list(args.capacity_providers), list(args.default_capacity_provider_strategy))
    written = objects.patch(CLUSTERS, args.cluster, patch)
    spec = written.get("spec") or {}
    ctx.emit(
        "yaml",
        {
            "cluster": {
                "clusterName": args.cluster,
                "capacityProviders": spec.get("capacityProviders") or [],
                "defaultCapacityProviderStrategy": spec.get("defaultCapacityProviderStrategy") or [],
            }
        },
    )
    return 0
