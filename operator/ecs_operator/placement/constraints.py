"""Hard constraints: stage 3 of the pipeline (ecs-semantics §2.1).

``memberOf`` expressions (the request's and the task definition's) were parsed when the request
was built; here each is only evaluated against the instance, which is a
:class:`ecs_operator.query.Subjects`. ``distinctInstance`` counts within the task's group, and the
group counts are precomputed in the snapshot, so both checks are O(1) per instance apart from the
expression itself. Over a whole pool, expressions are evaluated in bulk (``Expression.select``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ecs_operator.query import Expression, Subjects

from .reasons import FailureReason, Rejection
from .request import TaskRequest
from .snapshot import InstanceSnapshot
from .stages import InstanceCheck, Keep


@dataclass(frozen=True)
class MemberOf:
    """Every memberOf expression must hold; the first that does not is the reason's detail."""

    name: str = "memberOf"

    def bind(self, request: TaskRequest) -> InstanceCheck | None:
        expressions: list[tuple[str, Expression]] = [
            (c.expression or "", c.parsed) for c in request.member_of if c.parsed is not None
        ]
        if not expressions:
            return None

        def check(inst: InstanceSnapshot) -> Rejection | None:
            subjects: Subjects = inst
            for text, expression in expressions:
                if not expression.evaluate(subjects):
                    return Rejection(FailureReason.MEMBER_OF, text)
            return None

        return check

    def bind_keep(self, request: TaskRequest) -> Keep | None:
        expressions = [c.parsed for c in request.member_of if c.parsed is not None]
        if not expressions:
            return None

        def keep(pool: Sequence[InstanceSnapshot]) -> list[InstanceSnapshot]:
            kept = list(pool)
            for expression in expressions:  # each sees only the survivors of the ones before
                if not kept:
                    break
                kept = expression.select(kept)
            return kept

        return keep


@dataclass(frozen=True)
class DistinctInstance:
    """No two tasks of one group on the same instance."""

    name: str = "distinctInstance"

    def bind(self, request: TaskRequest) -> InstanceCheck | None:
        if not request.distinct_instance:
            return None
        group = request.group

        def check(inst: InstanceSnapshot) -> Rejection | None:
            if group not in inst.group_counts:
                return None
            return Rejection(FailureReason.DISTINCT_INSTANCE, f"already runs a task of {group}")

        return check

    def bind_keep(self, request: TaskRequest) -> Keep | None:
        if not request.distinct_instance:
            return None
        group = request.group
        return lambda pool: [i for i in pool if group not in i.group_counts]
