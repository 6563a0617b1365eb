"""Small builders for CEL validation rules (`x-kubernetes-validations`) attached to the models.

Why: the rules live next to the fields they guard (as pydantic `json_schema_extra`), so a model
and its admission rules are read and changed together; the CRD generator copies them verbatim.
Every rule says what ECS would say (its wording where ECS has one) and, where useful, the field
the error belongs to, so `kubectl apply` points at the right line.

Cost: the API server estimates each rule's worst-case cost from `maxItems`/`maxLength` bounds and
refuses a CRD whose rules could cost too much; every list or string a rule touches is bounded.
"""

from __future__ import annotations

from typing import Any

Rule = dict[str, str]


def rule(
    expr: str,
    message: str,
    *,
    field_path: str | None = None,
    reason: str | None = None,
    message_expression: str | None = None,
) -> Rule:
    """One validation rule; `field_path` is relative to the node the rule is attached to.

    `message_expression` (a CEL string expression) replaces `message` when it evaluates; `message`
    stays as the fallback the API server uses if it cannot.
    """
    out: Rule = {"rule": expr, "message": message}
    if message_expression is not None:
        out["messageExpression"] = message_expression
    if field_path is not None:
        out["fieldPath"] = field_path
    if reason is not None:
        out["reason"] = reason
    return out


def validations(*rules: Rule) -> dict[str, Any]:
    """`json_schema_extra` that attaches the rules to a model or a field."""
    return {"x-kubernetes-validations": list(rules)}


def immutable(what: str) -> Rule:
    """A transition rule: the field may not change once set (checked on updates only)."""
    return rule("self == oldSelf", f"{what} is immutable", reason="FieldValueForbidden")


def unchanged(field: str) -> Rule:
    """A transition rule on the parent of an optional field: it may be neither added, removed nor
    changed (a rule on the field itself runs only when both the old and the new value exist)."""
    return rule(
        f"has(self.{field}) == has(oldSelf.{field})"
        f" && (!has(self.{field}) || self.{field} == oldSelf.{field})",
        f"{field} is immutable",
        field_path=f".{field}",
        reason="FieldValueForbidden",
    )


def absent_if(condition: str, field: str, message: str, *, is_list: bool = False) -> Rule:
    """`field` (of self) must be absent (or, for a list, empty) when `condition` holds."""
    empty = f" || size(self.{field}) == 0" if is_list else ""
    return rule(f"!({condition}) || !has(self.{field}){empty}", message, field_path=f".{field}")


FARGATE_NO_STRATEGY = "Placement strategies are not supported with FARGATE launch type."
FARGATE_NO_CONSTRAINTS = "Placement constraints are not supported with FARGATE launch type."


FARGATE_TASK = (
    "(has(self.launchType) && self.launchType == 'FARGATE') || (has(self.capacityProviderStrategy)"
    " && self.capacityProviderStrategy.exists(i, i.capacityProvider in ['FARGATE', 'FARGATE_SPOT']))"
)
"""The task runs on Fargate: launchType FARGATE, or a strategy of the FARGATE/FARGATE_SPOT providers."""


def fargate_rules(fargate: str = FARGATE_TASK) -> tuple[Rule, Rule]:
    """FARGATE takes neither placement strategies nor constraints (ecs-semantics §8.3)."""
    return (
        absent_if(fargate, "placementStrategy", FARGATE_NO_STRATEGY, is_list=True),
        absent_if(fargate, "placementConstraints", FARGATE_NO_CONSTRAINTS, is_list=True),
    )
