"""The two narrow interfaces of the pipeline, after Nomad's checkers and rankers.

A :class:`FeasibilityCheck` answers "can this task go on this instance?" with a typed
:class:`~ecs_operator.placement.reasons.Rejection` or None. It is bound to one request first
(kube-scheduler's PreFilter): whatever depends only on the request is worked out once, and a check
with nothing to verify for this request (no ports, no memberOf …) returns None and is skipped.

A check may also be a :class:`BulkCheck`: bound once more, it filters a whole pool in one pass
(a list comprehension rather than a call per instance). The engine uses that form to find the
feasible instances and the per-instance form only for the instances it must explain or re-judge;
the two must agree exactly (``tests/unit/placement/test_placement_bulk.py`` compares them).

A :class:`Strategy` narrows a pool of feasible instances to the ones it prefers; applied in order,
strategy k+1 only chooses among the ties strategy k left (decision 1).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar, runtime_checkable

from .reasons import Rejection
from .request import TaskRequest
from .snapshot import ClusterSnapshot, InstanceSnapshot

_T = TypeVar("_T")

InstanceCheck = Callable[[InstanceSnapshot], Rejection | None]
# The instances of a pool a check accepts, in pool order.
Keep = Callable[[Sequence[InstanceSnapshot]], list[InstanceSnapshot]]


class FeasibilityCheck(Protocol):
    """A hard requirement; ``name`` is what explain-placement shows."""

    @property
    def name(self) -> str: ...

    def bind(self, request: TaskRequest) -> InstanceCheck | None:
        """The per-instance check for ``request``, or None when it has nothing to check."""
        ...


@runtime_checkable
class BulkCheck(Protocol):
    """A :class:`FeasibilityCheck` that can also judge a whole pool at once."""

    @property
    def name(self) -> str: ...

    def bind(self, request: TaskRequest) -> InstanceCheck | None: ...

    def bind_keep(self, request: TaskRequest) -> Keep | None:
        """The pool filter for ``request``: keeps exactly the instances ``bind(request)`` passes;
        None exactly when ``bind(request)`` is None."""
        ...


class Strategy(Protocol):
    """A best-effort preference (ecs-semantics §1.2)."""

    def narrow(
        self,
        pool: Sequence[InstanceSnapshot],
        cluster: ClusterSnapshot,
        request: TaskRequest,
        rng: random.Random,
    ) -> Sequence[InstanceSnapshot]:
        """The non-empty subset of ``pool`` this strategy prefers equally."""
        ...


def keep_lowest(pool: Sequence[_T], keys: Sequence[float]) -> list[_T]:
    """The members of ``pool`` whose key (``keys[i]`` for ``pool[i]``) is lowest, in pool order.

    Keys come as a list rather than a function: strategies build them with a comprehension, which
    is several times cheaper per instance than a call, and this runs once per placement.
    """
    best = min(keys)
    return [item for item, k in zip(pool, keys, strict=True) if k == best]
