"""EcsTaskDefinition: every spec change registers the next revision (RegisterTaskDefinition).

Level-triggered: whenever `metadata.generation` is ahead of `status.observedGeneration`, the spec
is validated (ECS's rules that admission cannot check), compared with the latest revision's
snapshot, and stored as a new immutable revision if it differs. Deregistrations listed in the spec
turn revisions INACTIVE, deletions (DeleteTaskDefinitions) INACTIVE ones DELETE_IN_PROGRESS. An
invalid spec registers nothing: the reason goes to the Ready condition and a Warning Event, and the
previous revisions stay usable.

A DELETE_IN_PROGRESS revision is purged (its ConfigMap deleted, then its status entry dropped) once
no task that is not STOPPED and no service deployment of the namespace uses it: checked on every
event of the family and every 30 s while the family has such a revision (a task stopping is not an
event of the family). The timer's `when` keeps Kopf's finalizer, which timers need, on those
families only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import kopf

from ecs_operator.handlers import task_launch
from ecs_operator.handlers.badinput import reports_bad_input, warn_once
from ecs_operator.kube import objects
from ecs_operator.kube import taskdefs as ktaskdefs
from ecs_operator.kube.errors import NotFound
from ecs_operator.kube.objects import SERVICES, TASK_DEFINITIONS, TASKS, Obj
from ecs_operator.names import GROUP, TIME_FORMAT, VERSION
from ecs_operator.reconcile.conditions import set_condition
from ecs_operator.reconcile.taskdefs import (
    latest_deleted,
    next_revision,
    purgeable,
    references,
    spec_hash,
    validate,
    with_deregistrations,
)

MAX_REGISTER_ATTEMPTS = 5


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(now: datetime) -> str:
    return now.strftime(TIME_FORMAT)


def _latest_hash(namespace: str, family: str, status: Obj) -> str | None:
    latest = status.get("revision")
    if not latest:
        return None
    try:
        return ktaskdefs.read_revision(namespace, family, int(latest))[1]
    except NotFound:
        return None


def register(body: Obj) -> tuple[str, str] | None:
    """Bring the family's revisions up to date with its spec; returns an event (reason, message)."""
    meta, spec = body["metadata"], dict(body.get("spec") or {})
    family, namespace, generation = meta["name"], meta["namespace"], int(meta.get("generation", 1))
    status = dict(body.get("status") or {})
    if status.get("observedGeneration") == generation:
        return None
    now = _now()
    problems = validate(spec)
    event: tuple[str, str]
    new_revision: int | None = None
    if problems:
        event = ("InvalidTaskDefinition", "; ".join(problems))
    elif not latest_deleted(
        status.get("revisions") or [], spec.get("deletedRevisions") or []
    ) and _latest_hash(namespace, family, status) == spec_hash(spec):
        event = ("Unchanged", f"The spec matches revision {family}:{status.get('revision')}.")
    else:
        new_revision = next_revision(status.get("revisions") or [], spec.get("deletedRevisions") or [])
        for _ in range(MAX_REGISTER_ATTEMPTS):
            if ktaskdefs.store_revision(namespace, family, new_revision, spec, meta["uid"]):
                break
            new_revision += 1  # another writer registered a different spec under that number
        event = ("Registered", f"Registered task definition {family}:{new_revision}.")

    def compute(obj: Obj) -> Obj | None:
        current = dict(obj.get("status") or {})
        if current.get("observedGeneration") == generation:
            return None
        revisions = list(current.get("revisions") or [])
        if new_revision is not None and all(int(r["revision"]) != new_revision for r in revisions):
            revisions.insert(0, {"revision": new_revision, "status": "ACTIVE", "registeredAt": _stamp(now)})
        revisions = with_deregistrations(
            revisions,
            list(spec.get("deregisteredRevisions") or []),
            _stamp(now),
            list(spec.get("deletedRevisions") or []),
        )
        revisions.sort(key=lambda r: -int(r["revision"]))
        out: Obj = {"observedGeneration": generation, "revisions": revisions}
        if revisions:
            out["revision"] = int(revisions[0]["revision"])
        out["conditions"] = set_condition(
            current.get("conditions") or [],
            type="Ready",
            status=not problems,
            reason=event[0],
            message=event[1],
            now=now,
            generation=generation,
        )
        return out

    objects.update_status(TASK_DEFINITIONS, family, compute, namespace=namespace, current=body)
    return event


