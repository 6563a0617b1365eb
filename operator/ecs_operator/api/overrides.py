"""Task overrides (RunTask `overrides`): per-run changes to a task definition's sizes and commands.

Why a module of its own: a task and a scheduled task's target take the same overrides.
"""

from __future__ import annotations

from pydantic import Field

from ecs_operator.api.cel import rule, validations
from ecs_operator.api.common import CpuAmount, KeyValuePair, MemoryAmount
from ecs_operator.api.containers import MAX_CONTAINERS, ContainerName
from ecs_operator.api.meta import SpecModel


class ContainerOverride(
    SpecModel,
    json_schema_extra=validations(
        rule(
            "!has(self.memory) || !has(self.memoryReservation) || self.memoryReservation < self.memory",
            "Invalid setting for container: 'memory' must be greater than 'memoryReservation'.",
            field_path=".memoryReservation",
        )
    ),
):
    """Changes to one container of the task definition for this run."""

    name: ContainerName = Field(description="The container of the task definition to override.")
    command: list[str] | None = Field(default=None, description="Replaces the container's command.")
    environment: list[KeyValuePair] | None = Field(
        default=None, description="Added to the container's environment; same names replace."
    )
    cpu: int | None = Field(default=None, ge=0, le=196608, description="CPU units for the container.")
    memory: int | None = Field(default=None, ge=6, le=16777216, description="Hard memory limit, MiB.")
    memory_reservation: int | None = Field(
        default=None,
        ge=6,
        le=16777216,
        description="Soft memory limit, MiB; less than memory when both are set.",
    )


class TaskOverride(SpecModel):
    """Task-level and per-container overrides; ECS limits the whole JSON to 8192 characters."""

    cpu: CpuAmount | None = Field(
        default=None, description='Task-level CPU for this run: units, or vCPUs as "0.5 vcpu".'
    )
    memory: MemoryAmount | None = Field(
        default=None, description='Task-level memory for this run: MiB, or GB as "1 GB".'
    )
    container_overrides: list[ContainerOverride] | None = Field(
        default=None,
        max_length=MAX_CONTAINERS,
        description="Per-container overrides, at most one per container.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
    )
