"""The verbs of `kubectl ecs`, each reading and writing the custom resources through kube/.

Every command takes the parsed arguments and a :class:`Context` (namespace, output format,
streams) and returns the exit code: 0, or 1 when ECS would report a failure (the failures are
printed on stderr, and in ``failures[]`` of a JSON/YAML document). What ECS would refuse outright
raises :class:`~ecs_operator.cli.instances.EcsError`; `kubectl_ecs.main` prints it.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from ecs_operator.cli import capacity as ccapacity
from ecs_operator.cli import explain as cexplain
from ecs_operator.cli import instances as cinst
from ecs_operator.cli import protection as cprotection
from ecs_operator.cli import services as cservices
from ecs_operator.cli import tasks as ctasks
from ecs_operator.cli.render import age, document, table
from ecs_operator.cli.shorthand import parse_structures
from ecs_operator.kube import objects, plugin
from ecs_operator.kube import taskdefs as ktaskdefs
from ecs_operator.kube.errors import NotFound
from ecs_operator.kube.objects import CLUSTERS, INSTANCES, TASK_DEFINITIONS, TASKS, Obj
from ecs_operator.names import CLUSTER_LABEL
from ecs_operator.reconcile.taskdefs import ResolveError, parse_ref, resolve

EcsError = cinst.EcsError


@dataclass(frozen=True)
class Context:
    namespace: str
    output: str | None
    out: TextIO
    err: TextIO

    def emit(
        self, default: str, data: Any, headers: tuple[str, ...] = (), rows: list[list[Any]] | None = None
    ) -> None:
        fmt = self.output or default
        text = document(data, fmt) if fmt in ("json", "yaml") else table(headers, rows or [])
        print(text, file=self.out)

    def failures(self, failures: list[dict[str, Any]]) -> int:
        for failure in failures:
            detail = f" ({failure['detail']})" if failure.get("detail") else ""
            print(f"error: {failure['arn']}: {failure['reason']}{detail}", file=self.err)
        return 1 if failures else 0


def task_ref(text: str, namespace: str) -> tuple[str, str]:
    """``name`` or ``namespace/name`` (the taskArn that list-tasks and describe-tasks print)."""
    ns, sep, name = text.rpartition("/")
    return (ns, name) if sep and ns else (namespace, text)


def resolve_revision(namespace: str, text: str) -> tuple[int, str, dict[str, Any]]:
    """``family[:revision]`` → (revision, family, revision snapshot), as the operator resolves it."""
    try:
        ref = parse_ref(text)
        revision = ref.revision
        if revision is None:
            family_obj = objects.get(TASK_DEFINITIONS, ref.family, namespace)
            revision = resolve(ref, (family_obj.get("status") or {}).get("revisions") or [])
        snapshot = ktaskdefs.read_revision(namespace, ref.family, revision)[0]
    except ResolveError as exc:
        raise EcsError(f"ClientException: {exc.detail} ({exc.reason})") from exc
    except NotFound as exc:
        raise EcsError(f"ClientException: TaskDefinition not found: {text} (namespace {namespace}).") from exc
    return revision, ref.family, snapshot


def _cluster_must_exist(cluster: str) -> None:
    try:
        objects.get(CLUSTERS, cluster)
    except NotFound as exc:
        raise EcsError(f"ClusterNotFoundException: Cluster not found: {cluster}.") from exc


# ---- container instances ----------------------------------------------------------------------


def _instance(cluster: str, name: str) -> Obj:
    try:
        obj = objects.get(INSTANCES, name)
    except NotFound as exc:
        raise EcsError(cinst.TARGET_NOT_FOUND.format(target=name)) from exc
    if (obj.get("spec") or {}).get("cluster") != cluster:
        raise EcsError(cinst.TARGET_NOT_FOUND.format(target=name))
    return obj


def _edit_attributes(args: argparse.Namespace, ctx: Context, put: bool) -> int:
    items = parse_structures(args.attributes, "--attributes")
    requests = cinst.attribute_requests(items, args.cluster, with_values=put)
    by_target: dict[str, list[cinst.AttributeRequest]] = {}
    for request in requests:
        by_target.setdefault(request.target, []).append(request)

    def compute_for(target: str, group: list[cinst.AttributeRequest]) -> Callable[[Obj], Obj | None]:
        def compute(obj: Obj) -> Obj | None:
            spec = obj.get("spec") or {}
            if spec.get("cluster") != args.cluster:
                raise EcsError(cinst.TARGET_NOT_FOUND.format(target=target))
            new = cinst.put_attributes(spec, target, group) if put else cinst.delete_attributes(spec, group)
            return None if new == list(spec.get("attributes") or []) else {"spec": {"attributes": new}}

        return compute

    # Check every target before writing any, so a refused call changes nothing.
    for target, group in by_target.items():
        compute_for(target, group)(_instance(args.cluster, target))
    for target, group in by_target.items():
        plugin.update_spec(INSTANCES, target, compute_for(target, group))
    result = [
        {
            "name": r.name,
            **({"value": r.value} if r.value is not None else {}),
            "targetType": cinst.TARGET_TYPE,
            "targetId": r.target,
        }
        for r in requests
    ]
    rows = [[r["targetId"], r["name"], r.get("value")] for r in result]
    ctx.emit("table", {"attributes": result}, ("target", "name", "value"), rows)
    return 0


def put_attributes(args: argparse.Namespace, ctx: Context) -> int:
    return _edit_attributes(args, ctx, put=True)


def delete_attributes(args: argparse.Namespace, ctx: Context) -> int:
    return _edit_attributes(args, ctx, put=False)


def update_container_instances_state(args: argparse.Namespace, ctx: Context) -> int:
    wanted: str = args.status
    updated: list[Obj] = []
    failures: list[dict[str, Any]] = []
    for given in args.container_instances:
        name = cinst.instance_name(args.cluster, given)
        try:
            current = _instance(args.cluster, name)
            if wanted == "ACTIVE" and cinst.held_draining(current):
                node = (current.get("spec") or {}).get("nodeName")
                print(
                    f"warning: {name} stays DRAINING while node {node} is cordoned (kubectl uncordon {node})",
                    file=ctx.err,
                )

            def compute(obj: Obj) -> Obj | None:
                failure = cinst.state_change(obj, wanted)
                if failure is not None:
                    raise _Refused(failure)
                return (
                    None if (obj.get("spec") or {}).get("status") == wanted else {"spec": {"status": wanted}}
                )

            updated.append(plugin.update_spec(INSTANCES, name, compute))
        except EcsError:
            failures.append({"arn": name, "reason": "MISSING"})
        except _Refused as refused:
            failures.append(refused.failure)
    views = [
        {
            "containerInstanceArn": o["metadata"]["name"],
            "ec2InstanceId": (o.get("spec") or {}).get("nodeName"),
            "status": wanted,
            "agentConnected": (o.get("status") or {}).get("agentConnected"),
            "runningTasksCount": (o.get("status") or {}).get("runningTasksCount", 0),
        }
        for o in updated
    ]
    rows = [
        [v["containerInstanceArn"], v["ec2InstanceId"], v["status"], v["runningTasksCount"]] for v in views
    ]
    if views or ctx.output in ("json", "yaml"):
        ctx.emit(
            "table",
            {"containerInstances": views, "failures": failures},
            ("instance", "node", "status", "running"),
            rows,
        )
    return ctx.failures(failures)


class _Refused(Exception):
    def __init__(self, failure: dict[str, str]) -> None:
        super().__init__(failure["reason"])
        self.failure = failure


# ---- tasks ---------------------------------------------------------------------------------------


def _json_object(text: str | None, option: str) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EcsError(f"{option}: invalid JSON at column {exc.colno}: {exc.msg}") from exc
    if not isinstance(value, dict):
        raise EcsError(f"{option}: expected a JSON object")
    return value


def _run_input(args: argparse.Namespace, container_instances: tuple[str, ...] = ()) -> ctasks.RunTaskInput:
    return ctasks.RunTaskInput(
        cluster=args.cluster,
        task_definition=args.task_definition,
        count=getattr(args, "count", 1),
        group=args.group,
        started_by=args.started_by,
        launch_type=getattr(args, "launch_type", "EC2"),
        placement_strategy=parse_structures(
            getattr(args, "placement_strategy", None) or [], "--placement-strategy"
        ),
        placement_constraints=parse_structures(args.placement_constraints or [], "--placement-constraints"),
        overrides=_json_object(args.overrides, "--overrides"),
        container_instances=container_instances,
    )


def _create_tasks(request: ctasks.RunTaskInput, ctx: Context, wait: float) -> int:
    bodies = ctasks.task_bodies(request, ctx.namespace)  # validates count and instances first
    _cluster_must_exist(request.cluster)
    resolve_revision(ctx.namespace, request.task_definition)  # ECS refuses an unknown definition at once
    created = [objects.create(TASKS, body, ctx.namespace) for body in bodies]
    if wait > 0:
        created = await_placement(created, ctx.namespace, wait)
    response = ctasks.run_task_response(created)
    if response.tasks or (ctx.output or "table") != "table":
        ctx.emit("table", response.document(), ctasks.RUN_HEADERS, response.rows)
    unknown = [t["metadata"]["name"] for t in created if not ctasks.placement_known(t)]
    if wait > 0 and unknown:
        print(
            f"placement of {', '.join(unknown)} not known after {wait:g} s: see kubectl ecs describe-tasks",
            file=ctx.err,
        )
    return ctx.failures(response.failures)


PLACEMENT_WAIT = 10.0
"""How long run-task and start-task wait for the operator's placement (seconds; --no-wait: 0)."""
_POLL = 0.5


