"""Task retirement and Fargate task recycling (ecs-semantics §7), as a pure plan.

Two causes retire a running task:

- its node carries ``ecs-operator.dev/retirement-date: <RFC 3339>`` (the host is going away);
  from the moment the date appears the node's container instance is DRAINING
  (``reconcile.instances``), so services replace their tasks elsewhere, start first, and nothing
  new is placed there;
- it is a FARGATE task launched on a platform revision other than the cluster's current
  ``fargate.platformRevision`` (a task launched while the cluster named none counts as on an old
  revision); its date is when the change was first seen plus ``taskRetirementWaitPeriodDays``
  (0, 7 or 14).

The date a task will be retired is written on the EcsTask as the same annotation: it is the
notice (a Warning event goes with it), the memory of when the platform change was seen, and what
the service scheduler reads to replace a service task before the date. A task whose causes are
gone (the node's annotation removed, the revision set back) loses the annotation.

At the date, ECS stops standalone tasks and never replaces them: ``desiredStatus: STOPPED``,
``stopCode: ServiceSchedulerInitiated``, ``stoppedReason`` :data:`MAINTENANCE_REASON`. Every task
still on a retiring node at its date is stopped the same way, service tasks included (the host is
gone; the service starts a replacement). A service task whose only cause is the platform revision
is left to its service, which replaces it within its deployment configuration (ECS: "service
tasks need no action"), so that the replacement starts first even with a wait period of 0.

| task                 | cause          | at notice                         | at the date            |
|----------------------|----------------|-----------------------------------|------------------------|
| standalone           | node, platform | annotation + Warning event        | stopped (maintenance)  |
| of a service         | node           | annotation + event; instance      | stopped (maintenance)  |
|                      |                | DRAINING: replaced, start first   |                        |
| of a service         | platform only  | annotation + event; replaced by   | left to the service    |
|                      |                | the service scheduler             |                        |

A spot interruption is the same machinery with a short date: a node annotated
``ecs-operator.dev/spot-interruption: <RFC 3339 deadline>`` (ECS's two-minute warning, set by
whatever watches the cloud's interruption notices) is DRAINING at once, its tasks get the notice
(the same task annotation, a Warning event), services replace them elsewhere, and at the deadline
every task still there is stopped with ``stopCode: SpotInterruption`` and ECS's reason
:data:`SPOT_REASON`. When a node carries both, the interruption wins (it is the earlier end).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ecs_operator.names import TIME_FORMAT

MAINTENANCE_REASON = "ECS is performing maintenance on the underlying infrastructure hosting the task"
STOP_CODE = "ServiceSchedulerInitiated"
SPOT_REASON = "Your Spot Task was interrupted."
SPOT_STOP_CODE = "SpotInterruption"


def parse_date(text: str | None) -> datetime | None:
    """An RFC 3339 time with a zone ("2026-12-01T10:00:00Z"); None when absent or malformed."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def format_date(moment: datetime) -> str:
    return moment.strftime(TIME_FORMAT)


@dataclass(frozen=True)
class TaskView:
    """What retirement needs to know of one task (from the EcsTask, through a watch index)."""

    name: str
    namespace: str
    uid: str
    launch_type: str = "EC2"
    node: str | None = None
    """The node of its container instance; None while not placed."""
    launched: bool = False
    """Its pod was created (so its platform revision is recorded, or was never named)."""
    platform_revision: str | None = None
    service: str | None = None
    retirement_date: str | None = None
    """The annotation as it is on the task now."""
    wanted: bool = True
    """Desired RUNNING and not STOPPED."""


@dataclass(frozen=True)
class Notice:
    task: TaskView
    date: datetime
    cause: str
    first: bool
    """A first notice (False: the date moved)."""
    spot: bool = False
    """The notice of a spot interruption (ECS's two-minute warning)."""


@dataclass(frozen=True)
class Stop:
    task: TaskView
    cause: str
    spot: bool = False
    """A spot interruption (stopCode SpotInterruption), not a retirement."""

    @property
    def stop_code(self) -> str:
        return SPOT_STOP_CODE if self.spot else STOP_CODE

    @property
    def reason(self) -> str:
        return SPOT_REASON if self.spot else MAINTENANCE_REASON


@dataclass(frozen=True)
class RetirementPlan:
    notices: list[Notice] = field(default_factory=list)
    cancels: list[TaskView] = field(default_factory=list)
    stops: list[Stop] = field(default_factory=list)


@dataclass(frozen=True)
class Platform:
    """The cluster's Fargate platform revision and its retirement wait period."""

    revision: str | None = None
    wait_days: int = 7


def plan_retirement(
    tasks: Sequence[TaskView],
    node_dates: Mapping[str, datetime],
    platform: Platform,
    now: datetime,
    spot_deadlines: Mapping[str, datetime] | None = None,
) -> RetirementPlan:
    """What to annotate, un-annotate and stop now. ``node_dates``: retiring nodes and their dates;
    ``spot_deadlines``: interrupted spot nodes and the end of their two-minute warning."""
    plan = RetirementPlan()
    for task in tasks:
        if not task.wanted or task.node is None:
            continue
        deadline = (spot_deadlines or {}).get(task.node)
        if deadline is not None:
            _interrupt(plan, task, deadline, now)
            continue
        node_date = node_dates.get(task.node)
        old_platform = (
            task.launch_type == "FARGATE"
            and task.launched
            and platform.revision is not None
            and task.platform_revision != platform.revision
        )
        existing = parse_date(task.retirement_date)
        if node_date is None and not old_platform:
            if task.retirement_date is not None:
                plan.cancels.append(task)
            continue
        causes = []
        if node_date is not None:
            causes.append(f"its node {task.node} is being retired")
        if old_platform:
            causes.append(
                f"Fargate platform revision {task.platform_revision or '(unnamed)'} is retired; "
                f"the cluster now runs {platform.revision}"
            )
        cause = " and ".join(causes)
        if old_platform:
            candidates = [now + timedelta(days=platform.wait_days)]
            candidates += [d for d in (existing, node_date) if d is not None]
            date = min(candidates)
        else:
            assert node_date is not None
            date = node_date  # follows the node: the date may be moved either way
        if existing is None or existing != date:
            plan.notices.append(Notice(task, date, cause, first=existing is None))
        if date <= now and (node_date is not None or task.service is None):
            plan.stops.append(Stop(task, cause))
    return plan


def _interrupt(plan: RetirementPlan, task: TaskView, deadline: datetime, now: datetime) -> None:
    """A task on an interrupted spot node: the notice once, then the stop at the deadline."""
    cause = f"its spot node {task.node} is interrupted"
    existing = parse_date(task.retirement_date)
    if existing is None or existing != deadline:
        plan.notices.append(Notice(task, deadline, cause, first=existing is None, spot=True))
    if deadline <= now:
        plan.stops.append(Stop(task, cause, spot=True))
