"""EcsContainerInstance: one node of a cluster, its attributes, resources and the claim ledger.

Why it matters: these objects are the shared state of every scheduler (architecture §2). A claim
is committed by writing this object's status with the resourceVersion it was computed from, so the
ledger's shape here is the contract between the operator, its replicas and custom schedulers.
People may edit only `spec.status` (UpdateContainerInstancesState) and `spec.attributes`
(PutAttributes/DeleteAttributes); the operator owns the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field

from ecs_operator.api.cel import immutable, rule, validations
from ecs_operator.api.common import MAX_CUSTOM_ATTRIBUTES, Attribute, K8sName, LaunchType
from ecs_operator.api.conditions import Condition, conditions_field
from ecs_operator.api.meta import AGE, KindInfo, PrinterColumn, Resource, SpecModel, StatusModel

Port = Annotated[int, Field(ge=1, le=65535)]


class ContainerInstanceStatus(StrEnum):
    ACTIVE = "ACTIVE"
    DRAINING = "DRAINING"
    INACTIVE = "INACTIVE"


class EcsContainerInstanceSpec(SpecModel):
    """The desired state of a container instance; created by the operator for each node."""

    cluster: K8sName = Field(
        description="The EcsCluster this instance belongs to. Immutable.",
        json_schema_extra=validations(immutable("cluster")),
    )
    node_name: K8sName = Field(
        description="The node that is this container instance. Immutable.",
        json_schema_extra=validations(immutable("nodeName")),
    )
    status: Literal[ContainerInstanceStatus.ACTIVE, ContainerInstanceStatus.DRAINING] = Field(
        default=ContainerInstanceStatus.ACTIVE,
        description="Desired state (UpdateContainerInstancesState): ACTIVE accepts tasks; DRAINING accepts "
        "no new tasks and moves service tasks elsewhere. A cordoned node drains too. Default ACTIVE.",
    )
    attributes: list[Attribute] = Field(
        default_factory=list,
        max_length=MAX_CUSTOM_ATTRIBUTES,
        description="Custom attributes (PutAttributes), at most 10, matched by memberOf expressions as "
        "attribute:<name>. Names starting with ecs. are reserved for the built-in attributes.",
        json_schema_extra={
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            **validations(
                rule(
                    "self.all(a, !a.name.startsWith('ecs.'))",
                    "Attribute names starting with ecs. are reserved for built-in attributes.",
                )
            ),
        },
    )


class InstanceResources(StatusModel):
    """Resources of an instance in ECS units."""

    cpu: int = Field(default=0, description="CPU units (1024 = one vCPU).")
    memory: int = Field(default=0, description="Memory in MiB.")
    ports: list[Port] = Field(default_factory=list, description="TCP host ports (reserved or taken).")
    ports_udp: list[Port] = Field(default_factory=list, description="UDP host ports (reserved or taken).")


class Claim(StatusModel):
    """One task's reservation on this instance: the unit of the optimistic-concurrency ledger."""

    task_uid: str = Field(
        max_length=64, description="metadata.uid of the EcsTask; at most one claim per task."
    )
    task: str = Field(max_length=317, description="<namespace>/<name> of the EcsTask.")
    group: str = Field(max_length=255, description="The task group, e.g. service:web or family:web.")
    cpu: int = Field(ge=0, description="CPU units reserved.")
    memory: int = Field(ge=0, description="MiB reserved.")
    ports: list[Port] = Field(default_factory=list, description="Static TCP host ports reserved.")
    ports_udp: list[Port] = Field(default_factory=list, description="Static UDP host ports reserved.")
    claimed_at: datetime | None = Field(default=None, description="When the claim was committed.")


class EcsContainerInstanceStatus(StatusModel):
    """What the operator observed about the instance, and the ledger of claims."""

    status: ContainerInstanceStatus | None = Field(default=None, description="ACTIVE, DRAINING or INACTIVE.")
    launch_type: LaunchType | None = Field(
        default=None,
        description="EC2: a node of the cluster's nodeSelector, for EC2 tasks. FARGATE: a node of "
        "fargate.nodeSelector, for FARGATE tasks only (each one an isolated pod). Absent: EC2.",
    )
    agent_connected: bool | None = Field(default=None, description="Whether the node is Ready.")
    ec2_instance_id: str | None = Field(default=None, description="The node name (or its providerID).")
    registered_at: datetime | None = Field(default=None, description="When the instance was registered.")
    attributes: list[Attribute] = Field(
        default_factory=list, description="Built-in attributes (from node labels) and custom ones."
    )
    registered_resources: InstanceResources | None = Field(
        default=None,
        description="Node allocatable (cores x 1024, MiB) minus requests of pods the operator does not "
        "manage, and the reserved host ports.",
    )
    remaining_resources: InstanceResources | None = Field(
        default=None, description="Registered resources minus all claims; ports lists those taken."
    )
    running_tasks_count: int | None = Field(
        default=None, ge=0, description="Tasks here whose desiredStatus is RUNNING."
    )
    pending_tasks_count: int | None = Field(default=None, ge=0, description="Tasks here in PENDING.")
    claims: list[Claim] = Field(
        default_factory=list,
        description="The ledger: one claim per task placed here; written only with the resourceVersion read.",
    )
    conditions: list[Condition] = conditions_field()


class EcsContainerInstance(Resource):
    """An EcsContainerInstance object, named <cluster>.<node>."""

    kind: str = "EcsContainerInstance"
    spec: EcsContainerInstanceSpec = Field(description="Desired state.")
    status: EcsContainerInstanceStatus = Field(
        default_factory=EcsContainerInstanceStatus, description="Observed state."
    )


def parse_ecs_container_instance(body: Mapping[str, Any]) -> EcsContainerInstance:
    """Parse a raw EcsContainerInstance object (a dict, or a Kopf `Body`)."""
    return EcsContainerInstance.from_body(body)


def _attribute(name: str) -> str:
    return f'.status.attributes[?(@.name=="{name}")].value'


ECS_CONTAINER_INSTANCE = KindInfo(
    kind="EcsContainerInstance",
    plural="ecscontainerinstances",
    singular="ecscontainerinstance",
    short_names=("ecsci",),
    scope="Cluster",
    resource=EcsContainerInstance,
    spec=EcsContainerInstanceSpec,
    status=EcsContainerInstanceStatus,
    description="An ECS container instance: one node of an EcsCluster, kept by the operator.",
    columns=(
        PrinterColumn("Cluster", "string", ".spec.cluster", "The EcsCluster."),
        PrinterColumn("Node", "string", ".spec.nodeName", "The node."),
        PrinterColumn("Status", "string", ".status.status", "ACTIVE, DRAINING or INACTIVE."),
        PrinterColumn("Launch Type", "string", ".status.launchType", "EC2 or FARGATE capacity."),
        PrinterColumn("AZ", "string", _attribute("ecs.availability-zone"), "ecs.availability-zone."),
        PrinterColumn("Type", "string", _attribute("ecs.instance-type"), "ecs.instance-type."),
        PrinterColumn("CPU", "integer", ".status.remainingResources.cpu", "Remaining CPU units."),
        PrinterColumn("Memory", "integer", ".status.remainingResources.memory", "Remaining memory (MiB)."),
        PrinterColumn(
            "Running", "integer", ".status.runningTasksCount", "Tasks whose desiredStatus is RUNNING."
        ),
        AGE,
    ),
)