def await_placement(
    created: list[Obj],
    namespace: str,
    wait: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Obj]:
    """The tasks re-read until each one's placement is known, or ``wait`` seconds have passed."""
    deadline = clock() + wait
    latest = {t["metadata"]["name"]: t for t in created}
    while True:
        pending = [name for name, t in latest.items() if not ctasks.placement_known(t)]
        if not pending or clock() >= deadline:
            return list(latest.values())
        sleep(_POLL)
        for name in pending:
            try:
                latest[name] = objects.get(TASKS, name, namespace)
            except NotFound:  # deleted meanwhile: keep what was created
                continue


def _wait(args: argparse.Namespace) -> float:
    return 0.0 if getattr(args, "no_wait", False) else PLACEMENT_WAIT


def run_task(args: argparse.Namespace, ctx: Context) -> int:
    return _create_tasks(_run_input(args), ctx, _wait(args))


def start_task(args: argparse.Namespace, ctx: Context) -> int:
    targets = tuple(cinst.instance_name(args.cluster, i) for i in args.container_instances)
    return _create_tasks(_run_input(args, targets), ctx, _wait(args))


def stop_task(args: argparse.Namespace, ctx: Context) -> int:
    namespace, name = task_ref(args.task, ctx.namespace)
    not_found = EcsError(f"InvalidParameterException: The referenced task was not found: {namespace}/{name}.")
    try:
        task = objects.get(TASKS, name, namespace)
    except NotFound as exc:
        raise not_found from exc
    if args.cluster and (task.get("spec") or {}).get("cluster") != args.cluster:
        raise not_found
    patch = ctasks.stop_patch(args.reason)

    def compute(obj: Obj) -> Obj | None:
        spec = obj.get("spec") or {}
        return None if all(spec.get(k) == v for k, v in patch["spec"].items()) else patch

    updated = plugin.update_spec(TASKS, name, compute, namespace)
    view = ctasks.task_view(updated)
    rows = [[name, view["desiredStatus"], view["lastStatus"], args.reason]]
    ctx.emit("table", {"task": view}, ("name", "desired", "last status", "reason"), rows)
    return 0


