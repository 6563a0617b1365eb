"""ECS operations on the custom resources, made through `kube/` as the caller.

Each operation takes the request's JSON object and a `Call` (the caller's namespace, the ARN
format) and returns the response object, or raises `ApiError`. The server runs them inside
`kube.client.impersonating(user)`, so every read and write here is the caller's, and Kubernetes
RBAC decides. Names follow ECS; where the objects live is api.md's mapping (a cluster is an
EcsCluster, a task an EcsTask in the caller's namespace, ...), the same as `kubectl ecs`'s, whose
functions this reuses (`cli.commands`, `cli.tasks`).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ecs_operator.api.meta import API_VERSION
from ecs_operator.api.taskdefinition import EcsTaskDefinitionSpec
from ecs_operator.cli import commands
from ecs_operator.cli import instances as cinst
from ecs_operator.cli import tasks as ctasks
from ecs_operator.ecsapi import instance_filter, taskdef_deletion, views
from ecs_operator.ecsapi.arns import Arns, instance_id, resource_id
from ecs_operator.ecsapi.errors import ApiError, from_ecs_error, invalid
from ecs_operator.kube import objects
from ecs_operator.kube.errors import AlreadyExists, Conflict, NotFound
from ecs_operator.kube.objects import CLUSTERS, INSTANCES, TASK_DEFINITIONS, TASKS, Obj
from ecs_operator.names import CLIENT_REQUEST_ANNOTATION, CLIENT_TOKEN_LABEL, CLUSTER_LABEL
from ecs_operator.reconcile.taskdefs import NOT_SNAPSHOTTED, ResolveError, latest_deleted, parse_ref

NODE_CLUSTER_LABEL = CLUSTER_LABEL
"""CreateCluster's nodes: those labelled with the cluster's name (what ECS_CLUSTER is to an agent)."""
TOKEN_LABEL = CLIENT_TOKEN_LABEL
REQUEST_ANNOTATION = CLIENT_REQUEST_ANNOTATION
TOKEN_REUSED = "The clientToken was already used with a different request."
UNDESCRIBABLE = "Unable to describe task definition."
MAX_CONFLICTS = 3
PLACEMENT_WAIT = 10.0
TASKDEF_KEYS = tuple(f.alias or name for name, f in EcsTaskDefinitionSpec.model_fields.items())


@dataclass(frozen=True)
class Call:
    namespace: str
    arns: Arns
    wait: float = PLACEMENT_WAIT


Operation = Callable[[Mapping[str, Any], Call], dict[str, Any]]


def cluster_name(params: Mapping[str, Any]) -> str:
    return resource_id(str(params.get("cluster") or "default"), "cluster")


def cluster_must_exist(name: str) -> Obj:
    try:
        return objects.get(CLUSTERS, name)
    except NotFound as exc:
        raise ApiError("ClusterNotFoundException", "Cluster not found.") from exc


def describe_in_cluster(
    params: Mapping[str, Any],
    field_name: str,
    most: int,
    empty: str,
    describe: Callable[[str, str], dict[str, Any] | None],
    missing_arn: Callable[[str, str], str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Describe* over ``params[field_name]`` (at most `most`, not empty) in the request's cluster:
    ``describe(cluster, given)`` is the view, or None for ECS's ``{arn, reason: MISSING}``."""
    cluster = cluster_name(params)
    given = views.string_list(params, field_name, most)
    if not given:
        raise invalid(empty)
    cluster_must_exist(cluster)
    found, failures = [], []
    for text in given:
        view = describe(cluster, text)
        if view is None:
            failures.append(views.failure(missing_arn(cluster, text), "MISSING"))
        else:
            found.append(view)
    return found, failures


# ---- clusters ------------------------------------------------------------------------------------


