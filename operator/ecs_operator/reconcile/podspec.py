"""The pod of one task (pure): an EcsTask becomes exactly one pod, bound to its instance's node.

Mapping from ECS (README "What differs from ECS" lists what Kubernetes cannot express):

- name: `<family>-<task uid>`, so a retry can never create a second pod; owner: the EcsTask.
- `spec.nodeName` is the chosen instance's node: the operator is the scheduler, kube-scheduler
  is bypassed; `restartPolicy: Never` (an ECS container is not restarted in place).
- resources: container `cpu` units → CPU request (units / 1024 cores); `memoryReservation` (soft)
  → memory request, `memory` (hard) → memory limit. Task-level cpu/memory not covered by the
  containers go to the first essential container, so the pod requests what the claim holds.
- ports: `containerPort`, and `hostPort` (static, or the dynamic one recorded in the claim, in
  bridge mode; equal to the container port in host mode, which also sets `hostNetwork`).
- `entryPoint` → `command`, `command` → `args`; `environment` → env; `secrets` ("secret:key")
  → env from a Kubernetes Secret; `workingDirectory` → `workingDir`.
- `healthCheck` → a readiness probe running the same command (CMD-SHELL via `sh -c`), with
  interval, timeout and retries as period, timeout and failure threshold.
- `stopTimeout` → `terminationGracePeriodSeconds` (the longest of the containers, default 30 s):
  SIGTERM, then SIGKILL when it expires, as `docker stop` does.
- `dependsOn`: containers are ordered so that a container comes after those it depends on
  (Kubernetes starts them in that order but does not wait for START/HEALTHY/COMPLETE/SUCCESS).
- `user` ("uid" or "uid:gid") → `runAsUser`/`runAsGroup`.
- agent disconnect: ECS leaves the tasks of an instance whose agent disconnected alone (they keep
  their last status and are not replaced unless the instance is deregistered). The pod tolerates
  the node controller's `not-ready` and `unreachable` NoExecute taints without a time limit, so
  Kubernetes does not evict it after its default 300 s (`DISCONNECT_TOLERATIONS`).
- FARGATE: the pod is its own isolation boundary (`reconcile.isolation.isolate`): the cluster's
  RuntimeClass, Guaranteed resources that add up to the task size, the restricted security
  context, no host namespaces, no service account token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ecs_operator.api.meta import owner_reference
from ecs_operator.api.units import mib_to_memory_quantity, units_to_cpu_quantity
from ecs_operator.names import (
    CLUSTER_LABEL,
    FAMILY_LABEL,
    GROUP_ANNOTATION,
    GROUP_LABEL,
    REVISION_LABEL,
    TASK_DEFINITION_ANNOTATION,
    TASK_LABEL,
)
from ecs_operator.reconcile.instances import MANAGED_LABEL
from ecs_operator.reconcile.isolation import FargateSettings, isolate, user_ids
from ecs_operator.reconcile.launch import EffectiveTask

DEFAULT_STOP_TIMEOUT = 30
DISCONNECT_TOLERATIONS: tuple[dict[str, str], ...] = tuple(
    {"key": f"node.kubernetes.io/{taint}", "operator": "Exists", "effect": "NoExecute"}
    for taint in ("not-ready", "unreachable")
)
"""No `tolerationSeconds`: the DefaultTolerationSeconds admission plugin would otherwise add 300 s."""


def pod_name(family: str, uid: str) -> str:
    """Deterministic from the task uid; at most 253 characters (a DNS subdomain)."""
    return f"{family[: 253 - len(uid) - 1]}-{uid}"


def label_value(text: str) -> str:
    """A label-safe rendering of e.g. a task group ('family:web' → 'family.web')."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "." for ch in text)[:63]
    return safe.strip("-_.") or "none"


def _probe(health: Mapping[str, Any]) -> dict[str, Any]:
    command = list(health.get("command") or [])
    kind, rest = (command[0], command[1:]) if command else ("CMD", [])
    exec_cmd = ["sh", "-c", " ".join(rest)] if kind == "CMD-SHELL" else rest
    return {
        "exec": {"command": exec_cmd},
        "periodSeconds": int(health.get("interval", 30)),
        "timeoutSeconds": int(health.get("timeout", 5)),
        "failureThreshold": int(health.get("retries", 3)),
        "successThreshold": 1,
    }


def _env(container: Mapping[str, Any]) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = [
        {"name": e["name"], "value": e.get("value") or ""} for e in container.get("environment") or []
    ]
    for secret in container.get("secrets") or []:
        name, _, key = str(secret["valueFrom"]).partition(":")
        env.append(
            {
                "name": secret["name"],
                "valueFrom": {"secretKeyRef": {"name": name, "key": key or secret["name"]}},
            }
        )
    return env


def _ports(
    container: Mapping[str, Any], network_mode: str, dynamic: list[int], dynamic_udp: list[int]
) -> list[dict[str, Any]]:
    out = []
    for m in container.get("portMappings") or []:
        protocol = str(m.get("protocol") or "tcp").upper()
        port: dict[str, Any] = {"containerPort": int(m["containerPort"]), "protocol": protocol}
        host = int(m.get("hostPort") or 0)
        if network_mode == "host":
            port["hostPort"] = host or port["containerPort"]
        elif network_mode == "bridge":
            pool = dynamic_udp if protocol == "UDP" else dynamic
            port["hostPort"] = host or (pool.pop(0) if pool else 0)
            if not port["hostPort"]:
                del port["hostPort"]
        out.append(port)
    return out


