"""The one builder of an EcsTask manifest: RunTask and StartTask (CLI, ECS API), a service's
starts and a scheduled task's launches all create their tasks through :func:`task_manifest`.

Why: the three callers used to write their own dicts, and a field added to one (a capacity
provider strategy, overrides) was easily forgotten in another. Each caller now says only what is
its own: the task's parameters (:class:`TaskParams`, ECS's RunTask request) and who owns and names
it (:class:`TaskMeta`). Absent parameters stay absent on the wire (ECS: the task's defaults are
decided when it is placed: no launch type and no strategy is the cluster's default strategy, else
EC2).

| caller               | name                                  | owner          | labels / annotations          |
|----------------------|---------------------------------------|----------------|-------------------------------|
| RunTask / StartTask  | generateName ``<family>-``            | none           | none                          |
| service (REPLICA,    | ``reconcile.service.naming.task_name``| the EcsService | service label; deregistration |
| DAEMON)              | (deterministic: a retry meets         |                | delay with load balancers     |
|                      | AlreadyExists)                        |                |                               |
| scheduled task       | ``reconcile.scheduled.task_name``     | the schedule   | schedule, occurrence, attempt |
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ecs_operator.api.meta import API_VERSION, owner_reference
from ecs_operator.lifecycle.deregistration import DELAY_ANNOTATION, delay_of
from ecs_operator.reconcile.load_balancers import SERVICE_LABEL
from ecs_operator.reconcile.service.records import TaskStart

__all__ = ["SERVICE_LABEL", "TaskMeta", "TaskParams", "service_task_manifest", "task_manifest"]


@dataclass(frozen=True)
class TaskParams:
    """What RunTask takes, as the EcsTask's spec (camelCase on the wire; empty fields omitted)."""

    cluster: str
    task_definition: str
    group: str | None = None
    started_by: str | None = None
    launch_type: str | None = None
    capacity_provider_strategy: Sequence[Mapping[str, Any]] = ()
    placement_strategy: Sequence[Mapping[str, Any]] = ()
    placement_constraints: Sequence[Mapping[str, Any]] = ()
    overrides: Mapping[str, Any] | None = None
    container_instance: str | None = None

    def spec(self) -> dict[str, Any]:
        optional: dict[str, Any] = {
            "group": self.group,
            "startedBy": self.started_by,
            "launchType": self.launch_type,
            "capacityProviderStrategy": [dict(s) for s in self.capacity_provider_strategy] or None,
            "placementStrategy": [dict(s) for s in self.placement_strategy] or None,
            "placementConstraints": [dict(c) for c in self.placement_constraints] or None,
            "overrides": dict(self.overrides) if self.overrides else None,
            "containerInstance": self.container_instance,
        }
        spec: dict[str, Any] = {"cluster": self.cluster, "taskDefinition": self.task_definition}
        spec.update({k: v for k, v in optional.items() if v is not None})
        return spec


@dataclass(frozen=True)
class TaskMeta:
    """Who names and owns the task: ``name`` (deterministic) or ``generate_name`` (the API server
    adds a random suffix, like ECS's task ids); ``owner``: an ownerReference (garbage collection)."""

    namespace: str
    name: str | None = None
    generate_name: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    owner: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if (self.name is None) == (self.generate_name is None):
            raise ValueError("a task has either a name or a generateName")

    def metadata(self) -> dict[str, Any]:
        meta: dict[str, Any] = (
            {"name": self.name} if self.name is not None else {"generateName": self.generate_name}
        )
        meta["namespace"] = self.namespace
        if self.labels:
            meta["labels"] = dict(self.labels)
        if self.annotations:
            meta["annotations"] = dict(self.annotations)
        if self.owner is not None:
            meta["ownerReferences"] = [dict(self.owner)]
        return meta


def task_manifest(params: TaskParams, meta: TaskMeta) -> dict[str, Any]:
    """The EcsTask to create."""
    return {"apiVersion": API_VERSION, "kind": "EcsTask", "metadata": meta.metadata(), "spec": params.spec()}


def service_task_manifest(
    service: Mapping[str, Any], start: TaskStart, provider: str | None
) -> dict[str, Any]:
    """A task a service starts (`reconcile.service` decided ``start``; ``provider``: the capacity
    provider the service's split gave it, the one provider its strategy then names).

    Without a provider the task takes the service's launch type (EC2 by default). A DAEMON task
    names its instance (StartTask) and then carries no strategy or constraint; a REPLICA task
    carries the service's, so its own placement follows them. With load balancers, the task
    carries the deregistration delay it waits before its pod stops (`lifecycle.deregistration`).
    """
    meta, spec = service["metadata"], service["spec"]
    placed_by_service = bool(start.instance)
    params = TaskParams(
        cluster=str(spec["cluster"]),
        task_definition=start.task_definition,
        group=start.group,
        started_by=start.deployment_id,
        launch_type=None if provider is not None else str(spec.get("launchType") or "EC2"),
        capacity_provider_strategy=(
            [{"capacityProvider": provider, "base": 0, "weight": 1}] if provider is not None else ()
        ),
        placement_strategy=() if placed_by_service else spec.get("placementStrategy") or (),
        placement_constraints=() if placed_by_service else spec.get("placementConstraints") or (),
        container_instance=start.instance or None,
    )
    annotations = (
        {DELAY_ANNOTATION: str(delay_of(spec["loadBalancers"]))} if spec.get("loadBalancers") else {}
    )
    return task_manifest(
        params,
        TaskMeta(
            namespace=str(meta["namespace"]),
            name=start.name,
            labels={SERVICE_LABEL: str(meta["name"])},
            annotations=annotations,
            owner=owner_reference("EcsService", meta["name"], meta["uid"]),
        ),
    )
