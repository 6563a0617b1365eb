"""Container instances from nodes: what an EcsContainerInstance's status should say (pure).

ECS registers an EC2 instance with its attributes and resources; here a Node plays the instance.
`desired_instance_status` derives the operator-owned status fields from the node, the pods on it
that the operator does not manage, the instance's spec (custom attributes, desired state) and its
current status (the claim ledger, registeredAt). It never touches the claims: those belong to the
schedulers and are only carried over to compute the remaining resources.

Mapping (architecture.md §1, api.md):

- attributes (built-in), from node labels: topology.kubernetes.io/zone → ecs.availability-zone,
  node.kubernetes.io/instance-type → ecs.instance-type, kubernetes.io/os → ecs.os-type (and
  ecs.os-family), kubernetes.io/arch → ecs.cpu-architecture (amd64 → x86_64);
- ec2InstanceId: the node's name;
- registeredResources: allocatable (cores × 1024 CPU units, MiB) minus the requests of pods the
  operator does not manage; ports: the ECS agent's reserved ports plus host ports those pods hold;
- agentConnected: node condition Ready == True;
- launchType: FARGATE for a node of the cluster's `fargate.nodeSelector` (it wins when both
  selectors match: a node that hosts isolated Fargate pods must not also take EC2 tasks), EC2 for
  a node of `nodeSelector`; the placement engine keeps each launch type on its own capacity;
- status: INACTIVE if the node is gone or no longer selected; DRAINING if spec.status is DRAINING,
  the node is cordoned, or the node carries a retirement date (`ecs-operator.dev/retirement-date`,
  ecs-semantics §7: from the notice on, service tasks are replaced elsewhere and nothing new is
  placed there); else ACTIVE.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ecs_operator.api.units import cpu_quantity_to_units, memory_quantity_to_mib
from ecs_operator.names import CLUSTER_LABEL as CLUSTER_LABEL
from ecs_operator.names import RETIREMENT_ANNOTATION as RETIREMENT_ANNOTATION
from ecs_operator.names import SPOT_INTERRUPTION_ANNOTATION as SPOT_INTERRUPTION_ANNOTATION
from ecs_operator.names import TASK_UID_LABEL, TIME_FORMAT
from ecs_operator.reconcile.provisioning import PLACEHOLDER_LABEL
from ecs_operator.reconcile.selectors import matches

# The ECS agent reserves these TCP ports on Linux (ecs-semantics §6.2).
RESERVED_TCP_PORTS: tuple[int, ...] = (22, 2375, 2376, 51678, 51679)
MANAGED_LABEL = TASK_UID_LABEL  # a pod with this label is a task's pod


ZONE_LABEL = "topology.kubernetes.io/zone"
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"
OS_LABEL = "kubernetes.io/os"
ARCH_LABEL = "kubernetes.io/arch"
_ARCH = {"amd64": "x86_64", "arm64": "arm64"}


@dataclass(frozen=True)
class ForeignUsage:
    """What pods not managed by the operator take from a node."""

    cpu: int = 0
    memory: int = 0
    ports: frozenset[int] = frozenset()
    ports_udp: frozenset[int] = frozenset()


def instance_name(cluster: str, node: str) -> str:
    """EcsContainerInstance names are `<cluster>.<node>` (api.md)."""
    return f"{cluster}.{node}"


def selected_launch_type(cluster_spec: Mapping[str, Any], labels: Mapping[str, str]) -> str | None:
    """FARGATE, EC2, or None: what capacity a node with ``labels`` is for the cluster.

    ``spec.nodeSelector`` absent selects no node (the cluster has no EC2 capacity);
    ``spec.fargate`` with no ``nodeSelector`` takes every node the EC2 selector leaves.
    """
    ec2 = matches(cluster_spec.get("nodeSelector"), labels)
    fargate = cluster_spec.get("fargate")
    if fargate is not None:
        selector = fargate.get("nodeSelector")
        if matches(selector, labels) or (selector is None and not ec2):
            return "FARGATE"
    return "EC2" if ec2 else None


def node_retiring(node: Mapping[str, Any] | None) -> bool:
    """Whether the node carries a retirement date or a spot interruption deadline (any value: a
    malformed one is reported elsewhere); either drains its container instances."""
    annotations = (node or {}).get("metadata", {}).get("annotations") or {}
    return bool(annotations.get(RETIREMENT_ANNOTATION) or annotations.get(SPOT_INTERRUPTION_ANNOTATION))


def node_ready(node: Mapping[str, Any]) -> bool:
    for cond in node.get("status", {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return bool(cond.get("status") == "True")
    return False


def builtin_attributes(node: Mapping[str, Any]) -> list[dict[str, str]]:
    """The ECS built-in attributes a node's well-known labels give."""
    labels: Mapping[str, str] = node.get("metadata", {}).get("labels") or {}
    attrs: dict[str, str] = {}
    if zone := labels.get(ZONE_LABEL):
        attrs["ecs.availability-zone"] = zone
    if itype := labels.get(INSTANCE_TYPE_LABEL):
        attrs["ecs.instance-type"] = itype
    os_type = labels.get(OS_LABEL) or node.get("status", {}).get("nodeInfo", {}).get("operatingSystem")
    if os_type:
        attrs["ecs.os-type"] = os_type
        attrs["ecs.os-family"] = "LINUX" if os_type == "linux" else "WINDOWS_SERVER"
    arch = labels.get(ARCH_LABEL) or node.get("status", {}).get("nodeInfo", {}).get("architecture")
    if arch:
        attrs["ecs.cpu-architecture"] = _ARCH.get(arch, arch)
    return [{"name": k, "value": v} for k, v in sorted(attrs.items())]


