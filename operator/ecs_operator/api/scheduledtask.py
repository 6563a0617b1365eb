"""ScheduledTask: an EventBridge Scheduler schedule whose target is RunTask.

Why only the shape of the expression is checked here: admission can see that a cron() has six
fields with exactly one `?`, or that rate() agrees in number, but not whether a cron() ever fires
or a time zone exists; the schedules/ parser reports those in status.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from ecs_operator.api.cel import fargate_rules, rule, validations
from ecs_operator.api.common import (
    MAX_CONSTRAINTS,
    MAX_STRATEGIES,
    CapacityProviderStrategyItem,
    K8sName,
    LaunchType,
    PlacementConstraint,
    PlacementStrategy,
    TaskDefinitionRef,
    TaskGroup,
    capacity_provider_strategy_field,
    launch_type_or_strategy_rule,
)
from ecs_operator.api.conditions import Condition, conditions_field
from ecs_operator.api.meta import AGE, KindInfo, PrinterColumn, Resource, SpecModel, StatusModel
from ecs_operator.api.overrides import TaskOverride
from ecs_operator.api.task import Failure

_CRON = r"^cron[(][^ ]+ [^ ]+ ([?] [^ ]+ [^ ?][^ ]*|[^ ?][^ ]* [^ ]+ [?]) [^ ]+[)]$"
_RATE = r"^rate[(](1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))[)]$"
_AT = r"^at[(][0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[)]$"


class ScheduleState(StrEnum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


class FlexibleTimeWindowMode(StrEnum):
    OFF = "OFF"
    FLEXIBLE = "FLEXIBLE"


class FlexibleTimeWindow(
    SpecModel,
    json_schema_extra=validations(
        rule(
            "self.mode != 'FLEXIBLE' || has(self.maximumWindowInMinutes)",
            "MaximumWindowInMinutes is required when the flexible time window mode is FLEXIBLE.",
            field_path=".maximumWindowInMinutes",
            reason="FieldValueRequired",
        )
    ),
):
    """Spreads invocations over a window after the scheduled time (ecs-semantics §9.4)."""

    mode: FlexibleTimeWindowMode = Field(
        description='OFF: run at the scheduled time. FLEXIBLE: within the window. Quote "OFF" in YAML.'
    )
    maximum_window_in_minutes: int | None = Field(
        default=None, ge=1, le=1440, description="FLEXIBLE: the window length in minutes, 1-1440 (required)."
    )


class RetryPolicy(SpecModel):
    """How long and how often a failed launch is retried, with exponential backoff."""

    maximum_retry_attempts: int = Field(default=185, ge=0, le=185, description="Retries: 0-185, default 185.")
    maximum_event_age_in_seconds: int = Field(
        default=86400,
        ge=60,
        le=86400,
        description="Give up after this many seconds: 60-86400, default 86400.",
    )


class ScheduledTaskTarget(
    SpecModel, json_schema_extra=validations(*fargate_rules(), launch_type_or_strategy_rule())
):
    """The RunTask call made at each invocation (Scheduler EcsParameters)."""

    task_definition: TaskDefinitionRef = Field(
        description="family:revision, or family for its latest ACTIVE revision."
    )
    task_count: int = Field(
        default=1, ge=1, le=10, description="Tasks started per invocation: 1-10, default 1."
    )
    launch_type: LaunchType | None = Field(
        default=None,
        description="EC2 or FARGATE. Excludes capacityProviderStrategy; with neither, the cluster's "
        "defaultCapacityProviderStrategy applies, and without one EC2.",
    )
    capacity_provider_strategy: list[CapacityProviderStrategyItem] | None = capacity_provider_strategy_field(
        "Capacity providers for the tasks of each invocation (as RunTask). Excludes launchType."
    )
    group: TaskGroup | None = Field(
        default=None, description="Task group of the tasks; default family:<family>. At most 255 characters."
    )
    placement_strategy: list[PlacementStrategy] = Field(
        default_factory=list, max_length=MAX_STRATEGIES, description="At most 5 strategies; default random."
    )
    placement_constraints: list[PlacementConstraint] = Field(
        default_factory=list,
        max_length=MAX_CONSTRAINTS,
        description="Hard constraints; at most 10 together with the task definition's.",
    )
    overrides: TaskOverride | None = Field(
        default=None, description="Overrides applied to every task started."
    )


class ScheduledTaskSpec(
    SpecModel,
    json_schema_extra=validations(
        rule(
            "!has(self.startDate) || !has(self.endDate) || self.startDate < self.endDate",
            "endDate must be after startDate.",
            field_path=".endDate",
        )
    ),
):
    """The desired state of a schedule."""

    cluster: K8sName = Field(description="The EcsCluster the tasks run in.")
    schedule_expression: str = Field(
        min_length=1,
        max_length=256,
        description="cron(minutes hours day-of-month month day-of-week year), rate(value unit) with unit "
        "minute(s), hour(s) or day(s), or at(yyyy-mm-ddThh:mm:ss) for one run.",
        json_schema_extra=validations(
            rule(
                "self.matches('^(cron|rate|at)[(].*[)]$')",
                "scheduleExpression must be cron(...), rate(...) or at(...).",
            ),
            rule(
                f"!self.startsWith('cron(') || self.matches('{_CRON}')",
                "cron() takes six fields (minutes hours day-of-month month day-of-week year), and "
                "exactly one of day-of-month and day-of-week must be ?.",
            ),
            rule(
                f"!self.startsWith('rate(') || self.matches('{_RATE}')",
                "rate() takes a positive integer and a unit of minute, hour or day: singular when the value "
                "is 1, plural otherwise.",
            ),
            rule(f"!self.startsWith('at(') || self.matches('{_AT}')", "at() takes yyyy-mm-ddThh:mm:ss."),
        ),
    )
    schedule_expression_timezone: str = Field(
        default="UTC",
        min_length=1,
        max_length=50,
        pattern=r"^[A-Za-z0-9_+/-]+$",
        description="IANA time zone of cron() and at(), e.g. Europe/Berlin. Default UTC.",
    )
    start_date: datetime | None = Field(default=None, description="No invocation before this time (UTC).")
    end_date: datetime | None = Field(default=None, description="No invocation after this time (UTC).")
    state: ScheduleState = Field(default=ScheduleState.ENABLED, description="ENABLED (default) or DISABLED.")
    flexible_time_window: FlexibleTimeWindow = Field(
        default_factory=lambda: FlexibleTimeWindow(mode=FlexibleTimeWindowMode.OFF),
        description="Flexible time window; default mode OFF.",
    )
    retry_policy: RetryPolicy = Field(
        default_factory=RetryPolicy, description="Retries of a failed launch; default 185 over 24 hours."
    )
    target: ScheduledTaskTarget = Field(description="The tasks to run at each invocation.")


class ScheduledRun(StatusModel):
    """The outcome of the most recent invocation."""

    scheduled_time: datetime | None = Field(default=None, description="The time it was scheduled for.")
    launched_at: datetime | None = Field(default=None, description="When the tasks were created.")
    tasks: list[str] = Field(default_factory=list, description="Names of the EcsTasks it created.")
    failures: list[Failure] = Field(default_factory=list, description="Why tasks could not be started.")


class ScheduledTaskStatus(StatusModel):
    """What the operator observed about the schedule."""

    last_schedule_time: datetime | None = Field(default=None, description="When it last fired.")
    next_schedule_time: datetime | None = Field(default=None, description="When it fires next.")
    last_run: ScheduledRun | None = Field(default=None, description="The most recent invocation.")
    conditions: list[Condition] = conditions_field()


class ScheduledTask(Resource):
    """A ScheduledTask object."""

    kind: str = "ScheduledTask"
    spec: ScheduledTaskSpec = Field(description="Desired state.")
    status: ScheduledTaskStatus = Field(default_factory=ScheduledTaskStatus, description="Observed state.")


def parse_scheduled_task(body: Mapping[str, Any]) -> ScheduledTask:
    """Parse a raw ScheduledTask object (a dict, or a Kopf `Body`)."""
    return ScheduledTask.from_body(body)


SCHEDULED_TASK = KindInfo(
    kind="ScheduledTask",
    plural="scheduledtasks",
    singular="scheduledtask",
    short_names=("ecssched",),
    scope="Namespaced",
    resource=ScheduledTask,
    spec=ScheduledTaskSpec,
    status=ScheduledTaskStatus,
    description="A scheduled ECS task: RunTask on a cron(), rate() or at() schedule (EventBridge Scheduler).",
    columns=(
        PrinterColumn("Schedule", "string", ".spec.scheduleExpression", "The schedule expression."),
        PrinterColumn("State", "string", ".spec.state", "ENABLED or DISABLED."),
        PrinterColumn("Last", "date", ".status.lastScheduleTime", "Time since it last fired."),
        PrinterColumn("Next", "string", ".status.nextScheduleTime", "When it fires next."),
        AGE,
    ),
)
