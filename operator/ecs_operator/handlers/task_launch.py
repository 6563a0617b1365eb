"""RunTask and StartTask: place a task, commit its claim, then create its pod.

The order is the protocol of architecture.md §2 and `reconcile.ledger`: plan on a snapshot (the
watch cache of the cluster's container instances), commit the claim with the instance's
resourceVersion (409: re-read that instance and re-check the fit, bounded), then record the
placement on the task with the task's resourceVersion (`record_placement`: never over a placement
someone else recorded; the loser releases its claim), and only then create the pod. Every step is
idempotent, so a crash between two steps is repaired by the next event: a committed claim is found
again by the task's uid and adopted, and the pod's name is derived from that uid.

A task with a capacity provider strategy (its own, or the cluster's default when it names no
launch type) first gets its provider (`reconcile.capacity`: base first, then weight; a service's
tasks arrive with the one provider the service assigned); placement then sees only that provider's
instances, and the provider is recorded as `status.capacityProviderName`.

A FARGATE task is checked against Fargate's rules before placement (`reconcile.launch.task_request`
raises `FargateIncompatible` with ECS's message), and lands only on Fargate instances; before its
pod, the cluster's platform revision is recorded in its status and its NetworkPolicy is created.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from ecs_operator.handlers import snapshots
from ecs_operator.handlers.instances import cluster_spec
from ecs_operator.kube import claims, networkpolicies, nodes, objects, pods
from ecs_operator.kube import taskdefs as ktaskdefs
from ecs_operator.kube.errors import NotFound
from ecs_operator.kube.objects import CAPACITY_PROVIDERS, CLUSTERS, TASK_DEFINITIONS, TASKS, Obj
from ecs_operator.lifecycle import ContainerSpec, HealthCheckTiming
from ecs_operator.lifecycle.observation import parse_time
from ecs_operator.names import SERVICE_LABEL, TIME_FORMAT
from ecs_operator.placement import (
    Claim,
    ClusterSnapshot,
    PlacementSpecError,
    TaskKind,
    TaskRequest,
    check,
    place,
    snapshot_from_objects,
)
from ecs_operator.placement.capacity import BUILT_IN, StrategyError, choose
from ecs_operator.reconcile.capacity import (
    NOT_ASSOCIATED,
    associated,
    effective_strategy,
    launch_type_of,
    provider_launch_type,
    serves,
    termination_protection,
)
from ecs_operator.reconcile.isolation import FargateSettings, network_policy
from ecs_operator.reconcile.launch import EffectiveTask, effective_task, task_request
from ecs_operator.reconcile.ledger import Taken, placement_patch
from ecs_operator.reconcile.podspec import build_pod, pod_name
from ecs_operator.reconcile.taskdefs import ResolveError, parse_ref, resolve

PLAN_ROUNDS = 3
# Objects applied together (kubectl apply -f dir/, GitOps) may arrive in any order: a task whose
# task definition is not registered yet waits this long before failing with MISSING.
REGISTRATION_GRACE = timedelta(seconds=60)


class NotYet(Exception):
    """The task definition is not registered yet; try again shortly."""


class LaunchFailed(Exception):
    """The task cannot start: it ends STOPPED with TaskFailedToStart and these failures."""

    def __init__(self, reason: str, failures: list[dict[str, str]]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.failures = failures


class Unplaced(LaunchFailed):
    """Placement found no instance of the task's capacity (`provider`: its capacity provider, None
    without a strategy); a provider with managed scaling makes the task wait (`reconcile.provisioning`)."""

    def __init__(self, reason: str, failures: list[dict[str, str]], provider: str | None) -> None:
        super().__init__(reason, failures)
        self.provider = provider


class PlacedElsewhere(Exception):
    """Another scheduler recorded the task's placement first, or the task stopped meanwhile."""

    def __init__(self, taken: Taken) -> None:
        super().__init__(f"placed on {taken.instance}" if not taken.stopped else "stopped")
        self.taken = taken


@dataclass(frozen=True)
class Launched:
    """A committed (or adopted) claim; `others`: instances holding further claims of the task."""

    instance: Obj
    claim: dict[str, Any]
    task: EffectiveTask
    others: tuple[str, ...] = ()
    capacity_provider: str | None = None


@dataclass(frozen=True)
class Capacity:
    """The capacity a task is placed on: its launch type and, with a strategy, its provider."""

    launch_type: str
    provider: str | None = None
    keep: Callable[[Obj], bool] = lambda _: True

    def of(self, instances: list[Obj]) -> list[Obj]:
        """The instances of the provider (all of them without a strategy)."""
        return [i for i in instances if self.keep(i)]


def now() -> datetime:
    return datetime.now(UTC)