def _deleting(status: Any, **_: Any) -> bool:
    return any(r.get("status") == "DELETE_IN_PROGRESS" for r in (status or {}).get("revisions") or [])


def purge(body: Obj) -> list[int]:
    """Purge the family's DELETE_IN_PROGRESS revisions nothing uses any more; returns them."""
    meta = body["metadata"]
    family, namespace = meta["name"], meta["namespace"]
    revisions = (body.get("status") or {}).get("revisions") or []
    if not _deleting(body.get("status")):
        return []
    used = references(objects.list_objects(TASKS, namespace), objects.list_objects(SERVICES, namespace))
    gone = purgeable(family, revisions, used)
    for revision in gone:
        ktaskdefs.delete_revision(namespace, family, revision)

    def compute(obj: Obj) -> Obj | None:
        current = list((obj.get("status") or {}).get("revisions") or [])
        kept = [
            r for r in current if not (int(r["revision"]) in gone and r.get("status") == "DELETE_IN_PROGRESS")
        ]
        return None if len(kept) == len(current) else {"revisions": kept}

    if gone:
        objects.update_status(TASK_DEFINITIONS, family, compute, namespace=namespace, current=body)
    return gone


def report_bad(body: Obj, message: str) -> None:
    """Ready=False with the reason: the previous revisions stay usable, nothing is registered."""
    meta = body.get("metadata") or {}

    def compute(obj: Obj) -> Obj | None:
        conditions = set_condition(
            (obj.get("status") or {}).get("conditions") or [],
            type="Ready",
            status=False,
            reason="InvalidTaskDefinition",
            message=message,
            now=_now(),
            generation=meta.get("generation"),
        )
        return (
            None if conditions == (obj.get("status") or {}).get("conditions") else {"conditions": conditions}
        )

    objects.update_status(TASK_DEFINITIONS, meta["name"], compute, namespace=meta["namespace"], current=body)
    warn_once(body, "InvalidTaskDefinition", message)


@kopf.on.event(GROUP, VERSION, "ecstaskdefinitions")
@reports_bad_input("EcsTaskDefinition", report_bad)
def task_definition_changed(body: kopf.Body, type: str, **_: Any) -> None:
    if type == "DELETED":
        return
    event = register(objects.plain(body))
    if event is None:  # registration is up to date (its own status write brings another event)
        _purged(body, purge(objects.plain(body)))
    if event is not None:
        reason, message = event
        if reason == "InvalidTaskDefinition":
            kopf.warn(body, reason=reason, message=message)
        elif reason == "Registered":
            kopf.event(body, type="Normal", reason=reason, message=message)


@kopf.timer(GROUP, VERSION, "ecstaskdefinitions", interval=30, initial_delay=5, when=_deleting)
def task_definition_purge_tick(body: kopf.Body, **_: Any) -> None:
    """DELETE_IN_PROGRESS revisions whose last task stopped since the family's last event."""
    _purged(body, purge(objects.plain(body)))


def _purged(body: kopf.Body, gone: list[int]) -> None:
    if gone:
        family = body["metadata"]["name"]
        listed = ", ".join(f"{family}:{r}" for r in gone)
        kopf.event(body, type="Normal", reason="Deleted", message=f"Deleted task definition {listed}.")


@kopf.on.event(GROUP, VERSION, "ecstaskdefinitions")
async def family_seen(name: str, namespace: str | None, type: str | None, body: kopf.Body, **_: Any) -> None:
    """Each family's revisions, for the resolver (`task_launch._cached_family`); on the event loop."""
    status = objects.plain(dict(body.get("status") or {}))
    meta = {"name": name, "generation": body.metadata.get("generation")}
    copy = None if type == "DELETED" else {"metadata": meta, "status": status}
    task_launch.remember_family(str(namespace), name, copy)
