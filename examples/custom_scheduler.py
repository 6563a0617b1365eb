#!/usr/bin/env python3
"""A custom scheduler for ecs-operator: its own policy, the operator's placement engine.

ECS lets third-party schedulers choose instances themselves and start tasks there (StartTask).
Here that is an EcsTask with `spec.containerInstance`. This scheduler:

1. reads the cluster's EcsContainerInstances and builds a snapshot with the public placement API;
2. applies its own policy — prefer one availability zone, binpack memory inside it, and fall back
   to the whole cluster when the zone is full — by asking the engine for placements;
3. commits each choice as an EcsTask with `spec.containerInstance` (StartTask semantics: the
   operator still checks resources and the task definition's constraints, and commits the claim
   with the instance's resourceVersion, so this scheduler and the operator can run at once).

Usage:
    python examples/custom_scheduler.py --cluster prod --namespace default \
        --task-definition web --count 3 --zone zone-b [--kubeconfig PATH]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import uuid

from kubernetes import client, config

from ecs_operator.placement import (
    TaskRequest,
    binpack,
    member_of,
    place,
    snapshot_from_objects,
)


def read_instances(api: client.CustomObjectsApi, cluster: str) -> list[dict]:
    out = api.list_cluster_custom_object(
        "ecs-operator.dev",
        "v1alpha1",
        "ecscontainerinstances",
        label_selector=f"ecs-operator.dev/cluster={cluster}",
    )
    return list(out["items"])


def task_size(api: client.CustomObjectsApi, namespace: str, family: str) -> tuple[int, int]:
    """CPU units and MiB the task reserves, from the latest revision's immutable snapshot."""
    td = api.get_namespaced_custom_object(
        "ecs-operator.dev", "v1alpha1", namespace, "ecstaskdefinitions", family
    )
    revision = td["status"]["revision"]
    cm = client.CoreV1Api().read_namespaced_config_map(f"ecstd.{family}.{revision}", namespace)
    spec = json.loads(cm.data["taskDefinition.json"])
    containers = spec["containerDefinitions"]
    cpu = sum(int(c.get("cpu") or 0) for c in containers)
    memory = sum(int(c.get("memoryReservation") or c.get("memory") or 0) for c in containers)
    return cpu, memory


def choose(
    instances: list[dict], cluster: str, family: str, cpu: int, memory: int, count: int, zone: str
) -> list[str]:
    """The policy: the preferred zone first (binpack memory), then anywhere (binpack memory)."""
    snapshot = snapshot_from_objects(instances, cluster=cluster)
    rng = random.Random(42)
    base = dict(
        task=f"custom/{family}",
        group=f"family:{family}",
        cpu=cpu,
        memory=memory,
        strategies=(binpack("memory"),),
    )
    in_zone = TaskRequest(**base, constraints=(member_of(f"attribute:ecs.availability-zone == {zone}"),))
    result = place(snapshot, in_zone, count, rng)
    chosen = [p.instance for p in result.placements]
    if result.unplaced:
        if result.failure is not None:
            print(f"zone {zone} is full: {result.failure.stopped_reason()}", file=sys.stderr)
        rest = place(result.snapshot, TaskRequest(**base), result.unplaced, rng)
        chosen += [p.instance for p in rest.placements]
        if rest.failure is not None:
            print(f"cluster is full: {rest.failure.service_message('custom-scheduler')}", file=sys.stderr)
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cluster", required=True)
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--task-definition", required=True, help="family")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--zone", required=True, help="the preferred availability zone")
    parser.add_argument("--kubeconfig")
    args = parser.parse_args(argv)
    config.load_kube_config(config_file=args.kubeconfig)
    api = client.CustomObjectsApi()
    cpu, memory = task_size(api, args.namespace, args.task_definition)
    chosen = choose(
        read_instances(api, args.cluster),
        args.cluster,
        args.task_definition,
        cpu,
        memory,
        args.count,
        args.zone,
    )
    for instance in chosen:
        name = f"{args.task_definition}-custom-{uuid.uuid4().hex[:8]}"
        body = {
            "apiVersion": "ecs-operator.dev/v1alpha1",
            "kind": "EcsTask",
            "metadata": {"name": name, "namespace": args.namespace},
            "spec": {
                "cluster": args.cluster,
                "taskDefinition": args.task_definition,
                "containerInstance": instance,
                "startedBy": "custom-scheduler",
            },
        }
        api.create_namespaced_custom_object("ecs-operator.dev", "v1alpha1", args.namespace, "ecstasks", body)
        print(f"{name} -> {instance}")
    return 0 if len(chosen) == args.count else 1


if __name__ == "__main__":
    sys.exit(main())
