"""The isolation boundary of a FARGATE task's pod, and its NetworkPolicy (pure).

ECS gives each Fargate task its own kernel, CPU, memory and ENI (ecs-semantics §8.1). A pod on a
shared node can only approach that; README "Fargate: what is isolated and what is not" says how
far. What this module adds to the pod of a FARGATE task (`podspec.build_pod` calls `isolate`):

- ``runtimeClassName``: the cluster's ``fargate.runtimeClassName`` when set (a sandbox runtime
  such as Kata Containers or gVisor: the only way to stop sharing the node's kernel);
- Guaranteed QoS: every container's requests equal its limits, for CPU, memory and ephemeral
  storage, and the containers together hold exactly the task's size (``fargate.container_sizes``),
  so the task neither takes more than it claimed nor is the first to be evicted;
- the restricted Pod Security Standard where the task definition allows it: seccomp
  RuntimeDefault, no privilege escalation, every capability dropped (NET_BIND_SERVICE kept, as
  the standard allows, so a server can still listen on a port below 1024), no host network, PID
  or IPC namespace, no host port, no volume at all, no service account token.
  ``runAsNonRoot`` is set only when the task definition names a non-zero numeric ``user``: ECS
  lets a Fargate container run as root (its own VM makes that safe) and many images need it, so
  forcing non-root would make ordinary task definitions fail to start. Dropping every capability
  is stricter than Fargate (which keeps Docker's default set): images that chown or switch users
  at start need a non-root variant or a ``user``;
- labels ``ecs-operator.dev/launch-type: FARGATE`` and the platform revision as an annotation.

`network_policy` is the task's own NetworkPolicy: it selects the pod by the task-uid label and
admits ingress only to the ports the containers declare (from anywhere, as a security group open
on those ports would); egress stays open. It is owned by the EcsTask, so it goes with the task.
A NetworkPolicy does nothing unless the cluster's CNI enforces it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ecs_operator.api.meta import owner_reference
from ecs_operator.api.units import mib_to_memory_quantity
from ecs_operator.names import LAUNCH_TYPE_LABEL as LAUNCH_TYPE_LABEL
from ecs_operator.names import PLATFORM_REVISION_ANNOTATION as PLATFORM_REVISION_ANNOTATION
from ecs_operator.reconcile.fargate import container_sizes, cpu_quantity
from ecs_operator.reconcile.instances import MANAGED_LABEL

KEPT_CAPABILITIES = ("NET_BIND_SERVICE",)


@dataclass(frozen=True)
class FargateSettings:
    """What the cluster's ``spec.fargate`` says about the pods of its Fargate tasks."""

    runtime_class_name: str | None = None
    platform_revision: str | None = None

    @classmethod
    def from_cluster_spec(cls, spec: Mapping[str, Any] | None) -> FargateSettings:
        fargate = (spec or {}).get("fargate") or {}
        return cls(fargate.get("runtimeClassName"), fargate.get("platformRevision"))


def user_ids(user: str | None) -> tuple[int | None, int | None]:
    """ECS ``user`` ("uid" or "uid:gid", numeric) → (runAsUser, runAsGroup)."""
    if not user:
        return None, None
    uid, _, gid = user.partition(":")
    return int(uid), int(gid) if gid else None


def container_security_context(container: Mapping[str, Any]) -> dict[str, Any]:
    """The restricted profile for one container (runAsNonRoot only with a non-zero ``user``)."""
    context: dict[str, Any] = {
        "privileged": False,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"], "add": list(KEPT_CAPABILITIES)},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    uid, gid = user_ids(container.get("user"))
    if uid is not None:
        context["runAsUser"] = uid
        if uid != 0:
            context["runAsNonRoot"] = True
    if gid is not None:
        context["runAsGroup"] = gid
    return context


def guaranteed_resources(
    containers: Sequence[Mapping[str, Any]], task_cpu: int, task_memory: int
) -> dict[str, dict[str, Any]]:
    """Container name → resources with requests == limits; the sums are the task's size."""
    out = {}
    for container, size in zip(containers, container_sizes(containers, task_cpu, task_memory), strict=True):
        amounts = {
            "cpu": cpu_quantity(size.millicores),
            "memory": mib_to_memory_quantity(size.memory_mib),
            "ephemeral-storage": mib_to_memory_quantity(size.ephemeral_mib),
        }
        out[str(container["name"])] = {"requests": dict(amounts), "limits": dict(amounts)}
    return out


def isolate(
    pod: dict[str, Any],
    *,
    containers: Sequence[Mapping[str, Any]],
    task_cpu: int,
    task_memory: int,
    settings: FargateSettings,
) -> dict[str, Any]:
    """The pod of a FARGATE task, from the one `build_pod` made (a new dict; the input is unchanged)."""
    by_name = {str(c["name"]): c for c in containers}
    resources = guaranteed_resources(containers, task_cpu, task_memory)
    spec = dict(pod["spec"])
    spec["containers"] = [
        {
            **c,
            "resources": resources[c["name"]],
            "securityContext": container_security_context(by_name[c["name"]]),
        }
        for c in spec["containers"]
    ]
    spec.update(
        hostNetwork=False,
        hostPID=False,
        hostIPC=False,
        automountServiceAccountToken=False,
        securityContext={**(spec.get("securityContext") or {}), "seccompProfile": {"type": "RuntimeDefault"}},
    )
    if settings.runtime_class_name:
        spec["runtimeClassName"] = settings.runtime_class_name
    meta = dict(pod["metadata"])
    meta["labels"] = {**meta.get("labels", {}), LAUNCH_TYPE_LABEL: "FARGATE"}
    if settings.platform_revision:
        meta["annotations"] = {
            **meta.get("annotations", {}),
            PLATFORM_REVISION_ANNOTATION: settings.platform_revision,
        }
    return {**pod, "metadata": meta, "spec": spec}


def declared_ports(containers: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every (containerPort, protocol) the containers declare, once each, sorted."""
    seen = {
        (int(m["containerPort"]), str(m.get("protocol") or "tcp").upper())
        for c in containers
        for m in c.get("portMappings") or []
    }
    return [{"port": port, "protocol": protocol} for port, protocol in sorted(seen)]


def network_policy(
    *,
    name: str,
    namespace: str,
    task_name: str,
    task_uid: str,
    containers: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The task's NetworkPolicy: ingress only to its declared ports (none declared: none), egress open."""
    ports = declared_ports(containers)
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {MANAGED_LABEL: task_uid},
            "ownerReferences": [owner_reference("EcsTask", task_name, task_uid)],
        },
        "spec": {
            "podSelector": {"matchLabels": {MANAGED_LABEL: task_uid}},
            "policyTypes": ["Ingress"],
            "ingress": [{"ports": ports}] if ports else [],
        },
    }