def _order(containers: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Dependencies first, otherwise the definition's order (a stable topological sort)."""
    by_name = {c["name"]: c for c in containers}
    done: list[Mapping[str, Any]] = []
    seen: set[str] = set()

    def visit(c: Mapping[str, Any]) -> None:
        if c["name"] in seen:
            return
        seen.add(c["name"])
        for dep in c.get("dependsOn") or []:
            if dep["containerName"] in by_name:
                visit(by_name[dep["containerName"]])
        done.append(c)

    for c in containers:
        visit(c)
    return done


def _resources(container: Mapping[str, Any], extra_cpu: int, extra_memory: int) -> dict[str, Any]:
    requests: dict[str, str] = {}
    limits: dict[str, str] = {}
    cpu = int(container.get("cpu") or 0) + extra_cpu
    soft = container.get("memoryReservation")
    hard = container.get("memory")
    if cpu:
        requests["cpu"] = units_to_cpu_quantity(cpu)
    reserve = int(soft if soft is not None else (hard or 0)) + extra_memory
    if reserve:
        requests["memory"] = mib_to_memory_quantity(reserve)
    if hard is not None:
        limits["memory"] = mib_to_memory_quantity(max(int(hard), reserve))
    return {k: v for k, v in (("requests", requests), ("limits", limits)) if v}


def build_pod(
    *,
    task: EffectiveTask,
    task_name: str,
    namespace: str,
    task_uid: str,
    cluster: str,
    group: str,
    node_name: str,
    claim_ports: Sequence[int] = (),
    claim_ports_udp: Sequence[int] = (),
    extra_labels: Mapping[str, str] | None = None,
    fargate: FargateSettings | None = None,
) -> dict[str, Any]:
    """The pod manifest of a placed task. `claim_ports` hold the host ports committed with the claim.

    `fargate` (the cluster's Fargate settings) makes it the pod of a FARGATE task.
    """
    static = {
        int(m["hostPort"]) for c in task.containers for m in c.get("portMappings") or [] if m.get("hostPort")
    }
    dynamic = [p for p in claim_ports if p not in static]
    dynamic_udp = [p for p in claim_ports_udp if p not in static]
    extra_cpu = max((task.task_cpu or 0) - sum(int(c.get("cpu") or 0) for c in task.containers), 0)
    declared_memory = sum(int(c.get("memoryReservation") or c.get("memory") or 0) for c in task.containers)
    extra_memory = max((task.task_memory or 0) - declared_memory, 0)
    first_essential = next((c["name"] for c in task.containers if c.get("essential", True)), None)
    containers = []
    for c in _order(task.containers):
        first = c["name"] == first_essential
        spec: dict[str, Any] = {
            "name": c["name"],
            "image": c["image"],
            "resources": _resources(c, extra_cpu if first else 0, extra_memory if first else 0),
        }
        if c.get("entryPoint"):
            spec["command"] = list(c["entryPoint"])
        if c.get("command"):
            spec["args"] = list(c["command"])
        if c.get("workingDirectory"):
            spec["workingDir"] = c["workingDirectory"]
        if env := _env(c):
            spec["env"] = env
        if ports := _ports(c, task.network_mode, dynamic, dynamic_udp):
            spec["ports"] = ports
        if c.get("healthCheck"):
            spec["readinessProbe"] = _probe(c["healthCheck"])
        uid, gid = user_ids(c.get("user"))
        if uid is not None:
            spec["securityContext"] = {"runAsUser": uid, **({"runAsGroup": gid} if gid is not None else {})}
        containers.append(spec)
    grace = max(
        (int(c.get("stopTimeout") or DEFAULT_STOP_TIMEOUT) for c in task.containers),
        default=DEFAULT_STOP_TIMEOUT,
    )
    labels = {
        MANAGED_LABEL: task_uid,
        TASK_LABEL: label_value(task_name),
        CLUSTER_LABEL: label_value(cluster),
        GROUP_LABEL: label_value(group),
        FAMILY_LABEL: label_value(task.family),
        REVISION_LABEL: str(task.revision),
        **(extra_labels or {}),
    }
    pod_spec: dict[str, Any] = {
        "nodeName": node_name,
        "restartPolicy": "Never",
        "terminationGracePeriodSeconds": grace,
        "containers": containers,
        "enableServiceLinks": False,
        "tolerations": [dict(t) for t in DISCONNECT_TOLERATIONS],
    }
    if task.network_mode == "host":
        pod_spec["hostNetwork"] = True
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": pod_name(task.family, task_uid),
            "namespace": namespace,
            "labels": labels,
            "annotations": {
                GROUP_ANNOTATION: group,
                TASK_DEFINITION_ANNOTATION: task.reference,
            },
            "ownerReferences": [owner_reference("EcsTask", task_name, task_uid)],
        },
        "spec": pod_spec,
    }
    if fargate is None:
        return pod
    if task.task_cpu is None or task.task_memory is None:
        raise ValueError("a FARGATE task has a task-level cpu and memory")
    return isolate(
        pod,
        containers=task.containers,
        task_cpu=task.task_cpu,
        task_memory=task.task_memory,
        settings=fargate,
    )