def create_cluster(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    """An EcsCluster whose EC2 container instances are the nodes labelled with its name; an
    existing cluster of that name is returned as it is (ECS's CreateCluster is idempotent)."""
    name = str(params.get("clusterName") or "default")
    spec: dict[str, Any] = {"nodeSelector": {"matchLabels": {NODE_CLUSTER_LABEL: name}}}
    for key in ("capacityProviders", "defaultCapacityProviderStrategy"):
        if params.get(key):
            spec[key] = params[key]
    kept = {k: params[k] for k in ("configuration", "serviceConnectDefaults") if params.get(k)}
    if params.get("settings"):
        kept["settings"] = views.check_cluster_settings(params["settings"])
    metadata: dict[str, Any] = {"name": name}
    if kept:
        metadata["annotations"] = {views.CLUSTER_SETTINGS: json.dumps(kept, sort_keys=True)}
    body = {"apiVersion": API_VERSION, "kind": "EcsCluster", "metadata": metadata, "spec": spec}
    try:
        obj = objects.create(CLUSTERS, body)
    except AlreadyExists:
        obj = objects.get(CLUSTERS, name)
    return {"cluster": views.cluster_view(obj, call.arns, views.cluster_settings(obj))}


def describe_clusters(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    names = views.string_list(params, "clusters", 100) or ["default"]
    include = set(views.string_list(params, "include", 5))
    wanted = {"settings"} if "SETTINGS" in include else set()
    wanted |= {"configuration", "serviceConnectDefaults"} if "CONFIGURATIONS" in include else set()
    found, failures = [], []
    for given in names:
        name = resource_id(given, "cluster")
        try:
            obj = objects.get(CLUSTERS, name)
        except NotFound:
            failures.append(views.failure(call.arns.cluster(name), "MISSING"))
            continue
        kept = {k: v for k, v in views.cluster_settings(obj).items() if k in wanted}
        found.append(views.cluster_view(obj, call.arns, kept))
    return {"clusters": found, "failures": failures}


def list_clusters(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    names = sorted(o["metadata"]["name"] for o in objects.list_objects(CLUSTERS))
    chunk, token = views.page(
        [call.arns.cluster(n) for n in names], params.get("nextToken"), params.get("maxResults")
    )
    return {"clusterArns": chunk, **({"nextToken": token} if token else {})}


def delete_cluster(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    name = resource_id(str(views.require(params, "cluster")), "cluster")
    obj = cluster_must_exist(name)
    if (obj.get("status") or {}).get("registeredContainerInstancesCount"):
        raise ApiError(
            "ClusterContainsContainerInstancesException",
            "The Cluster cannot be deleted while Container Instances are active or draining.",
        )
    objects.delete(CLUSTERS, name)
    view = views.cluster_view(obj, call.arns)
    view["status"] = "INACTIVE"
    return {"cluster": view}


# ---- task definitions ----------------------------------------------------------------------------


def _revisions(family_obj: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list((family_obj.get("status") or {}).get("revisions") or [])


def _describe_revision(namespace: str, text: str, arns: Arns) -> dict[str, Any]:
    revision, family, snapshot = commands.resolve_revision(namespace, text)
    entry = next(
        (
            r
            for r in _revisions(objects.get(TASK_DEFINITIONS, family, namespace))
            if r.get("revision") == revision
        ),
        {},
    )
    return views.task_definition_view(
        family, revision, snapshot, str(entry.get("status") or "ACTIVE"), entry.get("registeredAt"), arns
    )


def register_task_definition(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    """Create the family's EcsTaskDefinition or replace its spec; the operator registers the new
    revision, which this waits for (bounded). Fields the objects do not have are not kept."""
    family = str(views.require(params, "family"))
    views.require(params, "containerDefinitions")
    spec = {k: params[k] for k in TASKDEF_KEYS if k in params and k not in NOT_SNAPSHOTTED}
    try:
        current: Obj | None = objects.get(TASK_DEFINITIONS, family, call.namespace)
    except NotFound:
        current = None
    if current is None:
        body = {
            "apiVersion": API_VERSION,
            "kind": "EcsTaskDefinition",
            "metadata": {"name": family, "namespace": call.namespace},
            "spec": spec,
        }
        before = 0
        objects.create(TASK_DEFINITIONS, body, call.namespace)
    else:
        before = int((current.get("status") or {}).get("revision") or 0)
        old = current.get("spec") or {}
        patch = {k: None for k in old if k not in spec and k not in NOT_SNAPSHOTTED} | spec
        written = objects.patch(TASK_DEFINITIONS, family, {"spec": patch}, call.namespace)
        _register_again(current, written, call.namespace)
    deadline = time.monotonic() + call.wait
    while True:
        latest = objects.get(TASK_DEFINITIONS, family, call.namespace)
        revision = int((latest.get("status") or {}).get("revision") or 0)
        unchanged = current is not None and (current.get("spec") or {}) == (latest.get("spec") or {})
        if revision > before or (unchanged and revision) or time.monotonic() >= deadline:
            break
        time.sleep(0.3)
    if not revision:
        raise ApiError("ServerException", f"The task definition {family} was not registered in time.")
    return {"taskDefinition": _describe_revision(call.namespace, f"{family}:{revision}", call.arns)}


def _register_again(current: Obj, written: Obj, namespace: str) -> None:
    """The spec did not change but the family's latest revision was deleted: raise
    ``spec.reregistrations`` so the operator registers a new revision (ECS registers one on every
    call; answering with a deleted revision would hand out one that cannot be used)."""
    spec = written.get("spec") or {}
    revisions = (written.get("status") or {}).get("revisions") or []
    if (current.get("spec") or {}) != spec or not latest_deleted(
        revisions, spec.get("deletedRevisions") or []
    ):
        return
    again = {"spec": {"reregistrations": int(spec.get("reregistrations") or 0) + 1}}
    objects.patch(TASK_DEFINITIONS, written["metadata"]["name"], again, namespace)


def describe_task_definition(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    """A revision in any status, DELETE_IN_PROGRESS included (ECS); a purged or unknown one, or a
    family without an ACTIVE revision, is ECS's ClientException "Unable to describe task definition."."""
    text = resource_id(str(views.require(params, "taskDefinition")), "task-definition")
    try:
        return {"taskDefinition": _describe_revision(call.namespace, text, call.arns)}
    except (cinst.EcsError, NotFound) as exc:
        raise ApiError("ClientException", UNDESCRIBABLE) from exc


def list_task_definitions(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    wanted = str(params.get("status") or "ACTIVE")
    prefix = params.get("familyPrefix") or ""
    arns = [
        (o["metadata"]["name"], int(r["revision"]))
        for o in objects.list_objects(TASK_DEFINITIONS, call.namespace)
        if o["metadata"]["name"].startswith(prefix)
        for r in _revisions(o)
        if r.get("status") == wanted
    ]
    arns.sort(reverse=params.get("sort") == "DESC")
    chunk, token = views.page(
        [call.arns.task_definition(f, r) for f, r in arns], params.get("nextToken"), params.get("maxResults")
    )
    return {"taskDefinitionArns": chunk, **({"nextToken": token} if token else {})}


def list_task_definition_families(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    prefix = params.get("familyPrefix") or ""
    families = sorted(
        o["metadata"]["name"]
        for o in objects.list_objects(TASK_DEFINITIONS, call.namespace)
        if o["metadata"]["name"].startswith(prefix)
    )
    chunk, token = views.page(families, params.get("nextToken"), params.get("maxResults"))
    return {"families": chunk, **({"nextToken": token} if token else {})}


def deregister_task_definition(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    text = resource_id(str(views.require(params, "taskDefinition")), "task-definition")
    try:
        ref = parse_ref(text)
    except ResolveError as exc:
        raise invalid(exc.detail) from exc
    if ref.revision is None:
        raise invalid("A revision is required to deregister a task definition (family:revision).")
    revision, family, snapshot = commands.resolve_revision(call.namespace, text)
    obj = objects.get(TASK_DEFINITIONS, family, call.namespace)
    gone = sorted({*((obj.get("spec") or {}).get("deregisteredRevisions") or []), revision})
    objects.patch(
        TASK_DEFINITIONS,
        family,
        {
            "metadata": {"resourceVersion": obj["metadata"]["resourceVersion"]},
            "spec": {"deregisteredRevisions": gone},
        },
        call.namespace,
    )
    view = views.task_definition_view(family, revision, snapshot, "INACTIVE", None, call.arns)
    return {"taskDefinition": view}


def delete_task_definitions(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    """`taskdef_deletion` decides; each family with accepted revisions gets them added to its
    ``spec.deletedRevisions`` (compare-and-swap, retried on a conflict). The operator marks them
    DELETE_IN_PROGRESS and purges each once nothing uses it (`reconcile.taskdefs`)."""
    families: dict[str, Obj | None] = {}

    def revisions_of(family: str) -> list[dict[str, Any]] | None:
        if family not in families:
            try:
                families[family] = objects.get(TASK_DEFINITIONS, family, call.namespace)
            except NotFound:
                families[family] = None
        obj = families[family]
        return None if obj is None else _revisions(obj)

    decided = taskdef_deletion.plan(taskdef_deletion.references(params), revisions_of)
    deleted = []
    for family, revision in decided.accepted:
        try:
            view = _describe_revision(call.namespace, f"{family}:{revision}", call.arns)
        except cinst.EcsError:  # purged between the read and now
            decided.failures.append(
                taskdef_deletion.Failure(family, taskdef_deletion.NOT_FOUND, family, revision)
            )
            continue
        deleted.append(view | {"status": "DELETE_IN_PROGRESS"})
    for family, numbers in decided.by_family().items():
        _add_deleted(family, numbers, families[family], call.namespace)
    failures = [
        views.failure(
            call.arns.task_definition(f.family, f.revision) if f.family and f.revision else f.given, f.reason
        )
        for f in decided.failures
    ]
    return {"taskDefinitions": deleted, "failures": failures}


def _add_deleted(family: str, numbers: list[int], obj: Obj | None, namespace: str) -> None:
    for _ in range(MAX_CONFLICTS):
        if obj is None:
            obj = objects.get(TASK_DEFINITIONS, family, namespace)
        gone = sorted({*((obj.get("spec") or {}).get("deletedRevisions") or []), *numbers})
        patch = {
            "metadata": {"resourceVersion": obj["metadata"]["resourceVersion"]},
            "spec": {"deletedRevisions": gone},
        }
        try:
            objects.patch(TASK_DEFINITIONS, family, patch, namespace)
            return
        except Conflict:
            obj = None
    raise ApiError("ServerException", f"The task definition family {family} kept changing; try again.", 500)


# ---- tasks -----------------------------------------------------------------------------------------


def _run_input(params: Mapping[str, Any], cluster: str, targets: tuple[str, ...] = ()) -> ctasks.RunTaskInput:
    strategies, constraints = views.placement(params)
    return ctasks.RunTaskInput(
        cluster=cluster,
        task_definition=resource_id(str(views.require(params, "taskDefinition")), "task-definition"),
        count=int(params.get("count") or 1),
        group=params.get("group"),
        started_by=params.get("startedBy"),
        launch_type=str(params.get("launchType") or "EC2"),
        placement_strategy=strategies,
        placement_constraints=constraints,
        overrides=params.get("overrides") or None,
        container_instances=targets,
    )


def _launch(request: ctasks.RunTaskInput, params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    bodies = ctasks.task_bodies(request, call.namespace)  # validates count and instances first
    token = params.get("clientToken")
    if token is not None and not (isinstance(token, str) and 1 <= len(token) <= 64):
        raise invalid("clientToken must be 1-64 characters.")
    token_label = hashlib.sha256(str(token).encode()).hexdigest()[:63] if token else None
    digest = request_digest(params)
    if token_label:
        earlier = objects.list_objects(TASKS, call.namespace, label_selector=f"{TOKEN_LABEL}={token_label}")
        if earlier:  # the same RunTask again: answer with the tasks it started, start nothing new
            held = (earlier[0]["metadata"].get("annotations") or {}).get(REQUEST_ANNOTATION)
            if held is not None and held != digest:
                raise invalid(TOKEN_REUSED)
            return _placement_answer(earlier, call)
    cluster_must_exist(request.cluster)
    commands.resolve_revision(call.namespace, request.task_definition)
    for body in bodies:
        if not request.container_instances:  # RunTask: neither → the cluster's default strategy
            _capacity(body["spec"], params)
        if token_label:
            body["metadata"]["labels"] = {TOKEN_LABEL: token_label}
            body["metadata"]["annotations"] = {REQUEST_ANNOTATION: digest}
    created = [objects.create(TASKS, body, call.namespace) for body in bodies]
    if call.wait > 0:
        created = commands.await_placement(created, call.namespace, call.wait)
    return _placement_answer(created, call)


def _capacity(spec: dict[str, Any], params: Mapping[str, Any]) -> None:
    """RunTask's launchType or capacityProviderStrategy, as given: with neither, the task takes its
    cluster's defaultCapacityProviderStrategy, and EC2 without one (ECS's rule, the operator's too)."""
    if not params.get("launchType"):
        spec.pop("launchType", None)
    if params.get("capacityProviderStrategy"):
        spec["capacityProviderStrategy"] = [
            {
                "capacityProvider": i.get("capacityProvider"),
                "base": i.get("base", 0),
                "weight": i.get("weight", 0),
            }
            for i in params["capacityProviderStrategy"]
        ]


def request_digest(params: Mapping[str, Any]) -> str:
    """What makes two RunTask requests the same one: every field but the token, canonically."""
    rest = {k: v for k, v in params.items() if k != "clientToken"}
    return hashlib.sha256(json.dumps(rest, sort_keys=True).encode()).hexdigest()


def _placement_answer(tasks: list[Obj], call: Call) -> dict[str, Any]:
    failures = views.run_task_failures(tasks, call.arns)
    failed = {f["arn"] for f in failures}
    placed = [views.task_view(t, call.arns) for t in tasks]
    return {"tasks": [v for v in placed if v["taskArn"] not in failed], "failures": failures}


def run_task(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    return _launch(_run_input(params, cluster_name(params)), params, call)


def start_task(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    cluster = cluster_name(params)
    given = views.string_list(params, "containerInstances", 10)
    if not given:
        raise invalid("containerInstances can not be empty.")
    targets = tuple(cinst.instance_name(cluster, resource_id(g, "container-instance")) for g in given)
    return _launch(_run_input(params, cluster, targets), params, call)


def task_in_cluster(cluster: str, given: str, namespace: str) -> Obj | None:
    try:
        task = objects.get(TASKS, resource_id(given, "task"), namespace)
    except NotFound:
        return None
    return task if (task.get("spec") or {}).get("cluster") == cluster else None


def describe_tasks(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    def describe(cluster: str, text: str) -> dict[str, Any] | None:
        task = task_in_cluster(cluster, text, call.namespace)
        return None if task is None else views.task_view(task, call.arns)

    found, failures = describe_in_cluster(
        params,
        "tasks",
        100,
        "Tasks cannot be empty.",
        describe,
        lambda cluster, text: call.arns.task(cluster, resource_id(text, "task")),
    )
    return {"tasks": found, "failures": failures}


def list_tasks(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    cluster = cluster_name(params)
    cluster_must_exist(cluster)
    instance = params.get("containerInstance")
    wanted = ctasks.TaskFilter(
        cluster=cluster,
        family=params.get("family"),
        started_by=params.get("startedBy"),
        container_instance=cinst.instance_name(cluster, resource_id(instance, "container-instance"))
        if instance
        else None,
        desired_status=str(params.get("desiredStatus") or "RUNNING"),
    )
    service = params.get("serviceName")
    items = [
        t
        for t in objects.list_objects(TASKS, call.namespace)
        if wanted.matches(t) and (not service or (t.get("spec") or {}).get("group") == f"service:{service}")
    ]
    names = sorted(t["metadata"]["name"] for t in items)
    chunk, token = views.page(
        [call.arns.task(cluster, n) for n in names], params.get("nextToken"), params.get("maxResults")
    )
    return {"taskArns": chunk, **({"nextToken": token} if token else {})}


def stop_task(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    cluster = cluster_name(params)
    given = str(views.require(params, "task"))
    task = task_in_cluster(cluster, given, call.namespace)
    if task is None:
        raise invalid("The referenced task was not found.")
    patch = ctasks.stop_patch(params.get("reason"))
    patch["metadata"] = {"resourceVersion": task["metadata"]["resourceVersion"]}
    updated = objects.patch(TASKS, task["metadata"]["name"], patch, call.namespace)
    return {"task": views.task_view(updated, call.arns)}


# ---- container instances ---------------------------------------------------------------------------


def list_cluster_instances(cluster: str) -> list[Obj]:
    return objects.list_objects(INSTANCES, label_selector=f"{NODE_CLUSTER_LABEL}={cluster}")


def instance_view(obj: Mapping[str, Any], cluster: str, arns: Arns) -> dict[str, Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}

    def resources(which: str) -> list[dict[str, Any]]:
        res = status.get(which) or {}
        return [
            {"name": "CPU", "type": "INTEGER", "integerValue": int(res.get("cpu") or 0)},
            {"name": "MEMORY", "type": "INTEGER", "integerValue": int(res.get("memory") or 0)},
            {
                "name": "PORTS",
                "type": "STRINGSET",
                "stringSetValue": [str(p) for p in res.get("ports") or []],
            },
            {
                "name": "PORTS_UDP",
                "type": "STRINGSET",
                "stringSetValue": [str(p) for p in res.get("portsUdp") or []],
            },
        ]

    return {
        "containerInstanceArn": arns.container_instance(
            cluster, instance_id(cluster, obj["metadata"]["name"])
        ),
        "ec2InstanceId": status.get("ec2InstanceId") or spec.get("nodeName"),
        "status": instance_filter.instance_status(obj),
        "agentConnected": bool(status.get("agentConnected")),
        "runningTasksCount": int(status.get("runningTasksCount") or 0),
        "pendingTasksCount": int(status.get("pendingTasksCount") or 0),
        "attributes": list(status.get("attributes") or []),
        "registeredResources": resources("registeredResources"),
        "remainingResources": resources("remainingResources"),
        **({"registeredAt": views.epoch(status["registeredAt"])} if status.get("registeredAt") else {}),
    }


def list_container_instances(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    """`status` and `filter` (the cluster query language) as ECS applies them: `instance_filter`."""
    cluster = cluster_name(params)
    status = instance_filter.check_status(params.get("status"))
    expression = instance_filter.parse_filter(params.get("filter"))  # parsed once, before any read
    cluster_must_exist(cluster)
    names = instance_filter.listed(list_cluster_instances(cluster), status, expression)
    arns = [call.arns.container_instance(cluster, instance_id(cluster, n)) for n in names]
    chunk, token = views.page(arns, params.get("nextToken"), params.get("maxResults"))
    return {"containerInstanceArns": chunk, **({"nextToken": token} if token else {})}


def describe_container_instances(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    def describe(cluster: str, text: str) -> dict[str, Any] | None:
        try:
            obj = objects.get(
                INSTANCES, cinst.instance_name(cluster, resource_id(text, "container-instance"))
            )
        except NotFound:
            return None
        if (obj.get("spec") or {}).get("cluster") != cluster:
            return None
        return instance_view(obj, cluster, call.arns)

    def missing(cluster: str, text: str) -> str:
        name = cinst.instance_name(cluster, resource_id(text, "container-instance"))
        return call.arns.container_instance(cluster, instance_id(cluster, name))

    found, failures = describe_in_cluster(
        params, "containerInstances", 100, "containerInstances can not be empty.", describe, missing
    )
    return {"containerInstances": found, "failures": failures}


OPERATIONS: dict[str, Operation] = {
    "CreateCluster": create_cluster,
    "DescribeClusters": describe_clusters,
    "ListClusters": list_clusters,
    "DeleteCluster": delete_cluster,
    "RegisterTaskDefinition": register_task_definition,
    "DescribeTaskDefinition": describe_task_definition,
    "ListTaskDefinitions": list_task_definitions,
    "ListTaskDefinitionFamilies": list_task_definition_families,
    "DeregisterTaskDefinition": deregister_task_definition,
    "DeleteTaskDefinitions": delete_task_definitions,
    "RunTask": run_task,
    "StartTask": start_task,
    "StopTask": stop_task,
    "DescribeTasks": describe_tasks,
    "ListTasks": list_tasks,
    "ListContainerInstances": list_container_instances,
    "DescribeContainerInstances": describe_container_instances,
}


def wrap_ecs_errors(op: Operation) -> Operation:
    """`kubectl ecs`'s refusals (`EcsError`, "<Exception>: <message>") as ECS errors."""

    def run(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
        try:
            return op(params, call)
        except cinst.EcsError as exc:
            raise from_ecs_error(str(exc)) from exc

    return run
