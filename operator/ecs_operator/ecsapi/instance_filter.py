"""ListContainerInstances' `status` and `filter` (the cluster query language), on the objects.

Pure: it takes EcsContainerInstance objects as the API server returns them and answers which of
them a request lists. The expression is parsed once per request by `ecs_operator.query` (the
language `memberOf` uses; there is no second evaluator here) and evaluated against each instance
read as `placement.objects` reads it for placement: attributes are ``status.attributes`` overlaid
with ``spec.attributes``, ``task:group`` the groups of the instance's claims, agent version and
registration time from status.

One difference from placement, on purpose: ``runningTasksCount`` is the instance's
``status.runningTasksCount``, the number DescribeContainerInstances reports, so that
``--filter "runningTasksCount > 1"`` lists exactly the instances whose description says more than
one; placement counts every claim (pending tasks too), which is what it must not overcommit.

ECS documents no wording for a bad expression; the answer is InvalidParameterException with the
parser's message and column (one line: the caret rendering is for terminals).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ecs_operator.ecsapi.errors import ApiError, invalid
from ecs_operator.placement.objects import SnapshotError, instance_from_object
from ecs_operator.query import Expression, QuerySyntaxError, StaticSubjects, parse

STATUSES = ("ACTIVE", "DRAINING", "REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED")
"""botocore's ContainerInstanceStatus: the values `status` may take."""


def instance_status(obj: Mapping[str, Any]) -> str:
    """The status DescribeContainerInstances reports (and `status` filters on)."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return str(status.get("status") or spec.get("status") or "ACTIVE")


def parse_filter(text: Any) -> Expression | None:
    """The request's `filter`, parsed once; None when absent or empty."""
    if text is None or text == "":
        return None
    if not isinstance(text, str):
        raise invalid("filter must be a string.")
    try:
        return parse(text)
    except QuerySyntaxError as exc:
        raise invalid(f"Invalid filter expression: {exc.message} at column {exc.column}.") from exc


def check_status(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if value not in STATUSES:
        raise invalid(f"status must be one of {', '.join(STATUSES)}.")
    return str(value)


def subjects(obj: Mapping[str, Any]) -> StaticSubjects:
    """What the query language reads on one instance (see the module docstring)."""
    try:
        snap = instance_from_object(obj)
    except SnapshotError as exc:
        raise ApiError("ServerException", str(exc), 500) from exc
    return StaticSubjects(
        ec2_instance_id=snap.ec2_instance_id,
        agent_connected=snap.agent_connected,
        agent_version=snap.agent_version,
        registered_at=snap.registered_at,
        running_tasks_count=int((obj.get("status") or {}).get("runningTasksCount") or 0),
        task_groups=frozenset(snap.task_groups),
        attributes=dict(snap.attributes),
    )


def listed(
    instances: Iterable[Mapping[str, Any]], status: str | None, expression: Expression | None
) -> list[str]:
    """The names of the instances a ListContainerInstances lists, sorted (its order, paginated).

    Without `status`, every status but INACTIVE (ECS's default: deregistered instances are not
    listed)."""
    kept = [
        o
        for o in instances
        if instance_status(o) == status or (status is None and instance_status(o) != "INACTIVE")
    ]
    if expression is not None:
        kept = [o for o in kept if expression.evaluate(subjects(o))]
    return sorted(str(o["metadata"]["name"]) for o in kept)
