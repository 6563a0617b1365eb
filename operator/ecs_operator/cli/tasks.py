"""RunTask, StartTask, StopTask, ListTasks and DescribeTasks on EcsTask objects (pure).

One EcsTask is one task (api.md): RunTask with ``--count N`` creates N objects, each named
``<family>-<random suffix>`` by the API server (generateName), like ECS's task ids. The views here
read what the operator writes in ``status`` and present it with ECS's field names.

RunTask's answer (ecs-semantics §4, "Response"): placed tasks come back in ``tasks[]`` with their
container instance, what could not be placed in ``failures[]`` as ``{arn, reason, detail}``. ECS
places inside the call; here the operator places after the objects exist, so the command waits a
few seconds (bounded) until each task's placement is known (:func:`placement_known`) and then
answers from the tasks' status (:func:`run_task_response`). A task the operator could not place
ends STOPPED with ``failures[]`` (TaskFailedToStart); its failures, each with the task's arn when
the operator named no resource, become the response's ``failures[]``. A task still unplaced when
the wait ends is listed in ``tasks[]`` as it is (PROVISIONING, no instance yet).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ecs_operator.cli.instances import EcsError
from ecs_operator.reconcile.taskbody import TaskMeta, TaskParams, task_manifest
from ecs_operator.reconcile.taskdefs import parse_ref

MAX_COUNT = 10


@dataclass(frozen=True)
class RunTaskInput:
    """The parameters of RunTask (and StartTask, with ``container_instances``)."""

    cluster: str
    task_definition: str
    count: int = 1
    group: str | None = None
    started_by: str | None = None
    launch_type: str = "EC2"
    placement_strategy: Sequence[Mapping[str, Any]] = ()
    placement_constraints: Sequence[Mapping[str, Any]] = ()
    overrides: Mapping[str, Any] | None = None
    container_instances: Sequence[str] = field(default_factory=tuple)


def family_of(task_definition: str) -> str:
    return parse_ref(task_definition).family


def task_bodies(request: RunTaskInput, namespace: str) -> list[dict[str, Any]]:
    """The EcsTask objects to create: ``count`` of them, or one per container instance (StartTask)."""
    if request.container_instances:
        if len(request.container_instances) > MAX_COUNT:
            raise EcsError(
                f"InvalidParameterException: at most {MAX_COUNT} container instances per StartTask."
            )
        targets: list[str | None] = list(request.container_instances)
    else:
        if not 1 <= request.count <= MAX_COUNT:
            raise EcsError(f"InvalidParameterException: count must be between 1 and {MAX_COUNT}.")
        targets = [None] * request.count
    family = family_of(request.task_definition)
    return [
        task_manifest(
            TaskParams(
                cluster=request.cluster,
                task_definition=request.task_definition,
                group=request.group,
                started_by=request.started_by,
                launch_type=request.launch_type,
                placement_strategy=request.placement_strategy,
                placement_constraints=request.placement_constraints,
                overrides=request.overrides,
                container_instance=target,
            ),
            TaskMeta(namespace=namespace, generate_name=f"{family}-"),
        )
        for target in targets
    ]


def stop_patch(reason: str | None) -> dict[str, Any]:
    """StopTask: desiredStatus STOPPED, and the reason the operator copies to stoppedReason."""
    spec: dict[str, Any] = {"desiredStatus": "STOPPED"}
    if reason:
        spec["stopReason"] = reason
    return {"spec": spec}


def desired_status(task: Mapping[str, Any]) -> str:
    spec_desired = str((task.get("spec") or {}).get("desiredStatus") or "RUNNING")
    status_desired = (task.get("status") or {}).get("desiredStatus")
    return "STOPPED" if "STOPPED" in (spec_desired, status_desired) else "RUNNING"


@dataclass(frozen=True)
class TaskFilter:
    """ListTasks filters; ECS lists RUNNING (desired) tasks unless asked otherwise."""

    cluster: str | None = None
    family: str | None = None
    started_by: str | None = None
    container_instance: str | None = None
    desired_status: str = "RUNNING"

    def matches(self, task: Mapping[str, Any]) -> bool:
        spec, status = task.get("spec") or {}, task.get("status") or {}
        checks = (
            self.cluster is None or spec.get("cluster") == self.cluster,
            self.family is None or family_of(str(spec.get("taskDefinition", ""))) == self.family,
            self.started_by is None or spec.get("startedBy") == self.started_by,
            self.container_instance is None
            or self.container_instance in (status.get("containerInstance"), spec.get("containerInstance")),
            desired_status(task) == self.desired_status,
        )
        return all(checks)


LIST_HEADERS = ("name", "task definition", "last status", "desired", "instance", "az", "started by", "age")


def list_row(task: Mapping[str, Any], age: str) -> list[Any]:
    spec, status = task.get("spec") or {}, task.get("status") or {}
    return [
        task["metadata"]["name"],
        status.get("taskDefinition") or spec.get("taskDefinition"),
        status.get("lastStatus") or "PROVISIONING",
        desired_status(task),
        status.get("containerInstance"),
        status.get("availabilityZone"),
        spec.get("startedBy"),
        age,
    ]


def task_view(task: Mapping[str, Any]) -> dict[str, Any]:
    """DescribeTasks' ``tasks[]`` entry: ECS's field names, from the object's spec and status."""
    meta, spec, status = task["metadata"], task.get("spec") or {}, task.get("status") or {}
    view = {
        "taskArn": f"{meta['namespace']}/{meta['name']}",
        "clusterArn": spec.get("cluster"),
        "taskDefinitionArn": status.get("taskDefinition") or spec.get("taskDefinition"),
        "containerInstanceArn": status.get("containerInstance") or spec.get("containerInstance"),
        "lastStatus": status.get("lastStatus") or "PROVISIONING",
        "desiredStatus": desired_status(task),
        "launchType": spec.get("launchType")
        or ("FARGATE" if status.get("capacityProviderName") in ("FARGATE", "FARGATE_SPOT") else "EC2"),
        "capacityProviderName": status.get("capacityProviderName"),
        "group": status.get("group") or spec.get("group"),
        "startedBy": spec.get("startedBy"),
        "availabilityZone": status.get("availabilityZone"),
        "cpu": None if status.get("cpu") is None else str(status["cpu"]),
        "memory": None if status.get("memory") is None else str(status["memory"]),
        "healthStatus": status.get("healthStatus"),
        "createdAt": status.get("createdAt") or meta.get("creationTimestamp"),
        "startedAt": status.get("startedAt"),
        "stoppingAt": status.get("stoppingAt"),
        "stoppedAt": status.get("stoppedAt"),
        "stopCode": status.get("stopCode"),
        "stoppedReason": status.get("stoppedReason"),
        "containers": status.get("containers") or None,
        "overrides": spec.get("overrides"),
        "failures": status.get("failures") or None,
        "podName": status.get("podName"),
    }
    return {k: v for k, v in view.items() if v is not None}