def list_tasks(args: argparse.Namespace, ctx: Context) -> int:
    namespace = None if args.all_namespaces else ctx.namespace
    instance = args.container_instance
    if instance and args.cluster:
        instance = cinst.instance_name(args.cluster, instance)
    wanted = ctasks.TaskFilter(args.cluster, args.family, args.started_by, instance, args.desired_status)
    items = [t for t in objects.list_objects(TASKS, namespace) if wanted.matches(t)]
    items.sort(key=lambda t: (t["metadata"]["namespace"], t["metadata"]["name"]))
    now = datetime.now(UTC)
    headers: tuple[str, ...] = ctasks.LIST_HEADERS
    rows = [ctasks.list_row(t, age(t["metadata"].get("creationTimestamp"), now)) for t in items]
    if args.all_namespaces:
        headers = ("namespace", *headers)
        rows = [[t["metadata"]["namespace"], *row] for t, row in zip(items, rows, strict=True)]
    arns = [f"{t['metadata']['namespace']}/{t['metadata']['name']}" for t in items]
    if not items and (ctx.output or "table") == "table":
        where = "any namespace" if args.all_namespaces else f"{ctx.namespace} namespace"
        print(f"No tasks found in {where}.", file=ctx.err)
        return 0
    ctx.emit("table", {"taskArns": arns}, headers, rows)
    return 0


