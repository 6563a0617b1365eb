"""Task definition families and revisions (pure; ecs-semantics §10).

An EcsTaskDefinition object is a family; every change of its spec registers the next revision, an
immutable snapshot (the operator stores it as an immutable ConfigMap). Revisions start at 1 and go
up by exactly one, never reused, even after deregistration. A reference is `family:revision`, or
`family` for the latest ACTIVE revision. `spec.deregisteredRevisions` (DeregisterTaskDefinition)
turns revisions INACTIVE: running tasks go on, nothing new starts from them; that field is not
part of the snapshot, so deregistering never registers a revision.

`spec.deletedRevisions` (DeleteTaskDefinitions) turns INACTIVE revisions DELETE_IN_PROGRESS; the
operator purges each (snapshot and status entry) once `purgeable` says nothing uses it any more
(ECS: "until all the associated tasks and services have been terminated"). Why a list in the spec
rather than deleting the revision at once: tasks and deployments still read the snapshot to start
replacements, so it must outlive the request; and the list keeps the numbers of purged revisions
taken, so `next_revision` never hands one out again (ECS keeps the family's numbering). When the
latest number is a deleted one (`latest_deleted`), RegisterTaskDefinition with an unchanged spec
raises `spec.reregistrations` (not snapshotted) so the operator registers a new revision.

`validate` adds the rules admission (CEL) cannot express because they need ECS's unit parsing or
the Fargate size table; its messages use ECS's wording.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ecs_operator.api.fargate import find_fargate_unsupported, validate_fargate_size
from ecs_operator.api.units import UnitError, parse_ecs_cpu, parse_ecs_memory
from ecs_operator.reconcile.validation import spec_problems

NOT_SNAPSHOTTED = ("deregisteredRevisions", "deletedRevisions", "reregistrations")
EC2_CPU_RANGE = (128, 196608)


class ResolveError(Exception):
    """A task definition reference that cannot start a task; `reason` is the ECS failure reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class TaskDefinitionRef:
    family: str
    revision: int | None

    def __str__(self) -> str:
        return self.family if self.revision is None else f"{self.family}:{self.revision}"