def foreign_usage(pods: Iterable[Mapping[str, Any]], cluster: str | None = None) -> ForeignUsage:
    """Sum the requests and host ports of the live pods that this cluster's claims do not cover.

    Task pods of *this* cluster are accounted by its claims; everything else on the node (pods the
    operator does not manage, and task pods of another cluster selecting the same node) is not.
    """
    cpu = memory = 0
    ports: set[int] = set()
    udp: set[int] = set()
    for pod in pods:
        labels = pod.get("metadata", {}).get("labels") or {}
        if MANAGED_LABEL in labels and (cluster is None or labels.get(CLUSTER_LABEL) == cluster):
            continue
        if PLACEHOLDER_LABEL in labels:  # a waiting task's request for a node, not usage (`provisioning`)
            continue
        if pod.get("status", {}).get("phase") in ("Succeeded", "Failed"):
            continue
        for c in pod.get("spec", {}).get("containers") or []:
            req = (c.get("resources") or {}).get("requests") or {}
            cpu += cpu_quantity_to_units(str(req["cpu"]), round_up=True) if "cpu" in req else 0
            memory += memory_quantity_to_mib(str(req["memory"]), round_up=True) if "memory" in req else 0
            for p in c.get("ports") or []:
                if p.get("hostPort"):
                    (udp if p.get("protocol") == "UDP" else ports).add(int(p["hostPort"]))
    return ForeignUsage(cpu, memory, frozenset(ports), frozenset(udp))


def registered_resources(node: Mapping[str, Any], usage: ForeignUsage) -> dict[str, Any]:
    alloc = node.get("status", {}).get("allocatable") or {}
    cpu = cpu_quantity_to_units(str(alloc.get("cpu", "0"))) - usage.cpu
    memory = memory_quantity_to_mib(str(alloc.get("memory", "0"))) - usage.memory
    return {
        "cpu": max(cpu, 0),
        "memory": max(memory, 0),
        "ports": sorted(set(RESERVED_TCP_PORTS) | usage.ports),
        "portsUdp": sorted(usage.ports_udp),
    }


def remaining_resources(registered: Mapping[str, Any], claims: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Registered minus claims; ports list what is taken (ECS reports ports in use)."""
    cpu, memory = int(registered.get("cpu", 0)), int(registered.get("memory", 0))
    ports, udp = set(registered.get("ports") or []), set(registered.get("portsUdp") or [])
    for claim in claims:
        cpu -= int(claim.get("cpu", 0))
        memory -= int(claim.get("memory", 0))
        ports |= set(claim.get("ports") or [])
        udp |= set(claim.get("portsUdp") or [])
    return {"cpu": cpu, "memory": memory, "ports": sorted(ports), "portsUdp": sorted(udp)}


def instance_state(spec: Mapping[str, Any], node: Mapping[str, Any] | None, selected: bool) -> str:
    if node is None or not selected:
        return "INACTIVE"
    if spec.get("status") == "DRAINING" or node.get("spec", {}).get("unschedulable") or node_retiring(node):
        return "DRAINING"
    return "ACTIVE"


def desired_instance_status(
    *,
    spec: Mapping[str, Any],
    status: Mapping[str, Any],
    node: Mapping[str, Any] | None,
    selected: bool,
    usage: ForeignUsage,
    now: datetime,
    launch_type: str | None = None,
) -> dict[str, Any]:
    """The operator-owned status of one container instance (claims are carried, never changed).

    ``launch_type`` is what the node is selected as now; None (deselected) keeps the last one.
    """
    state = instance_state(spec, node, selected)
    claims = list(status.get("claims") or [])
    out: dict[str, Any] = {"status": state}
    if launch_type is not None:
        out["launchType"] = launch_type
    if node is None:
        out["agentConnected"] = False
        return out
    custom = [
        {"name": a["name"], **({"value": a["value"]} if a.get("value") else {})}
        for a in spec.get("attributes") or []
    ]
    registered = registered_resources(node, usage)
    kubelet = str(node.get("status", {}).get("nodeInfo", {}).get("kubeletVersion") or "")
    out.update(
        {
            "agentConnected": node_ready(node),
            "ec2InstanceId": node["metadata"]["name"],
            "registeredAt": status.get("registeredAt") or now.strftime(TIME_FORMAT),
            "attributes": builtin_attributes(node) + custom,
            "registeredResources": registered,
            "remainingResources": remaining_resources(registered, claims),
            # ECS counts tasks whose *desired* status is RUNNING; a claim is held exactly by those.
            "runningTasksCount": len(claims),
        }
    )
    if kubelet[:1] == "v" and kubelet[1:2].isdigit():
        out["agentVersion"] = kubelet[1:]
    return out


def changed(current: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any] | None:
    """The subset of `desired` that differs from `current`, or None when nothing would change."""
    diff = {k: v for k, v in desired.items() if current.get(k) != v}
    return diff or None
