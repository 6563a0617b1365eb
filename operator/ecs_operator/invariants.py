"""The invariants of the shared state, stated once and checked by every test that can break them.

Why one module: the concurrency tests, the fault-injection suite and the unit tests of the
placement protocol must agree on what "correct" means; a checker copied into each of them drifts.
It is pure: it reads plain objects as the API returns them (container instances, tasks, pods) and
returns the violations it finds, so a test or the chaos report decides what to do with them.

Two strengths, because the protocol (architecture.md §2, `handlers.task_launch`) is optimistic:

- ``settled=False``, true at every committed resourceVersion:
  I1 the claims on an instance never exceed its registered CPU, memory or ports;
  I2 a task has at most one pod;
  I6a a pod runs on the node of the instance its task names (placement is recorded before the pod);
  I5 ``distinctInstance`` is never broken among live tasks.
- ``settled=True``, true once the operator has caught up (no fault for a while, nothing pending),
  adds:
  I2b a task has at most one claim (a scheduler that lost the race to record the placement rolls
      its claim back; until then the extra claim over-reserves, never over-commits);
  I3 every task wanted RUNNING is RUNNING, or STOPPED with a reason: nothing is lost;
  I4 no claim of a task that is STOPPED, gone, or placed on another instance (no leak);
  I6b claims and live pods match one to one: every claim of a running task has its pod on that
      instance's node, and every live pod's task holds a claim there;
  I7 nothing stays deleting (no object with a deletionTimestamp).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ecs_operator.names import TASK_UID_LABEL

Obj = dict[str, Any]


@dataclass(frozen=True)
class Violation:
    """One broken invariant: its id (I1 … I7), the object it is about, and what was seen."""

    invariant: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.invariant} {self.subject}: {self.detail}"


def _status(obj: Obj) -> Obj:
    return obj.get("status") or {}


def _name(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else str(meta.get("name"))


def _capacity(inst: Obj) -> list[Violation]:
    status, name = _status(inst), _name(inst)
    registered = status.get("registeredResources") or {}
    claims = status.get("claims") or []
    out = []
    for field in ("cpu", "memory"):
        used = sum(int(c.get(field) or 0) for c in claims)
        if registered and used > int(registered.get(field) or 0):
            out.append(
                Violation("I1", name, f"claims hold {used} {field}, registered {registered.get(field)}")
            )
    for field in ("ports", "portsUdp"):
        taken = Counter(p for c in claims for p in c.get(field) or [])
        taken.update(registered.get(field) or [])
        twice = sorted(p for p, n in taken.items() if n > 1)
        if twice:
            out.append(Violation("I1", name, f"{field} claimed twice or reserved: {twice}"))
    return out


def _distinct_instance(tasks: Iterable[Obj]) -> list[Violation]:
    seen: dict[tuple[str, str, str], str] = {}
    out = []
    for task in tasks:
        status = _status(task)
        constraints = (task.get("spec") or {}).get("placementConstraints") or []
        if status.get("lastStatus") == "STOPPED" or not status.get("containerInstance"):
            continue
        if not any(c.get("type") == "distinctInstance" for c in constraints):
            continue
        ns = task["metadata"].get("namespace", "")
        key = (ns, str(status.get("group")), str(status["containerInstance"]))
        if key in seen:
            out.append(Violation("I5", _name(task), f"shares {key[2]} with {seen[key]} (group {key[1]})"))
        else:
            seen[key] = _name(task)
    return out


def check(
    instances: Sequence[Obj], tasks: Sequence[Obj], pods: Sequence[Obj], *, settled: bool
) -> list[Violation]:
    """Every violation of the invariants above among these objects (one cluster, or several)."""
    out: list[Violation] = []
    by_uid = {t["metadata"]["uid"]: t for t in tasks}
    node_of = {i["metadata"]["name"]: (i.get("spec") or {}).get("nodeName") for i in instances}
    claims_of: dict[str, list[str]] = defaultdict(list)
    for inst in instances:
        out += _capacity(inst)
        for claim in _status(inst).get("claims") or []:
            claims_of[str(claim.get("taskUid"))].append(inst["metadata"]["name"])

    live_pods: dict[str, list[Obj]] = defaultdict(list)
    for pod in pods:
        uid = ((pod.get("metadata") or {}).get("labels") or {}).get(TASK_UID_LABEL)
        if uid:
            live_pods[uid].append(pod)
    for uid, found in live_pods.items():
        if len(found) > 1:
            out.append(Violation("I2", uid, f"{len(found)} pods: {[_name(p) for p in found]}"))
        task = by_uid.get(uid)
        placed = _status(task).get("containerInstance") if task else None
        for pod in found:
            node = (pod.get("spec") or {}).get("nodeName")
            if placed and placed in node_of and node != node_of[placed]:
                out.append(Violation("I6", _name(pod), f"on node {node}; its task names {placed}"))
    out += _distinct_instance(tasks)
    if settled:
        out += _settled(instances, tasks, claims_of, live_pods, node_of)
    return out


def _settled(
    instances: Sequence[Obj],
    tasks: Sequence[Obj],
    claims_of: dict[str, list[str]],
    live_pods: dict[str, list[Obj]],
    node_of: dict[str, Any],
) -> list[Violation]:
    out: list[Violation] = []
    by_uid = {t["metadata"]["uid"]: t for t in tasks}
    for uid, where in claims_of.items():
        task = by_uid.get(uid)
        if len(where) > 1:
            out.append(Violation("I2", uid, f"claims on {sorted(where)}"))
        if task is None:
            out.append(Violation("I4", uid, f"claim on {where} of a task that is gone"))
            continue
        status = _status(task)
        if status.get("lastStatus") == "STOPPED":
            out.append(Violation("I4", _name(task), f"STOPPED but still claims {where}"))
        elif any(w != status.get("containerInstance") for w in where):
            out.append(
                Violation("I4", _name(task), f"claims {where}, names {status.get('containerInstance')}")
            )
        elif not any(
            (p.get("spec") or {}).get("nodeName") == node_of.get(where[0]) for p in live_pods.get(uid, [])
        ):
            out.append(Violation("I6", _name(task), f"claim on {where[0]} has no pod on its node"))
    for uid, found in live_pods.items():
        task = by_uid.get(uid)
        live = [p for p in found if not (p.get("metadata") or {}).get("deletionTimestamp")]
        if live and uid not in claims_of and (task is None or _status(task).get("lastStatus") != "STOPPED"):
            out.append(Violation("I6", _name(live[0]), "pod runs with no claim"))
    for task in tasks:
        status, spec = _status(task), task.get("spec") or {}
        wanted = (
            "STOPPED" if "STOPPED" in (spec.get("desiredStatus"), status.get("desiredStatus")) else "RUNNING"
        )
        last = status.get("lastStatus")
        if wanted == "RUNNING" and last not in ("RUNNING", "STOPPED"):
            out.append(Violation("I3", _name(task), f"wanted RUNNING, is {last or 'unset'}"))
        if wanted == "STOPPED" and last != "STOPPED":
            out.append(Violation("I3", _name(task), f"stop requested, is {last or 'unset'}"))
        if last == "STOPPED" and not status.get("stoppedReason"):
            out.append(Violation("I3", _name(task), "STOPPED without a reason"))
    for obj in [*instances, *tasks]:
        if (obj.get("metadata") or {}).get("deletionTimestamp"):
            out.append(Violation("I7", _name(obj), "still deleting"))
    return out