def stamp(moment: datetime) -> str:
    return moment.strftime(TIME_FORMAT)


@lru_cache(maxsize=4096)
def _revision(namespace: str, family: str, revision: int) -> str:
    """Revisions are immutable, so their snapshots are cached for the life of the process."""
    import json

    return json.dumps(ktaskdefs.read_revision(namespace, family, revision)[0])


def revision_snapshot(namespace: str, family: str, revision: int) -> dict[str, Any]:
    import json

    return dict(json.loads(_revision(namespace, family, revision)))


def resolve_task(task: Obj) -> EffectiveTask:
    """The task's effective definition: its revision with the task's overrides applied.

    The one resolver of a task's definition (RunTask, services, schedules, the CLI, the task
    planner): a placed task's is the revision it was placed with (``status.taskDefinition``, an
    immutable snapshot, cached); an unplaced task's is its ``spec.taskDefinition`` resolved now
    (a family alone: its latest ACTIVE revision). `NotYet` while a young task's definition is
    still being registered; `LaunchFailed` when it cannot be resolved.
    """
    meta, spec = task["metadata"], task["spec"]
    namespace = meta["namespace"]
    recorded = (task.get("status") or {}).get("taskDefinition")
    try:
        if recorded:
            placed = parse_ref(str(recorded))
            if placed.revision is not None:
                snapshot = revision_snapshot(namespace, placed.family, placed.revision)
                return effective_task(placed.family, placed.revision, snapshot, spec.get("overrides"))
        ref = parse_ref(str(spec["taskDefinition"]))
        young = now() - (parse_time(meta.get("creationTimestamp")) or now()) < REGISTRATION_GRACE
        family_obj = _cached_family(namespace, ref.family, ref.revision)
        if family_obj is None:
            try:
                family_obj = objects.get(TASK_DEFINITIONS, ref.family, namespace)
            except NotFound:
                if young:
                    raise NotYet(str(ref)) from None
                raise ResolveError("MISSING", f"TaskDefinition not found: {ref}.") from None
        family_status = family_obj.get("status") or {}
        pending = family_status.get("observedGeneration") != family_obj["metadata"].get("generation")
        try:
            revision = resolve(ref, family_status.get("revisions") or [])
        except ResolveError:
            if young and (pending or not family_status.get("revisions")):
                raise NotYet(str(ref)) from None
            raise
        snapshot = revision_snapshot(namespace, ref.family, revision)
        return effective_task(ref.family, revision, snapshot, spec.get("overrides"))
    except ResolveError as exc:
        raise LaunchFailed(
            f"TaskFailedToStart: {exc.reason}", [{"reason": exc.reason, "detail": exc.detail}]
        ) from exc
    except ValueError as exc:
        raise LaunchFailed(f"TaskFailedToStart: {exc}", [{"reason": "INVALID", "detail": str(exc)}]) from exc


# Task definition families as the watch last delivered them (`handlers.taskdefs.family_seen`).
_families: dict[tuple[str, str], Obj] = {}


def remember_family(namespace: str, family: str, obj: Obj | None) -> None:
    """The family as the watch delivered it (None: deleted)."""
    if obj is None:
        _families.pop((namespace, family), None)
    else:
        _families[(namespace, family)] = obj


def _cached_family(namespace: str, family: str, revision: int | None) -> Obj | None:
    """The family from the watch, for a reference that names a revision the watch has shown.

    Why: a service's tasks name their revision, and the GET of the family per task launch was
    18 % of the handler threads' time in a fill of 1,000 tasks (py-spy, issue 15). Only then:
    a family's latest revision ("web" alone) is read from the API server, so a revision
    registered a moment ago is never missed by a watch that has not delivered it yet; a revision
    the watch does not show is read too.
    """
    if revision is None:
        return None
    cached = _families.get((namespace, family))
    revisions = ((cached or {}).get("status") or {}).get("revisions") or []
    return cached if any(int(r.get("revision", 0)) == revision for r in revisions) else None


def container_specs(task: EffectiveTask) -> list[ContainerSpec]:
    out = []
    for c in task.containers:
        hc = c.get("healthCheck")
        timing = None
        if hc:
            timing = HealthCheckTiming(
                interval=int(hc.get("interval", 30)),
                timeout=int(hc.get("timeout", 5)),
                retries=int(hc.get("retries", 3)),
                start_period=int(hc.get("startPeriod") or 0),
            )
        out.append(
            ContainerSpec(name=c["name"], essential=bool(c.get("essential", True)), health_check=timing)
        )
    return out


def group_of(task: Obj, effective: EffectiveTask) -> str:
    return str(task["spec"].get("group") or f"family:{effective.family}")


