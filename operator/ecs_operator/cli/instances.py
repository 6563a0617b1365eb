"""PutAttributes, DeleteAttributes and UpdateContainerInstancesState as ECS defines them (pure).

These compute the new ``spec`` of an EcsContainerInstance from the one read, or refuse with ECS's
wording; the caller writes the result with the resourceVersion it read (kube.plugin.update_spec).

ECS's rules (ecs-semantics §2.3, §6.1):

- an attribute is a name (1-128 of ``A-Z a-z 0-9 - _ / \\ .``) and an optional value (1-128 of
  those and ``@ :`` and space, no leading or trailing space); names starting with ``ecs.`` are the
  built-in attributes and cannot be put or deleted;
- PutAttributes creates the attribute or overwrites its value; at most 10 attributes per call and
  10 custom attributes per resource; the target type is ``container-instance``;
- UpdateContainerInstancesState takes ACTIVE or DRAINING, and only an ACTIVE instance can be set
  to DRAINING.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ecs_operator.api.common import ATTRIBUTE_NAME, ATTRIBUTE_VALUE, MAX_CUSTOM_ATTRIBUTES

MAX_PER_CALL = 10
TARGET_TYPE = "container-instance"
BUILT_IN_PREFIX = "ecs."
TARGET_NOT_FOUND = "TargetNotFoundException: The specified target wasn't found. ({target})"
LIMIT_EXCEEDED = (
    "AttributeLimitExceededException: You can apply up to {limit} custom attributes for each resource. "
    "({target} would have {count})"
)
NOT_ACTIVE = "A container instance can't be changed to DRAINING until it has reached an ACTIVE status."


class EcsError(ValueError):
    """A request ECS would refuse; the message is ECS's."""


@dataclass(frozen=True)
class AttributeRequest:
    """One entry of --attributes: the attribute and the container instance it targets."""

    name: str
    value: str | None
    target: str


def instance_name(cluster: str, target: str) -> str:
    """The EcsContainerInstance a targetId names: ``<cluster>.<node>``, or the node name alone."""
    return target if target.startswith(f"{cluster}.") else f"{cluster}.{target}"


def attribute_requests(
    items: Sequence[Mapping[str, Any]], cluster: str, with_values: bool
) -> list[AttributeRequest]:
    """Validate --attributes structures (name, value, targetType, targetId) as ECS does."""
    if not items:
        raise EcsError("InvalidParameterException: attributes can not be empty.")
    if len(items) > MAX_PER_CALL:
        raise EcsError(
            f"InvalidParameterException: at most {MAX_PER_CALL} attributes per call (got {len(items)})."
        )
    out = []
    for item in items:
        unknown = set(item) - {"name", "value", "targetType", "targetId"}
        if unknown:
            raise EcsError(
                f"InvalidParameterException: unknown attribute field(s): {', '.join(sorted(unknown))}."
            )
        name = str(item.get("name") or "")
        target_type = item.get("targetType") or TARGET_TYPE
        if target_type != TARGET_TYPE:
            raise EcsError(f"InvalidParameterException: targetType must be {TARGET_TYPE}, not {target_type}.")
        target = str(item.get("targetId") or "")
        if not target:
            raise EcsError(
                f"InvalidParameterException: attribute {name!r} needs a targetId (a container instance)."
            )
        check_name(name)
        value = item.get("value")
        if with_values and value is not None:
            check_value(name, str(value))
        out.append(
            AttributeRequest(
                name,
                str(value) if with_values and value is not None else None,
                instance_name(cluster, target),
            )
        )
    return out


def check_name(name: str) -> None:
    if not re.fullmatch(ATTRIBUTE_NAME, name) or len(name) > 128:
        raise EcsError(
            f"InvalidParameterException: attribute name {name!r} is invalid: 1-128 letters, digits, "
            "hyphens, underscores, periods, forward or back slashes."
        )
    if name.startswith(BUILT_IN_PREFIX):
        raise EcsError(
            f"InvalidParameterException: attribute name {name!r}: names starting with ecs. are reserved "
            "for the built-in attributes."
        )


def check_value(name: str, value: str) -> None:
    if not re.fullmatch(ATTRIBUTE_VALUE, value) or len(value) > 128:
        raise EcsError(
            f"InvalidParameterException: the value of attribute {name!r} is invalid: 1-128 letters, "
            "digits, hyphens, underscores, periods, at signs, colons, forward or back slashes and spaces, "
            "with no leading or trailing space."
        )


def put_attributes(
    spec: Mapping[str, Any], target: str, puts: Sequence[AttributeRequest]
) -> list[dict[str, Any]]:
    """spec.attributes after PutAttributes: each name created or its value replaced, order kept."""
    attributes = [dict(a) for a in spec.get("attributes") or []]
    for put in puts:
        entry: dict[str, Any] = {"name": put.name}
        if put.value is not None:
            entry["value"] = put.value
        index = next((i for i, a in enumerate(attributes) if a.get("name") == put.name), None)
        if index is None:
            attributes.append(entry)
        else:
            attributes[index] = entry
    if len(attributes) > MAX_CUSTOM_ATTRIBUTES:
        raise EcsError(
            LIMIT_EXCEEDED.format(limit=MAX_CUSTOM_ATTRIBUTES, target=target, count=len(attributes))
        )
    return attributes


def delete_attributes(spec: Mapping[str, Any], deletes: Sequence[AttributeRequest]) -> list[dict[str, Any]]:
    """spec.attributes after DeleteAttributes (deleting an absent attribute changes nothing)."""
    names = {d.name for d in deletes}
    return [dict(a) for a in spec.get("attributes") or [] if a.get("name") not in names]


def effective_status(obj: Mapping[str, Any]) -> str:
    """ACTIVE, DRAINING or INACTIVE as ECS would report it right now.

    A drain asked for (spec.status DRAINING) counts before the operator has reflected it, as it
    does for placement (placement.objects); an instance the operator has not registered yet, or
    whose node is gone, is INACTIVE.
    """
    observed = str((obj.get("status") or {}).get("status") or "INACTIVE")
    if observed == "ACTIVE" and (obj.get("spec") or {}).get("status") == "DRAINING":
        return "DRAINING"
    return observed


def held_draining(obj: Mapping[str, Any]) -> bool:
    """DRAINING although nobody asked for it in spec: the node is cordoned (api.md)."""
    spec_status = (obj.get("spec") or {}).get("status") or "ACTIVE"
    return spec_status == "ACTIVE" and (obj.get("status") or {}).get("status") == "DRAINING"


def state_change(obj: Mapping[str, Any], wanted: str) -> dict[str, str] | None:
    """The failure (ECS's ``failures[]`` entry) that refuses setting ``wanted``, or None."""
    name = str((obj.get("metadata") or {}).get("name"))
    current = effective_status(obj)
    if wanted == "DRAINING" and current != "ACTIVE":
        return {"arn": name, "reason": NOT_ACTIVE, "detail": f"{name} is {current}."}
    if wanted == "ACTIVE" and current == "INACTIVE":
        return {
            "arn": name,
            "reason": "INACTIVE",
            "detail": f"{name} is INACTIVE (its node is gone or not registered).",
        }
    return None
