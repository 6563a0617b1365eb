"""The ECS placement engine: a pure library, used by the operator and by custom schedulers.

It answers the question ECS answers on RunTask and for a service: given the container instances
of a cluster and a task, which instance gets it, and if none, why. Candidates → resources → hard
constraints → strategies in order → a seeded random tie-break (architecture.md §4). It imports
neither kopf nor kubernetes: feed it the EcsContainerInstance objects however you read them.

A custom scheduler (issue 3) reads the instances, places N tasks, and commits each placement as
an ``EcsTask`` with ``spec.containerInstance`` (and the claim, with the resourceVersion it read)::

    import random
    from ecs_operator.placement import make_task, place, snapshot_from_objects

    snapshot = snapshot_from_objects(objects, cluster="prod")  # EcsContainerInstance dicts
    request = (
        make_task("default/batch-1")
        .group("family:batch")
        .cpu(512)
        .memory(1024)
        .strategy("spread", "attribute:ecs.availability-zone")
        .strategy("binpack", "memory")
        .member_of("attribute:ecs.instance-type =~ m5.*")
        .build()
    )
    result = place(snapshot, request, count=3, rng=random.Random(42))
    for placement in result.placements:                  # commit: EcsTask + claim, per placement
        claim = placement.claim.rekeyed("<uid of the EcsTask>", "default/batch-1")
        print(placement.instance, claim.cpu, claim.memory)
    if result.failure is not None:                       # fewer than 3 fit
        print(result.failure.stopped_reason())           # TaskFailedToStart: RESOURCE:MEMORY
        for failure in result.failure.failures:          # failures[] as RunTask reports them
            print(failure.reason, failure.detail)
        print(result.failure.service_message("batch"))   # the ECS service event wording

``explain(snapshot, request)`` shows every instance's verdict and what each strategy kept;
``choose_tasks_to_stop`` picks the tasks a service stops when it scales in.
"""

from .builders import InstanceBuilder, TaskBuilder, make_cluster, make_instance, make_task
from .explain import Explanation, explain
from .objects import SnapshotError, instance_from_object, snapshot_from_objects
from .pipeline import (
    Placement,
    PlacementEngine,
    PlacementResult,
    StrategyStep,
    check,
    effective_strategies,
    place,
)
from .reasons import NO_INSTANCES, Failure, FailureReason, PlacementFailure, Rejection, Verdict
from .request import NetworkMode, TaskRequest
from .scale_in import StopChoice, choose_tasks_to_stop
from .snapshot import (
    AVAILABILITY_ZONE,
    CPU_ARCHITECTURE,
    EPHEMERAL_PORTS,
    INSTANCE_TYPE,
    OS_TYPE,
    Claim,
    ClusterSnapshot,
    InstanceSnapshot,
    InstanceStatus,
    LaunchType,
)
from .spec import (
    MAX_CONSTRAINTS,
    MAX_EXPRESSION_LENGTH,
    MAX_STRATEGIES,
    ConstraintType,
    PlacementConstraint,
    PlacementSpecError,
    PlacementStrategy,
    StrategyType,
    TaskKind,
    binpack,
    constraints_from_spec,
    default_strategies,
    distinct_instance,
    member_of,
    random_strategy,
    spread,
    strategies_from_spec,
)
from .stages import FeasibilityCheck, InstanceCheck, Strategy
from .taskdef import HostPorts, Reservation, host_ports_from_containers, resources_from_containers

__all__ = [
    "AVAILABILITY_ZONE",
    "CPU_ARCHITECTURE",
    "EPHEMERAL_PORTS",
    "INSTANCE_TYPE",
    "MAX_CONSTRAINTS",
    "MAX_EXPRESSION_LENGTH",
    "MAX_STRATEGIES",
    "NO_INSTANCES",
    "OS_TYPE",
    "Claim",
    "ClusterSnapshot",
    "ConstraintType",
    "Explanation",
    "Failure",
    "FailureReason",
    "FeasibilityCheck",
    "HostPorts",
    "InstanceBuilder",
    "InstanceCheck",
    "InstanceSnapshot",
    "InstanceStatus",
    "LaunchType",
    "NetworkMode",
    "Placement",
    "PlacementConstraint",
    "PlacementEngine",
    "PlacementFailure",
    "PlacementResult",
    "PlacementSpecError",
    "PlacementStrategy",
    "Rejection",
    "Reservation",
    "SnapshotError",
    "StopChoice",
    "Strategy",
    "StrategyStep",
    "StrategyType",
    "TaskBuilder",
    "TaskKind",
    "TaskRequest",
    "Verdict",
    "binpack",
    "check",
    "choose_tasks_to_stop",
    "constraints_from_spec",
    "default_strategies",
    "distinct_instance",
    "effective_strategies",
    "explain",
    "host_ports_from_containers",
    "instance_from_object",
    "make_cluster",
    "make_instance",
    "make_task",
    "member_of",
    "place",
    "random_strategy",
    "resources_from_containers",
    "snapshot_from_objects",
    "spread",
    "strategies_from_spec",
]
