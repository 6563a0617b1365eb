"""Whether a task can run on Fargate, and how its size is split over its containers (pure).

Why here and not only at admission: CEL refuses what one object says on its own (a FARGATE task
with placement strategies, a DAEMON FARGATE service, a FARGATE task definition in bridge mode), but
whether a *task* fits Fargate depends on the revision it resolves to and on its overrides, known
only at launch. `fargate_problems` answers with ECS's wording, first problem first (ECS reports one
ClientException per call):

1. the revision must list FARGATE in ``requiresCompatibilities``: "Task definition does not
   support launch_type FARGATE.";
2. network mode awsvpc only: "Fargate only supports network mode 'awsvpc'.";
3. the task size, after overrides, must be a row of the Fargate table (``api.fargate``);
4. no parameter Fargate refuses (``find_fargate_unsupported``);
5. no StartTask (``containerInstance``), no placement strategies or constraints, of the request
   or of the task definition.

Raised as :class:`FargateIncompatible`, which is both a ``ResolveError`` (a service reports it in
its Ready condition and a Warning event, as for a missing task definition) and a ``ValueError``
(RunTask and ``kubectl ecs explain-placement`` report it as an invalid request).

Sizes: a Fargate pod is Guaranteed QoS, so every container has requests equal to limits, and the
containers together hold exactly the task's size. `split` gives each container what it declares
(cpu; memoryReservation, else memory) and shares the rest equally among the containers that
declare nothing (all of it to the first essential container when every one declares). The
ephemeral storage of the task (ECS's default, 20 GiB) is shared equally.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ecs_operator.api.cel import FARGATE_NO_CONSTRAINTS, FARGATE_NO_STRATEGY
from ecs_operator.api.fargate import FARGATE_NETWORK_MODE, validate_fargate_size
from ecs_operator.reconcile.taskdefs import ResolveError

FARGATE: Final = "FARGATE"
NOT_COMPATIBLE = "Task definition does not support launch_type FARGATE."
NETWORK_MODE = "Fargate only supports network mode 'awsvpc'."
START_TASK = "StartTask (containerInstance) is not supported with FARGATE launch type."
EPHEMERAL_STORAGE_GIB: Final = 20
"""ECS's default ephemeral storage of a Fargate task (platform 1.4.0 and later), in GiB."""


class FargateIncompatible(ResolveError, ValueError):
    """The task cannot run on Fargate; ``detail`` is ECS's message."""

    def __init__(self, detail: str) -> None:
        super().__init__("INVALID", detail)


def fargate_problems(
    *,
    requires_compatibilities: Sequence[str],
    network_mode: str,
    task_cpu: int | None,
    task_memory: int | None,
    os_type: str | None,
    unsupported: Sequence[str],
    task_definition_constraints: Sequence[Any],
    spec: Mapping[str, Any],
) -> list[str]:
    """ECS's reasons, in ECS's order, why this task cannot run on FARGATE (empty: it can)."""
    problems: list[str] = []
    if FARGATE not in requires_compatibilities:
        problems.append(NOT_COMPATIBLE)
    if network_mode != FARGATE_NETWORK_MODE:
        problems.append(NETWORK_MODE)
    size = validate_fargate_size(task_cpu, task_memory, os_type or "linux")
    if size is not None:
        problems.append(size)
    problems += [f"{path} is not supported on Fargate." for path in unsupported]
    if spec.get("containerInstance"):
        problems.append(START_TASK)
    if spec.get("placementStrategy"):
        problems.append(FARGATE_NO_STRATEGY)
    if spec.get("placementConstraints") or task_definition_constraints:
        problems.append(FARGATE_NO_CONSTRAINTS)
    return problems


def split(total: int, declared: Sequence[int | None], first: int = 0, minimum: int = 1) -> list[int]:
    """``total`` shared over containers: each gets what it declares, the rest goes equally to those
    that declare nothing (or all to ``first`` when every one declares); none gets below ``minimum``.

    The shares always add up to ``total``: a Guaranteed pod holds exactly the task's size. When the
    declarations add up to more than ``total`` (container hard limits may, on ECS), they are scaled
    down in proportion.
    """
    if not declared:
        return []
    if total < minimum * len(declared):
        raise ValueError(f"cannot share {total} over {len(declared)} containers")
    wanted = [d or 0 for d in declared]
    if sum(wanted) > total:
        wanted = [w * total // sum(wanted) for w in wanted]
    shares = list(wanted)
    rest = total - sum(wanted)
    open_ = [i for i, d in enumerate(declared) if not d] or [first]
    for n, i in enumerate(open_):
        shares[i] += rest // len(open_) + (1 if n < rest % len(open_) else 0)
    for i, share in enumerate(shares):  # a container with no share at all: take from the largest
        if share < minimum:
            donor = max(range(len(shares)), key=lambda j: shares[j])
            shares[donor] -= minimum - share
            shares[i] = minimum
    return shares


def millicores(units: int) -> int:
    """ECS CPU units → millicores (1024 units = 1000m); exact for every Fargate task size."""
    return units * 1000 // 1024


def cpu_quantity(millis: int) -> str:
    return f"{millis // 1000}" if millis % 1000 == 0 else f"{millis}m"


@dataclass(frozen=True)
class ContainerSize:
    """One container's share of a Fargate task: requests equal limits."""

    millicores: int
    memory_mib: int
    ephemeral_mib: int


def container_sizes(
    containers: Sequence[Mapping[str, Any]], task_cpu: int, task_memory: int
) -> list[ContainerSize]:
    """Each container's share, in the task definition's order; together exactly the task's size."""
    essential = [i for i, c in enumerate(containers) if c.get("essential", True)]
    first = essential[0] if essential else 0
    cpus = split(
        millicores(task_cpu),
        [millicores(int(c["cpu"])) if c.get("cpu") else None for c in containers],
        first,
    )
    memories = split(
        task_memory,
        [c.get("memoryReservation") or c.get("memory") or None for c in containers],
        first,
        minimum=6,  # ECS's smallest container memory
    )
    storage = split(EPHEMERAL_STORAGE_GIB * 1024, [None] * len(containers), first)
    return [ContainerSize(*sizes) for sizes in zip(cpus, memories, storage, strict=True)]