def cluster_spec_of(cluster: str) -> dict[str, Any]:
    spec = cluster_spec(cluster)
    if spec is None:
        try:
            spec = objects.get(CLUSTERS, cluster).get("spec") or {}
        except NotFound:
            spec = {}
    return spec


def capacity(task: Obj) -> Capacity:
    """The task's launch type and, under a capacity provider strategy, its provider and instances.

    A standalone task goes to the provider ECS would give the first task of a RunTask (the base
    provider, else the largest weight); a service's tasks carry the provider the service chose.
    """
    spec = task["spec"]
    cluster = cluster_spec_of(str(spec["cluster"]))
    try:
        strategy = effective_strategy(spec, cluster)
    except StrategyError as exc:
        raise LaunchFailed(f"TaskFailedToStart: {exc}", [{"reason": "INVALID", "detail": str(exc)}]) from exc
    if strategy is None:
        return Capacity(launch_type_of(spec, None))
    provider = choose(strategy, {})
    if not associated(provider, cluster):
        raise LaunchFailed(
            f"TaskFailedToStart: {NOT_ASSOCIATED}",
            [{"arn": provider, "reason": "INVALID", "detail": NOT_ASSOCIATED}],
        )
    selector: dict[str, Any] | None = None
    if provider not in BUILT_IN:
        try:
            selector = objects.get(CAPACITY_PROVIDERS, provider).get("spec", {}).get("nodeSelector") or {}
        except NotFound:
            detail = f"The capacity provider {provider} does not exist."
            raise LaunchFailed(
                "TaskFailedToStart: MISSING", [{"arn": provider, "reason": "MISSING", "detail": detail}]
            ) from None
    labels = nodes.labels_by_name()

    def keep(inst: Obj) -> bool:
        kind = str((inst.get("status") or {}).get("launchType") or "EC2")
        return serves(provider, selector, kind, labels.get(str(inst["spec"].get("nodeName")), {}))

    return Capacity(provider_launch_type(provider), provider, keep)


def _request(task: Obj, effective: EffectiveTask, launch_type: str | None = None) -> TaskRequest:
    meta, spec = task["metadata"], task["spec"]
    group = group_of(task, effective)
    # A service's tasks get the service defaults (spread across zones) when they carry no strategy.
    kind = TaskKind.SERVICE if group.startswith("service:") else TaskKind.STANDALONE
    try:
        return task_request(
            effective,
            name=f"{meta['namespace']}/{meta['name']}",
            uid=meta["uid"],
            group=group,
            launch_type=launch_type or str(spec.get("launchType") or "EC2"),
            spec=spec,
            kind=kind,
        )
    except (PlacementSpecError, ValueError) as exc:
        raise LaunchFailed(f"TaskFailedToStart: {exc}", [{"reason": "INVALID", "detail": str(exc)}]) from exc


def _choose(
    snapshot: ClusterSnapshot, request: TaskRequest, target: str | None, rng: random.Random
) -> tuple[str, Claim]:
    """The instance and the claim to commit there (dynamic host ports already assigned)."""
    if target is not None:  # StartTask: the caller chose; no strategy, but fit and memberOf still apply
        try:
            verdict = check(snapshot, request, target)
        except KeyError:
            raise LaunchFailed("TaskFailedToStart: MISSING", [{"arn": target, "reason": "MISSING"}]) from None
        if not verdict.feasible:
            rejection = verdict.rejection
            reason = str(rejection.reason) if rejection else "ATTRIBUTE"
            detail = rejection.detail if rejection else ""
            raise LaunchFailed(
                f"TaskFailedToStart: {reason}", [{"arn": target, "reason": reason, "detail": detail}]
            )
        snapshot = ClusterSnapshot((snapshot.instance(target),))
    result = place(snapshot, request, 1, rng)
    if result.failure is not None:
        failure = result.failure
        raise LaunchFailed(failure.stopped_reason(), [f.to_object() for f in failure.failures])
    return result.placements[0].instance, result.placements[0].claim


def _commit(
    task: Obj, effective: EffectiveTask, request: TaskRequest, current: Obj, chosen: Claim
) -> Launched:
    """Commit `chosen` on the instance `current` (CAS; 409 re-checks the fit on the fresh copy)."""
    meta, cluster = task["metadata"], task["spec"]["cluster"]
    name = current["metadata"]["name"]
    claim = {**chosen.to_object(), "taskUid": meta["uid"], "task": f"{meta['namespace']}/{meta['name']}"}

    def recheck(obj: Obj) -> str | None:
        verdict = check(snapshot_from_objects([obj], cluster=cluster), request, name)
        return None if verdict.feasible else str(verdict.rejection)

    committed = claims.commit(name, claim, recheck, current=current)
    snapshots.remember(committed)  # the next placement in this process must see this claim
    return Launched(committed, claim, effective)