def snapshot_of(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The part of the spec a revision freezes."""
    return {k: v for k, v in spec.items() if k not in NOT_SNAPSHOTTED}


def spec_hash(spec: Mapping[str, Any]) -> str:
    """A stable digest of the snapshot: equal specs (in any key order) give equal hashes."""
    canonical = json.dumps(snapshot_of(spec), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def parse_ref(ref: str) -> TaskDefinitionRef:
    family, sep, rev = ref.partition(":")
    if not family or (sep and not rev.isdigit()):
        raise ResolveError("MISSING", f"Unable to parse task definition '{ref}'.")
    return TaskDefinitionRef(family, int(rev) if sep else None)


def revision_object_name(family: str, revision: int) -> str:
    """The immutable ConfigMap that holds a revision's snapshot."""
    return f"ecstd.{family}.{revision}"


def revision_status(revisions: Sequence[Mapping[str, Any]], revision: int) -> str | None:
    for r in revisions:
        if int(r.get("revision", 0)) == revision:
            return str(r.get("status"))
    return None


def resolve(ref: TaskDefinitionRef, revisions: Sequence[Mapping[str, Any]]) -> int:
    """The revision a new task would start from, or `ResolveError` (MISSING / INACTIVE)."""
    if ref.revision is None:
        active = [int(r["revision"]) for r in revisions if r.get("status") == "ACTIVE"]
        if not active:
            raise ResolveError(
                "MISSING", f"TaskDefinition not found: no ACTIVE revision of family {ref.family}."
            )
        return max(active)
    status = revision_status(revisions, ref.revision)
    if status is None:
        raise ResolveError("MISSING", f"TaskDefinition not found: {ref}.")
    if status != "ACTIVE":
        raise ResolveError("INACTIVE", f"TaskDefinition is inactive: {ref}.")
    return ref.revision


def next_revision(revisions: Sequence[Mapping[str, Any]], taken: Sequence[int] = ()) -> int:
    """One past every revision listed and every number `taken` (purged revisions keep theirs)."""
    listed = (int(r.get("revision", 0)) for r in revisions)
    return max((*listed, *(int(t) for t in taken)), default=0) + 1


def latest_deleted(revisions: Sequence[Mapping[str, Any]], deleted: Sequence[int]) -> bool:
    """The family's latest registered number is a deleted revision (DELETE_IN_PROGRESS or purged):
    an unchanged spec must then register a new revision (`spec.reregistrations`) instead of
    answering with it, as ECS registers one on every call."""
    latest = next_revision(revisions, deleted) - 1
    return latest > 0 and latest in {int(d) for d in deleted}


def with_deregistrations(
    revisions: Sequence[Mapping[str, Any]],
    deregistered: Sequence[int],
    now: str,
    deleted: Sequence[int] = (),
) -> list[dict[str, Any]]:
    """Mark the deregistered revisions INACTIVE (once; a deregistered revision stays INACTIVE), then
    the deleted ones that are INACTIVE DELETE_IN_PROGRESS (an ACTIVE one is not deleted: ECS
    refuses it, and a hand-written spec gets the same rule)."""
    out = []
    for r in revisions:
        item = dict(r)
        number = int(item["revision"])
        if number in deregistered and item.get("status") == "ACTIVE":
            item["status"] = "INACTIVE"
            item["deregisteredAt"] = now
        if number in deleted and item.get("status") == "INACTIVE":
            item["status"] = "DELETE_IN_PROGRESS"
        out.append(item)
    return out


def references(tasks: Sequence[Mapping[str, Any]], services: Sequence[Mapping[str, Any]]) -> set[str]:
    """The ``family:revision`` references that keep a DELETE_IN_PROGRESS revision from being purged:
    the revision of every task that is not STOPPED (a task not launched yet: its spec's, when it
    names a revision), and of every service's spec, deployments and last completed deployment (a
    rollback starts tasks from it)."""
    used: set[str] = set()
    for task in tasks:
        status = task.get("status") or {}
        if status.get("lastStatus") == "STOPPED":
            continue
        used.add(str(status.get("taskDefinition") or (task.get("spec") or {}).get("taskDefinition") or ""))
    for service in services:
        status = service.get("status") or {}
        used.add(str((service.get("spec") or {}).get("taskDefinition") or ""))
        used.update(str(d.get("taskDefinition") or "") for d in status.get("deployments") or [])
        completed = (status.get("scheduler") or {}).get("lastCompleted") or {}
        used.add(str(completed.get("taskDefinition") or ""))
    return {ref for ref in used if ":" in ref}


def purgeable(family: str, revisions: Sequence[Mapping[str, Any]], used: set[str]) -> list[int]:
    """The family's DELETE_IN_PROGRESS revisions that nothing in `used` (`references`) names."""
    return sorted(
        int(r["revision"])
        for r in revisions
        if r.get("status") == "DELETE_IN_PROGRESS" and f"{family}:{int(r['revision'])}" not in used
    )


def task_size(spec: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """Task-level cpu units and MiB, parsed from the ECS forms (UnitError when malformed)."""
    cpu = parse_ecs_cpu(spec["cpu"]) if spec.get("cpu") is not None else None
    memory = parse_ecs_memory(spec["memory"]) if spec.get("memory") is not None else None
    return cpu, memory


def validate(spec: Mapping[str, Any]) -> list[str]:
    """ECS's checks that admission could not make; an empty list means the spec is registrable."""
    try:
        cpu, memory = task_size(spec)
    except UnitError as exc:
        return [str(exc)]
    # A memberOf expression that does not parse would fail every task of the revision: refuse it
    # here, as RegisterTaskDefinition does (the webhook refuses it at admission, when it runs).
    problems: list[str] = [str(p) for p in spec_problems("EcsTaskDefinition", spec)]
    containers = list(spec.get("containerDefinitions") or [])
    fargate = "FARGATE" in (spec.get("requiresCompatibilities") or [])
    if fargate:
        size_error = validate_fargate_size(cpu, memory, _os_family(spec))
        if size_error:
            problems.append(size_error)
        problems += [f"{path} is not supported on Fargate." for path in find_fargate_unsupported(spec)]
    elif cpu is not None and not EC2_CPU_RANGE[0] <= cpu <= EC2_CPU_RANGE[1]:
        problems.append(
            f"Invalid 'cpu' setting for task. The cpu value must be between {EC2_CPU_RANGE[0]} and "
            f"{EC2_CPU_RANGE[1]} CPU units."
        )
    for c in containers:
        hard, soft = c.get("memory"), c.get("memoryReservation")
        if hard is not None and soft is not None and int(hard) <= int(soft):
            problems.append(
                f"Invalid setting for container '{c['name']}'. The memory value must be greater "
                "than the memoryReservation value."
            )
    if cpu is not None and sum(int(c.get("cpu") or 0) for c in containers) > cpu:
        problems.append(
            "Invalid setting for task: the sum of the containers' cpu exceeds the task-level cpu."
        )
    if memory is not None:
        reserved = sum(int(c.get("memoryReservation") or c.get("memory") or 0) for c in containers)
        if reserved > memory:
            problems.append(
                "Invalid setting for task: the containers' memory reservations exceed the task-level memory."
            )
    return problems


def _os_family(spec: Mapping[str, Any]) -> str:
    family = str((spec.get("runtimePlatform") or {}).get("operatingSystemFamily") or "LINUX")
    return "windows" if family.startswith("WINDOWS") else "linux"
