"""Container definitions of a task definition: image, sizes, ports, dependencies, health check.

Why separate from taskdefinition.py: a container definition is the largest shape of the API and
has its own rules (ecs-semantics §10.2-10.6); the task-level rules that look across containers
stay with the task definition.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from ecs_operator.api.cel import rule, validations
from ecs_operator.api.common import DNS_LABEL, KeyValuePair, Secret
from ecs_operator.api.meta import SpecModel
from ecs_operator.enums import NetworkMode as NetworkMode

MAX_CONTAINERS = 10
MAX_PORT_MAPPINGS = 100
MAX_DEPENDENCIES = 10

ContainerName = Annotated[str, StringConstraints(min_length=1, max_length=63, pattern=DNS_LABEL)]
HealthCheckArg = Annotated[str, StringConstraints(max_length=4096)]


class TransportProtocol(StrEnum):
    TCP = "tcp"
    UDP = "udp"


class DependsOnCondition(StrEnum):
    START = "START"
    COMPLETE = "COMPLETE"
    SUCCESS = "SUCCESS"
    HEALTHY = "HEALTHY"


class PortMapping(SpecModel):
    """A container port, and the host port it is bound to (bridge and host modes)."""

    container_port: int = Field(ge=1, le=65535, description="The port the container listens on.")
    host_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="bridge: a static host port, or 0/absent for a dynamic one from the ephemeral range "
        "(49153-65535). host and awsvpc: absent or equal to containerPort. Static ports are reserved on "
        "the container instance.",
    )
    protocol: TransportProtocol = Field(default=TransportProtocol.TCP, description="tcp (default) or udp.")


class ContainerDependency(SpecModel):
    """Start this container only once another one reached a condition (ecs-semantics §10.5)."""

    container_name: ContainerName = Field(
        description="The container depended on, in the same task definition."
    )
    condition: DependsOnCondition = Field(
        description="START: it started. COMPLETE: it exited (any code). SUCCESS: it exited with code 0. "
        "HEALTHY: its health check passed. COMPLETE and SUCCESS are not allowed on an essential container."
    )


class HealthCheck(
    SpecModel,
    json_schema_extra=validations(
        rule(
            "self.command[0] in ['CMD', 'CMD-SHELL']",
            "The health check command must start with CMD or CMD-SHELL.",
            field_path=".command",
        )
    ),
):
    """A container health check; ECS monitors only the ones declared here (ecs-semantics §10.6)."""

    command: list[HealthCheckArg] = Field(
        min_length=2,
        max_length=64,
        description='["CMD", executable, args...] or ["CMD-SHELL", "shell command"]; exit code 0 is healthy.',
    )
    interval: int = Field(default=30, ge=5, le=300, description="Seconds between checks: 5-300, default 30.")
    timeout: int = Field(
        default=5, ge=2, le=60, description="Seconds before a check counts as failed: 2-60, default 5."
    )
    retries: int = Field(
        default=3, ge=1, le=10, description="Consecutive failures before UNHEALTHY: 1-10, default 3."
    )
    start_period: int | None = Field(
        default=None,
        ge=0,
        le=300,
        description="Grace seconds after start during which failures do not count: 0-300, default off.",
    )


class ContainerDefinition(
    SpecModel,
    json_schema_extra=validations(
        rule(
            "!has(self.memory) || !has(self.memoryReservation) || self.memoryReservation < self.memory",
            "Invalid setting for container: 'memory' must be greater than 'memoryReservation'.",
            field_path=".memoryReservation",
        ),
        rule(
            "!has(self.portMappings) || self.portMappings.all(p,"
            " self.portMappings.exists_one(q, q.containerPort == p.containerPort))",
            "A container port is used in more than one port mapping for this container.",
            field_path=".portMappings",
        ),
        rule(
            "!has(self.dependsOn) || self.dependsOn.all(d, d.containerName != self.name)",
            "A container cannot depend on itself.",
            field_path=".dependsOn",
        ),
    ),
):
    """One container of the task; it becomes one container of the task's pod."""

    name: ContainerName = Field(
        description="Container name, unique in the task definition; also the pod's container name, so a "
        "DNS label (lowercase letters, digits, hyphens; at most 63)."
    )
    image: str = Field(min_length=1, max_length=1024, description="Image reference, e.g. nginx:1.27.")
    essential: bool = Field(
        default=True,
        description="If an essential container stops, every container of the task stops "
        "(EssentialContainerExited). Default true; at least one container must be essential.",
    )
    cpu: int | None = Field(
        default=None,
        ge=0,
        le=196608,
        description="CPU units reserved for the container (1024 = one vCPU); a relative share on Linux.",
    )
    memory: int | None = Field(
        default=None,
        ge=6,
        le=16777216,
        description="Hard memory limit in MiB (at least 6): the container is killed above it.",
    )
    memory_reservation: int | None = Field(
        default=None,
        ge=6,
        le=16777216,
        description="Soft memory limit in MiB, subtracted from the instance at placement when set (else "
        "memory is). Must be less than memory when both are set.",
    )
    command: list[str] | None = Field(default=None, description="Arguments passed to the entry point.")
    entry_point: list[str] | None = Field(default=None, description="Overrides the image's entry point.")
    working_directory: str | None = Field(
        default=None, max_length=4096, description="Working directory of the command."
    )
    user: str | None = Field(
        default=None,
        max_length=21,
        pattern=r"^[0-9]{1,10}(:[0-9]{1,10})?$",
        description="The user (uid, or uid:gid) the container runs as; numeric only, because Kubernetes "
        "takes no user names. On FARGATE a non-zero uid also sets runAsNonRoot. Absent: the image's user.",
    )
    environment: list[KeyValuePair] | None = Field(default=None, description="Environment variables.")
    secrets: list[Secret] | None = Field(
        default=None, description="Environment variables taken from Kubernetes Secrets."
    )
    port_mappings: list[PortMapping] | None = Field(
        default=None,
        max_length=MAX_PORT_MAPPINGS,
        description="Ports the container exposes; not allowed with networkMode none. At most 100.",
    )
    depends_on: list[ContainerDependency] | None = Field(
        default=None,
        max_length=MAX_DEPENDENCIES,
        description="Containers that must reach a condition before this one starts. At most 10.",
    )
    health_check: HealthCheck | None = Field(default=None, description="Container health check.")
    start_timeout: int | None = Field(
        default=None,
        ge=0,
        le=3600,
        description="Seconds to wait for dependencies before giving up (Fargate: 2-120).",
    )
    stop_timeout: int | None = Field(
        default=None,
        ge=0,
        le=86400,
        description="Seconds between SIGTERM and SIGKILL when the task stops; default 30 (Fargate: 2-120).",
    )