def placement_known(task: Mapping[str, Any]) -> bool:
    """The operator has decided where the task runs (``status.containerInstance``), or that it
    cannot run: it is STOPPED (an unplaceable task ends at once, with ``failures[]``)."""
    status = task.get("status") or {}
    return bool(status.get("containerInstance")) or status.get("lastStatus") == "STOPPED"


def _task_arn(task: Mapping[str, Any]) -> str:
    return f"{task['metadata']['namespace']}/{task['metadata']['name']}"


def task_failures(task: Mapping[str, Any]) -> list[dict[str, Any]]:
    """RunTask's ``failures[]`` entries for a task that stopped without being placed (none for a
    placed task): the operator's failures, or its stop code and reason when it recorded none."""
    status = task.get("status") or {}
    if status.get("containerInstance") or status.get("lastStatus") != "STOPPED":
        return []
    arn = _task_arn(task)
    recorded = status.get("failures") or []
    if not recorded:
        fallback = {"arn": arn, "reason": status.get("stopCode") or "STOPPED"}
        return [fallback | ({"detail": status["stoppedReason"]} if status.get("stoppedReason") else {})]
    out = []
    for failure in recorded:
        entry = {"arn": failure.get("arn") or arn, "reason": failure.get("reason")}
        if failure.get("detail"):
            entry["detail"] = failure["detail"]
        out.append(entry)
    return out


RUN_HEADERS = ("name", "task definition", "cluster", "instance", "az", "last status")


@dataclass(frozen=True)
class RunTaskResponse:
    """RunTask's answer: ``tasks[]`` (DescribeTasks views) with their table rows, ``failures[]``."""

    tasks: list[dict[str, Any]]
    rows: list[list[Any]]
    failures: list[dict[str, Any]]

    def document(self) -> dict[str, Any]:
        return {"tasks": self.tasks, "failures": self.failures}


def run_task_response(tasks: Sequence[Mapping[str, Any]]) -> RunTaskResponse:
    """The response of RunTask/StartTask from the tasks as last read, in the order created."""
    views, rows, failures = [], [], []
    for task in tasks:
        failed = task_failures(task)
        if failed:
            failures += failed
            continue
        view = task_view(task)
        views.append(view)
        rows.append(
            [
                task["metadata"]["name"],
                view.get("taskDefinitionArn"),
                view.get("clusterArn"),
                (task.get("status") or {}).get("containerInstance"),
                view.get("availabilityZone"),
                view.get("lastStatus"),
            ]
        )
    return RunTaskResponse(views, rows, failures)