def describe_tasks(args: argparse.Namespace, ctx: Context) -> int:
    found: list[Obj] = []
    failures: list[dict[str, Any]] = []
    for given in args.tasks:
        namespace, name = task_ref(given, ctx.namespace)
        try:
            task = objects.get(TASKS, name, namespace)
        except NotFound:
            failures.append({"arn": f"{namespace}/{name}", "reason": "MISSING"})
            continue
        if args.cluster and (task.get("spec") or {}).get("cluster") != args.cluster:
            failures.append({"arn": f"{namespace}/{name}", "reason": "MISSING"})
            continue
        found.append(task)
    now = datetime.now(UTC)
    rows = [ctasks.list_row(t, age(t["metadata"].get("creationTimestamp"), now)) for t in found]
    doc = {"tasks": [ctasks.task_view(t) for t in found], "failures": failures}
    ctx.emit("yaml", doc, ctasks.LIST_HEADERS, rows)
    return ctx.failures(failures)


# ---- placement -----------------------------------------------------------------------------------


def explain_placement(args: argparse.Namespace, ctx: Context) -> int:
    note = ""
    if args.task:
        namespace, name = task_ref(args.task, ctx.namespace)
        try:
            task = objects.get(TASKS, name, namespace)
        except NotFound as exc:
            raise EcsError(
                f"InvalidParameterException: The referenced task was not found: {namespace}/{name}."
            ) from exc
        spec: Mapping[str, Any] = task.get("spec") or {}
        status = task.get("status") or {}
        cluster = str(spec.get("cluster"))
        if args.cluster and args.cluster != cluster:
            raise EcsError(f"InvalidParameterException: task {namespace}/{name} is in cluster {cluster}.")
        reference = str(status.get("taskDefinition") or spec.get("taskDefinition"))
        label, uid, seed = f"{namespace}/{name}", str(task["metadata"]["uid"]), str(task["metadata"]["uid"])
        if status.get("containerInstance"):
            note = f"(already placed on {status['containerInstance']}; explained as if it were placed now)"
        if spec.get("containerInstance"):
            note = f"(StartTask: the caller chose {spec['containerInstance']}; strategies do not apply to it)"
    else:
        if not (args.cluster and args.task_definition):
            raise EcsError("explain-placement needs --task, or --cluster and --task-definition")
        namespace, cluster, reference = ctx.namespace, args.cluster, args.task_definition
        spec = {
            "cluster": cluster,
            "launchType": args.launch_type,
            "group": args.group,
            "placementStrategy": parse_structures(args.placement_strategy or [], "--placement-strategy"),
            "placementConstraints": parse_structures(
                args.placement_constraints or [], "--placement-constraints"
            ),
            "overrides": _json_object(args.overrides, "--overrides"),
        }
        label, uid, seed = f"{namespace}/(new task of {reference})", "", args.seed
    revision, family, snapshot = resolve_revision(namespace, reference)
    instances = objects.list_objects(INSTANCES, label_selector=f"{CLUSTER_LABEL}={cluster}")
    inp = cexplain.ExplainInput(cluster, family, revision, snapshot, label, uid, spec, seed)
    explanation = cexplain.explain_task(inp, instances)
    resolved = f"{family}:{revision}"
    if (ctx.output or "text") in ("json", "yaml"):
        print(
            document(cexplain.explanation_view(explanation, cluster, resolved), str(ctx.output)), file=ctx.out
        )
    else:
        print(cexplain.explanation_text(explanation, cluster, resolved, note), file=ctx.out)
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Context], int]] = {
    "put-attributes": put_attributes,
    "delete-attributes": delete_attributes,
    "update-container-instances-state": update_container_instances_state,
    "explain-placement": explain_placement,
    "run-task": run_task,
    "start-task": start_task,
    "stop-task": stop_task,
    "list-tasks": list_tasks,
    "describe-tasks": describe_tasks,
    "describe-services": cservices.describe_services,
    "update-service": cservices.update_service,
    "update-task-protection": cprotection.update_task_protection,
    "get-task-protection": cprotection.get_task_protection,
    "describe-capacity-providers": ccapacity.describe_capacity_providers,
    "put-cluster-capacity-providers": ccapacity.put_cluster_capacity_providers,
}
