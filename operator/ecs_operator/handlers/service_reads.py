"""Where a service pass reads its service and its tasks: the watch (Kopf indexes of compact views),
or the API server when a decision must not rest on a view that may lag.

Why: a pass used to GET its service and LIST its tasks (twice) on every task event; with a
thousand tasks filling, that was three round trips and a thousand bodies per status write of
any task. The watch already delivers every change, so the indexes below keep each service and
each service task as a compact view (no managedFields, no Kopf's bookkeeping annotations), and an
observing pass (counts, deployments, events) costs no read at all.

A watch may lag behind this process's own writes, and a pass that acts on a lagging view could
start a task twice or stop one too many. So (`handlers.services._one_pass`):

- a pass whose plan starts or stops a task reads the service and its tasks from the API server
  before it acts (one GET and one LIST, only when there is something to do): the plan stands if
  the watch showed exactly those versions (`same`), else the pass plans again from what it read;
- the service is read through `Reads.service`, which prefers this process's last status write of
  it while the watch still shows the version that write replaced (read your own writes: the write
  was a compare-and-swap on exactly that version, so nothing else came between);
- a 409 always re-reads from the API server.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import kopf

from ecs_operator.kube import objects
from ecs_operator.kube.errors import NotFound
from ecs_operator.kube.objects import SERVICES, TASKS, Obj
from ecs_operator.names import GROUP, KOPF_PREFIX, VERSION
from ecs_operator.reconcile.taskbody import SERVICE_LABEL

_KEPT_METADATA = (
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "finalizers",
    "labels",
    "ownerReferences",
)
_KOPF_PREFIXES = (f"{KOPF_PREFIX}/", "kopf.zalando.org/")

Key = tuple[str, str]
"""(namespace, service name)."""


def compact(body: Mapping[str, Any]) -> Obj:
    """What a pass reads of an object: its metadata without managedFields or Kopf's bookkeeping
    annotations (a last-handled-configuration repeats the whole spec), its spec and status."""
    meta = body.get("metadata") or {}
    kept: Obj = {k: copy.deepcopy(meta[k]) for k in _KEPT_METADATA if k in meta}
    annotations = {
        k: v for k, v in (meta.get("annotations") or {}).items() if not k.startswith(_KOPF_PREFIXES)
    }
    if annotations:
        kept["annotations"] = annotations
    return {
        "metadata": kept,
        "spec": copy.deepcopy(dict(body.get("spec") or {})),
        "status": copy.deepcopy(dict(body.get("status") or {})),
    }


@kopf.index(GROUP, VERSION, "ecstasks", labels={SERVICE_LABEL: kopf.PRESENT})
async def service_tasks(
    namespace: str | None, labels: kopf.Labels, body: kopf.Body, **_: Any
) -> dict[Key, Obj]:
    """Each service's tasks, by (namespace, service)."""
    return {(str(namespace), str(labels[SERVICE_LABEL])): compact(body)}


@kopf.index(GROUP, VERSION, "ecsservices")
async def service_objects(namespace: str | None, name: str, body: kopf.Body, **_: Any) -> dict[Key, Obj]:
    """Each service, by (namespace, name)."""
    return {(str(namespace), name): compact(body)}


_written: dict[Key, tuple[str, Obj]] = {}
_guard = threading.Lock()


def wrote(service: Obj, written: Obj | None) -> None:
    """This process wrote `written` over `service` (a compare-and-swap on its resourceVersion)."""
    if written is None:
        return
    meta = service["metadata"]
    with _guard:
        _written[(meta["namespace"], meta["name"])] = (str(meta["resourceVersion"]), compact(written))


def forget(key: Key) -> None:
    with _guard:
        _written.pop(key, None)


@dataclass(frozen=True)
class Reads:
    """The indexes a pass reads (None: read from the API server)."""

    services: kopf.Index[Key, Obj] | None = None
    tasks: kopf.Index[Key, Obj] | None = None

    @property
    def cached(self) -> bool:
        return self.services is not None and self.tasks is not None

    def service(self, namespace: str, name: str) -> Obj | None:
        """The service (None: it is gone)."""
        key = (namespace, name)
        seen = _first(self.services.get(key, ())) if self.services is not None else None
        if seen is None:
            try:
                return objects.get(SERVICES, name, namespace)
            except NotFound:
                forget(key)
                return None
        with _guard:
            mine = _written.get(key)
            if mine is not None and mine[0] != seen["metadata"].get("resourceVersion"):
                del _written[key]  # the watch caught up with the write (or went past it)
                mine = None
        return copy.deepcopy(mine[1]) if mine is not None else copy.deepcopy(seen)

    def tasks_of(self, namespace: str, name: str) -> list[Obj]:
        if self.tasks is None:
            return objects.list_objects(TASKS, namespace=namespace, label_selector=f"{SERVICE_LABEL}={name}")
        # Not copied: a pass only reads its tasks (writes go to the API server), and Kopf replaces
        # an index's values rather than editing them.
        return list(self.tasks.get((namespace, name), ()))


def same(service: Obj, tasks: list[Obj], other: Obj, other_tasks: list[Obj]) -> bool:
    """The same versions of the service and of the same tasks (the plan made on one holds on the other)."""

    def versions(objs: list[Obj]) -> set[tuple[str, str]]:
        return {(o["metadata"]["name"], str(o["metadata"].get("resourceVersion"))) for o in objs}

    rv = service["metadata"].get("resourceVersion")
    return rv == other["metadata"].get("resourceVersion") and versions(tasks) == versions(other_tasks)


API = Reads()
"""Read everything from the API server."""


def _first(store: Iterable[Obj]) -> Obj | None:
    return next(iter(store), None)
