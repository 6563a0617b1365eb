"""EcsTaskDefinition: a family whose every spec change registers a new immutable revision.

Why the rules here: RegisterTaskDefinition refuses a definition that can never run (Fargate
without task size, no essential container, a dependency on a missing container); refusing it at
admission gives the same early answer, with ECS's wording, instead of a failure at first launch.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field

from ecs_operator.api.cel import rule, validations
from ecs_operator.api.common import (
    MAX_CONSTRAINTS,
    MAX_EXPRESSION_LENGTH,
    CpuAmount,
    LaunchType,
    MemoryAmount,
    PlacementConstraintType,
)
from ecs_operator.api.conditions import Condition, conditions_field
from ecs_operator.api.containers import MAX_CONTAINERS, ContainerDefinition, NetworkMode
from ecs_operator.api.meta import AGE, KindInfo, PrinterColumn, Resource, SpecModel, StatusModel

_FARGATE = "has(self.requiresCompatibilities) && 'FARGATE' in self.requiresCompatibilities"
_CONTAINERS = "self.containerDefinitions"


class TaskDefinitionStatus(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    DELETE_IN_PROGRESS = "DELETE_IN_PROGRESS"


class CpuArchitecture(StrEnum):
    X86_64 = "X86_64"
    ARM64 = "ARM64"


class RuntimePlatform(SpecModel):
    """The operating system and CPU architecture the task needs (matched against node labels)."""

    operating_system_family: str | None = Field(
        default=None,
        max_length=64,
        pattern=r"^(LINUX|WINDOWS_SERVER_[0-9A-Z]+_(FULL|CORE))$",
        description="LINUX or WINDOWS_SERVER_<release>_<FULL|CORE>. Absent: any (ecs.os-family).",
    )
    cpu_architecture: CpuArchitecture | None = Field(
        default=None, description="X86_64 or ARM64. Absent: any (ecs.cpu-architecture)."
    )


class TaskDefinitionPlacementConstraint(SpecModel):
    """A task definition accepts only memberOf constraints."""

    type: Literal[PlacementConstraintType.MEMBER_OF] = Field(
        description="memberOf (the only type allowed here)."
    )
    expression: str = Field(
        min_length=1,
        max_length=MAX_EXPRESSION_LENGTH,
        description="A cluster query language expression, e.g. 'attribute:ecs.os-type == linux'. "
        "At most 2000 characters.",
    )


class EcsTaskDefinitionSpec(
    SpecModel,
    json_schema_extra=validations(
        rule(
            f"!({_FARGATE}) || self.networkMode == 'awsvpc'",
            "Fargate only supports network mode 'awsvpc'.",
            field_path=".networkMode",
        ),
        rule(
            f"!({_FARGATE}) || has(self.cpu)",
            "Fargate requires that 'cpu' be defined at the task level.",
            field_path=".cpu",
        ),
        rule(
            f"!({_FARGATE}) || has(self.memory)",
            "Fargate requires that 'memory' be defined at the task level.",
            field_path=".memory",
        ),
        rule(
            f"!({_FARGATE}) || !has(self.placementConstraints) || size(self.placementConstraints) == 0",
            "Placement constraints are not supported with FARGATE launch type.",
            field_path=".placementConstraints",
        ),
        rule(
            f"!({_FARGATE}) || {_CONTAINERS}.all(c,"
            " (!has(c.stopTimeout) || (c.stopTimeout >= 2 && c.stopTimeout <= 120))"
            " && (!has(c.startTimeout) || (c.startTimeout >= 2 && c.startTimeout <= 120)))",
            "On Fargate, stopTimeout and startTimeout must be between 2 and 120 seconds.",
            field_path=".containerDefinitions",
        ),
        rule(
            f"{_CONTAINERS}.exists(c, !has(c.essential) || c.essential)",
            "Task definition doesn't have any essential container.",
            field_path=".containerDefinitions",
        ),
        rule(
            f"has(self.memory) || {_CONTAINERS}.all(c, has(c.memory) || has(c.memoryReservation))",
            "Invalid setting for container: at least one of 'memory' or 'memoryReservation' must be "
            "specified (or the task-level 'memory').",
            field_path=".containerDefinitions",
        ),
        rule(
            f"!(self.networkMode in ['awsvpc', 'host']) || {_CONTAINERS}.all(c, !has(c.portMappings)"
            " || c.portMappings.all(p, !has(p.hostPort) || p.hostPort == 0"
            " || p.hostPort == p.containerPort))",
            "When networkMode is awsvpc or host, the host ports and container ports in port mappings "
            "must match.",
            message_expression="'When networkMode=' + self.networkMode"
            " + ', the host ports and container ports in port mappings must match.'",
            field_path=".containerDefinitions",
        ),
        rule(
            f"self.networkMode != 'none' || {_CONTAINERS}.all(c,"
            " !has(c.portMappings) || size(c.portMappings) == 0)",
            "Port mappings are not supported when networkMode=none.",
            field_path=".containerDefinitions",
        ),
        rule(
            f"{_CONTAINERS}.all(c, !has(c.dependsOn) || c.dependsOn.all(d,"
            f" {_CONTAINERS}.exists(o, o.name == d.containerName)))",
            "dependsOn names a container that is not in the task definition.",
            field_path=".containerDefinitions",
        ),
        rule(
            f"{_CONTAINERS}.all(c, !has(c.dependsOn) || c.dependsOn.all(d,"
            " !(d.condition in ['COMPLETE', 'SUCCESS'])"
            f" || !{_CONTAINERS}.exists(o, o.name == d.containerName"
            " && (!has(o.essential) || o.essential))))",
            "A dependency container with SUCCESS or COMPLETE condition cannot be an essential container.",
            field_path=".containerDefinitions",
        ),
    ),
):
    """The desired state of a task definition family; each change is a new revision."""

    cpu: CpuAmount | None = Field(
        default=None,
        description="Task-level CPU: units as an integer or string (1024 = one vCPU, EC2 range 128-196608) "
        'or vCPUs as "0.25 vcpu"/"1 vCPU". Optional on EC2 (else the sum of the containers); '
        "required on FARGATE, where only the Fargate sizes are valid.",
    )
    memory: MemoryAmount | None = Field(
        default=None,
        description='Task-level memory: MiB as an integer or string, or GB as "2 GB". Optional on EC2 '
        "(then every container needs memory or memoryReservation); required on FARGATE.",
    )
    network_mode: NetworkMode = Field(
        default=NetworkMode.BRIDGE,
        description="bridge (default), host, awsvpc (the task's own IP; ports never conflict) or none. "
        "FARGATE: awsvpc only.",
    )
    requires_compatibilities: list[LaunchType] = Field(
        default_factory=list,
        max_length=2,
        description="Launch types the definition is validated for: EC2, FARGATE. Absent: EC2.",
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )
    runtime_platform: RuntimePlatform | None = Field(
        default=None, description="Operating system family and CPU architecture the task needs."
    )
    placement_constraints: list[TaskDefinitionPlacementConstraint] = Field(
        default_factory=list,
        max_length=MAX_CONSTRAINTS,
        description="memberOf constraints applied to every task of this definition; with a task's own "
        "constraints at most 10 in all. Not supported with FARGATE.",
    )
    container_definitions: list[ContainerDefinition] = Field(
        min_length=1,
        max_length=MAX_CONTAINERS,
        description="The task's containers: at least one, at most 10, names unique.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
    )
    deregistered_revisions: list[Annotated[int, Field(ge=1)]] = Field(
        default_factory=list,
        max_length=10000,
        description="DeregisterTaskDefinition: revisions listed here are INACTIVE. Running tasks and "
        "services go on; nothing new starts from them. Not part of a revision: changing this list "
        "registers no new revision.",
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )
    deleted_revisions: list[Annotated[int, Field(ge=1)]] = Field(
        default_factory=list,
        max_length=10000,
        description="DeleteTaskDefinitions: revisions listed here that are INACTIVE turn DELETE_IN_PROGRESS; "
        "each is purged (its snapshot deleted, its entry dropped from status.revisions) once no task "
        "that is not STOPPED and no service deployment uses it. Their numbers are never reused. An "
        "ACTIVE revision listed here stays ACTIVE. Not part of a revision.",
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )
    reregistrations: int = Field(
        default=0,
        ge=0,
        description="RegisterTaskDefinition with an unchanged spec whose family's latest revision was deleted "
        "(deletedRevisions) adds one here, so a new revision is registered, as ECS does. Not part of a revision.",
    )


class TaskDefinitionRevision(StatusModel):
    """One registered revision."""

    revision: int = Field(ge=1, description="Revision number: 1, 2, 3, ... never reused.")
    status: TaskDefinitionStatus = Field(description="ACTIVE, INACTIVE (deregistered) or DELETE_IN_PROGRESS.")
    registered_at: datetime | None = Field(default=None, description="When it was registered.")
    deregistered_at: datetime | None = Field(default=None, description="When it was deregistered.")


class EcsTaskDefinitionStatus(StatusModel):
    """The revisions registered for this family."""

    revision: int | None = Field(default=None, ge=1, description="The latest revision.")
    observed_generation: int | None = Field(
        default=None, ge=0, description="The metadata.generation the latest revision was registered from."
    )
    revisions: list[TaskDefinitionRevision] = Field(
        default_factory=list, description="Every revision, newest first."
    )
    conditions: list[Condition] = conditions_field()


class EcsTaskDefinition(Resource):
    """An EcsTaskDefinition object; its name is the family."""

    kind: str = "EcsTaskDefinition"
    spec: EcsTaskDefinitionSpec = Field(description="Desired state.")
    status: EcsTaskDefinitionStatus = Field(
        default_factory=EcsTaskDefinitionStatus, description="Observed state."
    )

    @property
    def family(self) -> str:
        return self.metadata.name


def parse_ecs_task_definition(body: Mapping[str, Any]) -> EcsTaskDefinition:
    """Parse a raw EcsTaskDefinition object (a dict, or a Kopf `Body`)."""
    return EcsTaskDefinition.from_body(body)


ECS_TASK_DEFINITION = KindInfo(
    kind="EcsTaskDefinition",
    plural="ecstaskdefinitions",
    singular="ecstaskdefinition",
    short_names=("ecstd",),
    scope="Namespaced",
    resource=EcsTaskDefinition,
    spec=EcsTaskDefinitionSpec,
    status=EcsTaskDefinitionStatus,
    description="An ECS task definition family (the object's name); every spec change registers a revision.",
    columns=(PrinterColumn("Revision", "integer", ".status.revision", "The latest revision."), AGE),
    root_validations=(
        rule(
            "!self.metadata.name.contains('.')",
            "Family: up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are "
            "allowed; metadata.name must not contain a period.",
        ),
    ),
)
