"""Shapes several kinds share: placement strategies and constraints, attributes, selectors,
environment variables, references and the task-size strings.

Why one module: a placement strategy means the same in a task, a service and a scheduled task, so
its shape and its admission rules (ecs-semantics §1.2, §1.4) are written exactly once.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StringConstraints, WithJsonSchema

from ecs_operator.api.cel import Rule, rule, validations
from ecs_operator.api.meta import SpecModel
from ecs_operator.enums import LaunchType as LaunchType

MAX_STRATEGIES = 5
MAX_CONSTRAINTS = 10
MAX_EXPRESSION_LENGTH = 2000
MAX_CUSTOM_ATTRIBUTES = 10

DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"

K8sName = Annotated[str, StringConstraints(min_length=1, max_length=253, pattern=DNS_SUBDOMAIN)]
"""The name of a Kubernetes object (a DNS subdomain)."""

TaskDefinitionRef = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=264, pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(:[1-9][0-9]{0,8})?$"
    ),
]
"""`family` or `family:revision`; the family is the name of an EcsTaskDefinition."""

TaskGroup = Annotated[str, StringConstraints(min_length=1, max_length=255)]
StartedBy = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9/_-]+$")]


def _number_to_str(value: object) -> object:
    """ECS accepts task sizes as integers or strings; the model always holds the string."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


CPU_PATTERN = r"^ *([0-9]+|[0-9]*\.?[0-9]+ *[vV][cC][pP][uU]) *$"
MEMORY_PATTERN = r"^ *([0-9]+|[0-9]*\.?[0-9]+ *[gG][bB]) *$"

CpuAmount = Annotated[
    str,
    StringConstraints(max_length=32, pattern=CPU_PATTERN),
    BeforeValidator(_number_to_str),
    WithJsonSchema({"x-kubernetes-int-or-string": True, "maxLength": 32, "pattern": CPU_PATTERN}),
]
"""CPU units (1024 = 1 vCPU) as an integer or "512", or vCPUs as "0.25 vcpu" / "1 vCPU"."""

MemoryAmount = Annotated[
    str,
    StringConstraints(max_length=32, pattern=MEMORY_PATTERN),
    BeforeValidator(_number_to_str),
    WithJsonSchema({"x-kubernetes-int-or-string": True, "maxLength": 32, "pattern": MEMORY_PATTERN}),
]
"""MiB as an integer or "1024", or GB as "2 GB" / "0.5GB"."""


class PlacementStrategyType(StrEnum):
    SPREAD = "spread"
    BINPACK = "binpack"
    RANDOM = "random"


class PlacementConstraintType(StrEnum):
    MEMBER_OF = "memberOf"
    DISTINCT_INSTANCE = "distinctInstance"


class PlacementStrategy(
    SpecModel,
    json_schema_extra=validations(
        rule(
            "self.type != 'binpack' || (has(self.field) && self.field in ['cpu', 'memory'])",
            "The binpack placement strategy takes field cpu or memory.",
            field_path=".field",
        ),
        rule(
            "self.type != 'spread' || (has(self.field) && (self.field == 'instanceId' || self.field == 'host'"
            " || (self.field.startsWith('attribute:') && size(self.field) > 10)))",
            "The spread placement strategy takes field instanceId, host or attribute:<name>.",
            field_path=".field",
        ),
        rule(
            "self.type != 'random' || !has(self.field)",
            "The random placement strategy takes no field.",
            field_path=".field",
        ),
    ),
):
    """One best-effort ranking step of the placement pipeline (ecs-semantics §1.2)."""

    type: PlacementStrategyType = Field(
        description="spread balances tasks across the values of field; binpack places on the instance with "
        "the least remaining cpu or memory that still fits; random picks any candidate."
    )
    field: str | None = Field(
        default=None,
        max_length=255,
        description="spread: instanceId (alias host) or attribute:<name>, e.g. "
        "attribute:ecs.availability-zone. binpack: cpu or memory. random: not used.",
    )


class PlacementConstraint(
    SpecModel,
    json_schema_extra=validations(
        rule(
            "self.type != 'distinctInstance' || !has(self.expression)",
            "The distinctInstance placement constraint takes no expression.",
            field_path=".expression",
        ),
        rule(
            "self.type != 'memberOf' || has(self.expression)",
            "The memberOf placement constraint requires an expression.",
            field_path=".expression",
        ),
    ),
):
    """A hard placement filter (ecs-semantics §2.1)."""

    type: PlacementConstraintType = Field(
        description="distinctInstance places each task of the group on a different container instance; "
        "memberOf keeps only the instances that match expression."
    )
    expression: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_EXPRESSION_LENGTH,
        description="memberOf only: a cluster query language expression, e.g. "
        "'attribute:ecs.availability-zone in [zone-a, zone-b]'. At most 2000 characters.",
    )


ATTRIBUTE_NAME = r"^[A-Za-z0-9_./\\-]+$"
ATTRIBUTE_VALUE = r"^[A-Za-z0-9_.@/\\:-]([A-Za-z0-9_.@/\\: -]*[A-Za-z0-9_.@/\\:-])?$"


