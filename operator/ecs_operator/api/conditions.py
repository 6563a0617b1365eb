"""Kubernetes' standard condition shape (metav1.Condition), shared by every kind's status.

Why: `kubectl wait --for=condition=...`, Argo CD and Flux read conditions in exactly this shape, so
the operator reports readiness and failures through it besides the ECS fields.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from ecs_operator.api.meta import StatusModel


class ConditionStatus(StrEnum):
    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


class Condition(StatusModel):
    """One observation of the object's state, as in metav1.Condition."""

    type: str = Field(
        max_length=316,
        pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
        r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
        description="Condition type in CamelCase, e.g. Ready, Placed, SteadyState.",
    )
    status: ConditionStatus = Field(description="True, False or Unknown.")
    reason: str = Field(
        min_length=1,
        max_length=1024,
        pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
        description="Machine-readable CamelCase reason for the last transition.",
    )
    message: str = Field(max_length=32768, description="Human-readable details; may be empty.")
    last_transition_time: datetime = Field(description="When status last changed (RFC 3339).")
    observed_generation: int | None = Field(
        default=None, ge=0, description="The metadata.generation this condition was computed from."
    )


LIST_MAP: dict[str, Any] = {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]}


def conditions_field() -> Any:
    """The `conditions` field of a status: at most one condition per type."""
    return Field(
        default_factory=list,
        description="Standard Kubernetes conditions (type, status, reason, message, lastTransitionTime).",
        json_schema_extra=LIST_MAP,
    )
