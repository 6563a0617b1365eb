"""`kubectl ecs explain-placement`: why a task would or would not go on each instance (pure).

It asks the operator's own engine (``placement.explain``) with the operator's own request: the
revision snapshot with the task's overrides (``reconcile.launch.effective_task``) turned into a
placement request (``reconcile.launch.task_request``), over the cluster's EcsContainerInstances
(``placement.snapshot_from_objects``). For an existing task the random tie-break is seeded with the
task's uid, as the operator seeds it, so "would place on" is the instance the operator would pick
from this snapshot. A task that is already placed is explained as if it were being placed now:
its own claim is left out of the snapshot.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ecs_operator.placement import Explanation, explain, snapshot_from_objects
from ecs_operator.reconcile.launch import effective_task, task_request


@dataclass(frozen=True)
class ExplainInput:
    """What to explain: a task (existing or hypothetical) of a revision, in a cluster."""

    cluster: str
    family: str
    revision: int
    snapshot: Mapping[str, Any]
    task: str
    uid: str
    spec: Mapping[str, Any]
    seed: int | str


def without_claim(instances: Sequence[Mapping[str, Any]], uid: str) -> list[dict[str, Any]]:
    """The instance objects with ``uid``'s claim removed (an already placed task, explained anew)."""
    out = []
    for obj in instances:
        status = dict(obj.get("status") or {})
        claims = [c for c in status.get("claims") or [] if c.get("taskUid") != uid]
        out.append({**obj, "status": {**status, "claims": claims}})
    return out


def explain_task(inp: ExplainInput, instances: Sequence[Mapping[str, Any]]) -> Explanation:
    """The engine's explanation; ValueError (ECS wording) when the overrides or placement are invalid."""
    effective = effective_task(inp.family, inp.revision, inp.snapshot, inp.spec.get("overrides"))
    request = task_request(
        effective,
        name=inp.task,
        uid=inp.uid,
        group=str(inp.spec.get("group") or f"family:{inp.family}"),
        launch_type=str(inp.spec.get("launchType") or "EC2"),
        spec=inp.spec,
    )
    snapshot = snapshot_from_objects(without_claim(instances, inp.uid), cluster=inp.cluster)
    return explain(snapshot, request, random.Random(inp.seed))


def explanation_view(explanation: Explanation, cluster: str, task_definition: str) -> dict[str, Any]:
    """The explanation as a document (-o json/yaml)."""
    instances = []
    for verdict in explanation.verdicts:
        entry: dict[str, Any] = {"name": verdict.instance, "result": "pass"}
        if verdict.rejection is not None:
            entry = {
                "name": verdict.instance,
                "result": str(verdict.rejection.reason),
                "check": explanation.checks[verdict.passed],
                "detail": verdict.rejection.detail,
            }
        instances.append(entry)
    view: dict[str, Any] = {
        "task": explanation.task,
        "cluster": cluster,
        "taskDefinition": task_definition,
        "instances": instances,
        "strategies": [{"strategy": s.strategy, "kept": list(s.kept)} for s in explanation.steps],
        "wouldPlaceOn": explanation.chosen,
    }
    if explanation.failure is not None:
        view["stoppedReason"] = explanation.failure.stopped_reason()
        view["failures"] = [
            {"reason": str(f.reason), "detail": f.detail} for f in explanation.failure.failures
        ]
    return view


def explanation_text(explanation: Explanation, cluster: str, task_definition: str, note: str = "") -> str:
    head = f"cluster {cluster}, task definition {task_definition}"
    body = explanation.render()
    return "\n".join(part for part in (head, note, body) if part)