class Attribute(SpecModel):
    """A container instance attribute (ecs-semantics §2.3): a name and an optional value."""

    name: str = Field(
        min_length=1,
        max_length=128,
        pattern=ATTRIBUTE_NAME,
        description="Attribute name: 1-128 letters, digits, hyphens, underscores, periods, forward or back "
        "slashes. Built-in attributes start with ecs.",
    )
    value: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        pattern=ATTRIBUTE_VALUE,
        description="Attribute value: 1-128 letters, digits, hyphens, underscores, periods, at signs, "
        "colons, forward or back slashes and spaces (no leading or trailing space). Optional.",
    )


class SelectorOperator(StrEnum):
    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"


class SelectorRequirement(
    SpecModel,
    json_schema_extra=validations(
        rule(
            "self.operator in ['Exists', 'DoesNotExist'] ? !has(self.values) || size(self.values) == 0"
            " : has(self.values) && size(self.values) > 0",
            "values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist.",
            field_path=".values",
        ),
    ),
):
    """A Kubernetes label selector requirement."""

    key: str = Field(min_length=1, max_length=317, description="The node label key.")
    operator: SelectorOperator = Field(description="In, NotIn, Exists or DoesNotExist.")
    values: list[Annotated[str, StringConstraints(max_length=63)]] | None = Field(
        default=None, max_length=64, description="Label values for In and NotIn; empty otherwise."
    )


class LabelSelector(SpecModel):
    """A Kubernetes label selector over nodes; an empty selector matches every node."""

    match_labels: dict[str, str] | None = Field(
        default=None, description="Nodes must carry every one of these labels with exactly these values."
    )
    match_expressions: list[SelectorRequirement] | None = Field(
        default=None, max_length=64, description="Nodes must satisfy every one of these requirements."
    )


class KeyValuePair(SpecModel):
    """An environment variable."""

    name: str = Field(min_length=1, max_length=255, description="Environment variable name.")
    value: str | None = Field(default=None, max_length=32768, description="Its value; empty when absent.")


class Secret(SpecModel):
    """An environment variable whose value comes from a Kubernetes Secret."""

    name: str = Field(min_length=1, max_length=255, description="Environment variable name.")
    value_from: str = Field(
        max_length=507,
        pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?:[-._a-zA-Z0-9]+$",
        description="<secret-name>:<key> of a Secret in the task's namespace.",
    )


MAX_STRATEGY_ITEMS = 20
CAPACITY_PROVIDER_NAME = (
    r"^(FARGATE|FARGATE_SPOT|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$"
)
CapacityProviderName = Annotated[
    str, StringConstraints(min_length=1, max_length=253, pattern=CAPACITY_PROVIDER_NAME)
]
"""An EcsCapacityProvider's name, or one of the built-in FARGATE and FARGATE_SPOT."""

_FARGATE_PROVIDERS = "['FARGATE', 'FARGATE_SPOT']"
ONLY_ONE_BASE = "Only one capacity provider in a capacity provider strategy can have a base defined."
ALL_WEIGHTS_ZERO = (
    "At least one of the capacity providers in a capacity provider strategy must have a weight "
    "value greater than zero."
)
BOTH_LAUNCH_TYPE_AND_STRATEGY = (
    "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again."
)


class CapacityProviderStrategyItem(SpecModel):
    """One item of a capacity provider strategy (ECS CapacityProviderStrategyItem)."""

    capacity_provider: CapacityProviderName = Field(
        description="An EcsCapacityProvider associated with the cluster, or FARGATE / FARGATE_SPOT."
    )
    base: int = Field(
        default=0,
        ge=0,
        le=100000,
        description="0-100000: this many tasks go to this provider first. Only one item may set a base.",
    )
    weight: int = Field(
        default=0,
        ge=0,
        le=1000,
        description="0-1000: the relative share of the tasks beyond the base. 0: never used beyond its "
        "base; a strategy of several providers whose weights are all 0 is refused.",
    )


def capacity_provider_strategy_field(description: str) -> Any:
    """`capacityProviderStrategy`: 1-20 distinct items, at most one base, some weight above 0,
    Fargate providers not mixed with instance providers (ECS's rules, checked at admission)."""
    return Field(
        default=None,
        min_length=1,
        max_length=MAX_STRATEGY_ITEMS,
        description=description,
        json_schema_extra=validations(
            rule("self.filter(i, i.base > 0).size() <= 1", ONLY_ONE_BASE),
            rule("size(self) == 1 || self.exists(i, i.weight > 0)", ALL_WEIGHTS_ZERO),
            rule(
                "self.all(i, self.exists_one(j, j.capacityProvider == i.capacityProvider))",
                "A capacity provider strategy names each capacity provider at most once.",
            ),
            rule(
                f"self.all(i, i.capacityProvider in {_FARGATE_PROVIDERS})"
                f" || self.all(i, !(i.capacityProvider in {_FARGATE_PROVIDERS}))",
                "A capacity provider strategy cannot contain a mix of capacity providers using Auto "
                "Scaling groups and Fargate providers. Specify one or the other and try again.",
            ),
        ),
    )


def launch_type_or_strategy_rule() -> Rule:
    """launchType and capacityProviderStrategy exclude each other (RunTask, CreateService)."""
    return rule(
        "!has(self.launchType) || !has(self.capacityProviderStrategy)",
        BOTH_LAUNCH_TYPE_AND_STRATEGY,
        field_path=".capacityProviderStrategy",
    )
