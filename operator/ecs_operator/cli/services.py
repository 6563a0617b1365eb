"""`kubectl ecs describe-services` and `update-service`: ECS's service verbs on EcsService.

describe-services prints what DescribeServices returns (counts, deployments, the newest events);
update-service changes the desired count, the task definition (a new deployment), or forces a new
deployment (a new `forceNewDeployment` value), with the resourceVersion read.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ecs_operator.kube import objects, plugin
from ecs_operator.kube.errors import NotFound
from ecs_operator.kube.objects import SERVICES, Obj
from ecs_operator.names import MICRO_TIME_FORMAT

if TYPE_CHECKING:
    from ecs_operator.cli.commands import Context

HEADERS = ("name", "status", "desired", "running", "pending", "task definition", "rollout")


def service_view(service: Obj, events: int = 10) -> dict[str, Any]:
    """A DescribeServices-shaped view of one EcsService."""
    meta, spec, status = service["metadata"], service.get("spec") or {}, service.get("status") or {}
    deployments = status.get("deployments") or []
    view = {
        "serviceName": meta["name"],
        "serviceArn": f"{meta['namespace']}/{meta['name']}",
        "clusterArn": spec.get("cluster"),
        "status": status.get("status", "ACTIVE"),
        "desiredCount": status.get("desiredCount", spec.get("desiredCount")),
        "runningCount": status.get("runningCount", 0),
        "pendingCount": status.get("pendingCount", 0),
        "launchType": spec.get("launchType", "EC2"),
        "schedulingStrategy": spec.get("schedulingStrategy", "REPLICA"),
        "taskDefinition": deployments[0].get("taskDefinition") if deployments else spec.get("taskDefinition"),
        "deploymentConfiguration": spec.get("deploymentConfiguration") or {},
        "placementStrategy": spec.get("placementStrategy") or [],
        "placementConstraints": spec.get("placementConstraints") or [],
        "deployments": deployments,
        "events": (status.get("events") or [])[:events],
    }
    if spec.get("capacityProviderStrategy"):  # ECS shows one or the other
        del view["launchType"]
        view["capacityProviderStrategy"] = spec["capacityProviderStrategy"]
    return view


def _row(view: dict[str, Any]) -> list[Any]:
    rollout = (view["deployments"][0].get("rolloutState") if view["deployments"] else None) or "-"
    return [
        view["serviceName"],
        view["status"],
        view["desiredCount"],
        view["runningCount"],
        view["pendingCount"],
        view["taskDefinition"],
        rollout,
    ]


def describe_services(args: argparse.Namespace, ctx: Context) -> int:
    found: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for name in args.services:
        try:
            service = objects.get(SERVICES, name, ctx.namespace)
        except NotFound:
            failures.append({"arn": f"{ctx.namespace}/{name}", "reason": "MISSING"})
            continue
        if args.cluster and (service.get("spec") or {}).get("cluster") != args.cluster:
            failures.append({"arn": f"{ctx.namespace}/{name}", "reason": "MISSING"})
            continue
        found.append(service_view(service))
    if (ctx.output or "table") == "table":
        print(_table(found), file=ctx.out)
    else:
        ctx.emit("yaml", {"services": found, "failures": failures})
    return ctx.failures(failures)


def _table(views: list[dict[str, Any]]) -> str:
    from ecs_operator.cli.render import table

    lines = [table(HEADERS, [_row(v) for v in views])]
    for view in views:
        lines.append(f"\n{view['serviceName']}: events (newest first)")
        lines += [f"  {e.get('createdAt', '')}  {e.get('message', '')}" for e in view["events"]]
    return "\n".join(lines)


def update_patch(args: argparse.Namespace, now: datetime | None = None) -> dict[str, Any]:
    """The spec changes UpdateService asks for (refused when it asks for none)."""
    spec: dict[str, Any] = {}
    if args.desired_count is not None:
        if args.desired_count < 0:
            raise ValueError("InvalidParameterException: desiredCount must be 0 or more.")
        spec["desiredCount"] = args.desired_count
    if args.task_definition:
        spec["taskDefinition"] = args.task_definition
    if args.force_new_deployment:
        spec["forceNewDeployment"] = (now or datetime.now(UTC)).strftime(MICRO_TIME_FORMAT)
    if not spec:
        raise ValueError(
            "nothing to update: give --desired-count, --task-definition or --force-new-deployment"
        )
    return {"spec": spec}


def update_service(args: argparse.Namespace, ctx: Context) -> int:
    try:
        patch = update_patch(args)
    except ValueError as exc:
        print(f"error: {exc}", file=ctx.err)
        return 1

    def compute(obj: Obj) -> Obj | None:
        if args.cluster and (obj.get("spec") or {}).get("cluster") != args.cluster:
            raise NotFound(f"service {args.service} is not in cluster {args.cluster}", 404)
        spec = obj.get("spec") or {}
        return None if all(spec.get(k) == v for k, v in patch["spec"].items()) else patch

    try:
        updated = plugin.update_spec(SERVICES, args.service, compute, ctx.namespace)
    except NotFound:
        print(
            f"error: ServiceNotFoundException: Service not found: {ctx.namespace}/{args.service}",
            file=ctx.err,
        )
        return 1
    view = service_view(updated)
    ctx.emit("table", {"service": view}, HEADERS, [_row(view)])
    return 0
