"""The API group, the base models and the per-kind facts every other module of the API builds on.

Why this module exists: the wire rules (camelCase, unknown spec fields refused, status lenient) and
the facts about each kind (plural, short names, scope, printer columns) must be written once, so
that the models, the CRD generator and the handlers (which register Kopf handlers by group,
version and plural) cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from ecs_operator.names import API_VERSION as API_VERSION
from ecs_operator.names import GROUP as GROUP
from ecs_operator.names import VERSION as VERSION

CATEGORY = "ecs"
"""`kubectl get ecs` lists every kind of the group."""


class SpecModel(BaseModel):
    """Base of everything people write: camelCase on the wire, unknown fields refused."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="forbid",
    )


class StatusModel(BaseModel):
    """Base of everything the operator writes: camelCase on the wire, unknown fields ignored.

    Ignoring (rather than refusing) lets an older operator read a status written by a newer one.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="ignore",
    )


class ObjectMeta(StatusModel):
    """The parts of Kubernetes' ObjectMeta the operator reads (the rest is ignored)."""

    name: str = Field(description="Object name.")
    namespace: str | None = Field(default=None, description="Namespace; absent for cluster-scoped kinds.")
    uid: str | None = Field(default=None, description="Server-assigned unique id.")
    generation: int | None = Field(default=None, description="Increases on every spec change.")
    resource_version: str | None = Field(default=None, description="Optimistic-concurrency token.")
    creation_timestamp: datetime | None = Field(default=None, description="When the object was created.")
    deletion_timestamp: datetime | None = Field(default=None, description="Set when deletion started.")
    labels: dict[str, str] = Field(default_factory=dict, description="Labels.")
    annotations: dict[str, str] = Field(default_factory=dict, description="Annotations.")


def plain(value: Any) -> Any:
    """Deep-copy a Kopf body (Mapping views all the way down) into plain dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [plain(v) for v in value]
    return value


def owner_reference(kind: str, name: str, uid: str, *, controller: bool = True) -> dict[str, Any]:
    """An ownerReference to one of our objects: garbage collection deletes the owned object with
    it. blockOwnerDeletion is False: deleting an owner never waits on what it owns (and needs no
    permission on the owner's finalizers)."""
    reference: dict[str, Any] = {"apiVersion": API_VERSION, "kind": kind, "name": name, "uid": uid}
    if controller:
        reference["controller"] = True
    return {**reference, "blockOwnerDeletion": False}


def to_wire(model: BaseModel, *, exclude_unset: bool = False) -> dict[str, Any]:
    """The JSON-ready camelCase dict of a model, without None fields (absent on the wire)."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_unset=exclude_unset)


class Resource(StatusModel):
    """A whole custom object as Kopf passes it: apiVersion, kind, metadata, spec, status."""

    api_version: str = Field(default=API_VERSION, description=f"Always {API_VERSION}.")
    kind: str = Field(description="The kind of the object.")
    metadata: ObjectMeta = Field(description="Standard object metadata.")

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Self:
        """Parse a raw Kubernetes object (a dict, or a Kopf `Body`) into the model."""
        return cls.model_validate(plain(body))

    def to_body(self) -> dict[str, Any]:
        """The object as a JSON-ready dict, camelCase, without None fields."""
        return to_wire(self)


Scope = Literal["Namespaced", "Cluster"]
ColumnType = Literal["string", "integer", "number", "boolean", "date"]


@dataclass(frozen=True)
class PrinterColumn:
    """One `kubectl get` column (CRD additionalPrinterColumns)."""

    name: str
    type: ColumnType
    json_path: str
    description: str
    priority: int = 0

    def to_crd(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "jsonPath": self.json_path,
            "description": self.description,
        }
        if self.priority:
            out["priority"] = self.priority
        return out


AGE = PrinterColumn("Age", "date", ".metadata.creationTimestamp", "Time since the object was created.")


@dataclass(frozen=True)
class KindInfo:
    """Everything that names one kind: handlers register with `GROUP, VERSION, info.plural`."""

    kind: str
    plural: str
    singular: str
    short_names: tuple[str, ...]
    scope: Scope
    resource: type[Resource]
    spec: type[BaseModel]
    status: type[BaseModel]
    description: str
    spec_required: bool = True
    columns: tuple[PrinterColumn, ...] = ()
    root_validations: tuple[dict[str, str], ...] = ()

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def crd_name(self) -> str:
        return f"{self.plural}.{GROUP}"

    @property
    def namespaced(self) -> bool:
        return self.scope == "Namespaced"
