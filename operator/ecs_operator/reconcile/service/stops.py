"""Which of several equally stoppable tasks to stop: ECS's scale-in choice (ecs-semantics §1.2, §1.3).

Why a module: every stop of a task that is still wanted (scale-in, old deployment, draining,
unhealthy) picks among candidates the way ECS does on scale-in, through
``placement.choose_tasks_to_stop`` with the service's strategies (none: the zone, then the
instance, with the most tasks of the service); callers pass candidates tier by tier, cheapest first.

- The snapshot's claims of tasks the service no longer wants (already stopping) are dropped
  first, so the balance is that of the tasks that stay.
- Candidates without a claim (not placed yet: PROVISIONING) go first, newest first: stopping them
  costs nothing and moves no balance.
- Claims of the service's other tasks are ``protected``: never chosen, but counted, so a spread
  strategy keeps the zones balanced among what stays.
- Each choice removes its claim, so the next one (in this or a later tier) sees the new balance.
- With a capacity provider strategy, each placed task is taken from the provider that
  ``placement.capacity.shed`` names (the one furthest above its share of what stays), so the
  service keeps its base/weight split as it scales in; only when that provider has no candidate
  does the choice range over all of them.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from ecs_operator.placement import ClusterSnapshot, PlacementStrategy, choose_tasks_to_stop
from ecs_operator.placement.capacity import Strategy, shed

from .records import ServiceTask

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _newest_first(tasks: Iterable[ServiceTask]) -> list[ServiceTask]:
    return sorted(tasks, key=lambda t: (-(t.created_at or _EPOCH).timestamp(), t.name))


class StopPicker:
    def __init__(
        self,
        snapshot: ClusterSnapshot,
        group: str,
        strategies: Sequence[PlacementStrategy],
        rng: random.Random,
        tasks: Iterable[ServiceTask],
        capacity: Strategy | None = None,
    ) -> None:
        self._group, self._strategies, self._rng = group, tuple(strategies), rng
        tasks = list(tasks)
        self._capacity = capacity
        self._providers = {t.uid: t.capacity_provider for t in tasks if t.wanted}
        wanted = {t.uid for t in tasks if t.wanted}
        self._where: dict[str, str] = {}
        leaving: list[tuple[str, str]] = []
        for inst in snapshot:
            for claim in inst.claims:
                if claim.group == group and claim.task_uid in wanted:
                    self._where[claim.task_uid] = inst.name
                elif claim.group == group:
                    leaving.append((inst.name, claim.task_uid))
        for name, uid in leaving:
            snapshot = snapshot.with_instance(snapshot.instance(name).without_claim(uid))
        self._snapshot = snapshot

    def pick(self, candidates: Sequence[ServiceTask], count: int) -> list[ServiceTask]:
        """Up to ``count`` of ``candidates``, in the order chosen."""
        if count <= 0 or not candidates:
            return []
        if self._capacity is not None:
            return self._pick_by_provider(list(candidates), count)
        chosen = _newest_first(t for t in candidates if t.uid not in self._where)[:count]
        self.forget(chosen)
        placed = {t.uid: t for t in candidates if t.uid in self._where}
        rest = count - len(chosen)
        if rest > 0 and placed:
            chosen.extend(self._choose(set(placed), rest, placed))
        self.forget(chosen)
        return chosen

    def _pick_by_provider(self, candidates: list[ServiceTask], count: int) -> list[ServiceTask]:
        """One task at a time from the provider furthest above its share (the base last); within
        it, an unplaced task first (newest first), else by the scale-in strategies. The provider
        comes first even for unplaced tasks, so a stale snapshot (a claim not seen yet) cannot
        make the scale-in take from the wrong provider."""
        capacity = self._capacity
        assert capacity is not None
        chosen: list[ServiceTask] = []
        for _ in range(count):
            left = [t for t in candidates if t not in chosen]
            if not left:
                break
            provider = shed(capacity, Counter(p for p in self._providers.values() if p))
            own = [t for t in left if t.capacity_provider == provider] or left
            unplaced = _newest_first(t for t in own if t.uid not in self._where)
            if unplaced:
                one = unplaced[:1]
            else:
                placed = {t.uid: t for t in own}
                one = self._choose(set(placed), 1, placed)
            if not one:
                break
            chosen.extend(one)
            self.forget(one)
        return chosen

    def _choose(self, pool: set[str], count: int, placed: dict[str, ServiceTask]) -> list[ServiceTask]:
        """Up to ``count`` tasks of ``pool`` (uids), by the service's scale-in strategies."""
        protected = self._where.keys() - pool
        choices = choose_tasks_to_stop(
            self._snapshot, self._group, count, self._strategies, self._rng, protected=protected
        )
        return [placed[choice.claim.task_uid] for choice in choices]

    def forget(self, tasks: Iterable[ServiceTask]) -> None:
        """These tasks are being stopped: their claims no longer count toward the balance."""
        for task in tasks:
            self._providers.pop(task.uid, None)
            name = self._where.pop(task.uid, None)
            if name is not None:
                inst = self._snapshot.instance(name).without_claim(task.uid)
                self._snapshot = self._snapshot.with_instance(inst)