def recommit(task: Obj, inst: Obj) -> Launched:
    """Commit again the claim of a task placed on `inst` whose claim is missing from the ledger.

    `LaunchFailed` when it no longer fits there: the task cannot start uncounted.
    """
    effective = resolve_task(task)
    request = _request(task, effective, (inst.get("status") or {}).get("launchType"))
    snapshot = snapshot_from_objects([inst], cluster=task["spec"]["cluster"])
    _, chosen = _choose(snapshot, request, inst["metadata"]["name"], random.Random(task["metadata"]["uid"]))
    try:
        return _commit(task, effective, request, inst, chosen)
    except claims.NoLongerFits as exc:
        raise LaunchFailed(
            f"TaskFailedToStart: {exc.reason}", [{"arn": exc.instance, "reason": exc.reason}]
        ) from exc


def record_placement(task: Obj, fields: dict[str, Any]) -> Obj:
    """Write the placement (`fields`, with containerInstance) by compare-and-swap on the task.

    A 409 re-reads the task and decides again (`reconcile.ledger.placement_patch`): a write that
    changed something else is retried, a placement recorded by someone else is never overwritten
    (`PlacedElsewhere`; the caller releases its own claim).
    """

    def compute(obj: Obj) -> Obj | None:
        decision = placement_patch(obj.get("status") or {}, fields)
        if isinstance(decision, Taken):
            raise PlacedElsewhere(decision)
        return decision or None

    meta = task["metadata"]
    written = objects.update_status(TASKS, meta["name"], compute, namespace=meta["namespace"], current=task)
    assert written is not None
    return written


def fargate_settings(cluster: str) -> FargateSettings:
    """The cluster's Fargate settings, from the watch (read from the API server if not seen yet)."""
    spec = cluster_spec(cluster)
    if spec is None:
        try:
            spec = objects.get(CLUSTERS, cluster).get("spec") or {}
        except NotFound:
            spec = {}
    return FargateSettings.from_cluster_spec(spec)


def record_platform_revision(task: Obj, revision: str | None) -> None:
    """status.platformRevision: the cluster's revision when the task is launched, written once."""
    if revision is None:
        return

    def compute(obj: Obj) -> Obj | None:
        status = obj.get("status") or {}
        if status.get("platformRevision") or status.get("lastStatus") == "STOPPED":
            return None
        return {"platformRevision": revision}

    meta = task["metadata"]
    objects.update_status(TASKS, meta["name"], compute, namespace=meta["namespace"], current=task)


def create_pod(task: Obj, effective: EffectiveTask, instance: Obj, claim: dict[str, Any]) -> Obj:
    """The task's pod; for a FARGATE task its platform revision and NetworkPolicy come first."""
    meta, spec = task["metadata"], task["spec"]
    fargate = None
    if (instance.get("status") or {}).get("launchType") == "FARGATE":  # launchType or a FARGATE provider
        fargate = fargate_settings(str(spec["cluster"]))
        recorded = (task.get("status") or {}).get("platformRevision")
        if recorded:  # the pod of a task launched earlier: the revision it was launched on
            fargate = replace(fargate, platform_revision=str(recorded))
        record_platform_revision(task, fargate.platform_revision)
        networkpolicies.ensure(
            meta["namespace"],
            network_policy(
                name=pod_name(effective.family, meta["uid"]),
                namespace=meta["namespace"],
                task_name=meta["name"],
                task_uid=meta["uid"],
                containers=effective.containers,
            ),
        )
    body = build_pod(
        task=effective,
        task_name=meta["name"],
        namespace=meta["namespace"],
        task_uid=meta["uid"],
        cluster=spec["cluster"],
        group=group_of(task, effective),
        node_name=instance["spec"]["nodeName"],
        claim_ports=claim.get("ports") or [],
        claim_ports_udp=claim.get("portsUdp") or [],
        extra_labels={k: v for k, v in (meta.get("labels") or {}).items() if k == SERVICE_LABEL},
        fargate=fargate,
    )
    body["metadata"]["annotations"].update(
        _protection((task.get("status") or {}).get("capacityProviderName"))
    )
    return pods.create(meta["namespace"], body)


def _protection(provider: str | None) -> dict[str, str]:
    """Managed termination protection of the task's provider, as pod annotations."""
    if not provider or provider in BUILT_IN:
        return {}
    try:
        return termination_protection(objects.get(CAPACITY_PROVIDERS, provider).get("spec"))
    except NotFound:
        return {}


def expected_pod_name(task: Obj) -> str:
    status = task.get("status") or {}
    if status.get("podName"):
        return str(status["podName"])
    ref = parse_ref(str(status.get("taskDefinition") or task["spec"]["taskDefinition"]))
    return pod_name(ref.family, task["metadata"]["uid"])
