"""Why one task would or would not go on each instance (``kubectl ecs explain-placement``).

It runs the same engine as :func:`~ecs_operator.placement.pipeline.place` and keeps what placement
throws away: every instance's verdict with the check it stopped at, and which instances each
strategy kept. With the same snapshot and an equally seeded ``rng``, ``chosen`` is exactly the
instance ``place`` would pick for the task.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .pipeline import DEFAULT_ENGINE, PlacementEngine, StrategyStep
from .reasons import PlacementFailure, Verdict
from .request import TaskRequest
from .snapshot import ClusterSnapshot


@dataclass(frozen=True)
class Explanation:
    task: str
    checks: tuple[str, ...]
    verdicts: tuple[Verdict, ...]
    steps: tuple[StrategyStep, ...]
    chosen: str | None
    failure: PlacementFailure | None

    def render(self) -> str:
        """A plain-text report: one line per instance, then the strategies and the choice."""
        width = max((len(v.instance) for v in self.verdicts), default=8)
        lines = [f"task {self.task}", ""]
        for verdict in self.verdicts:
            if verdict.rejection is None:
                outcome = "pass"
            else:
                check = self.checks[verdict.passed]
                outcome = f"{verdict.rejection.reason} at {check}: {verdict.rejection.detail}"
            lines.append(f"  {verdict.instance:<{width}}  {outcome}")
        if not self.verdicts:
            lines.append("  (no container instances)")
        if self.steps:
            lines.append("")
            lines.extend(f"  {step.strategy}: kept {_names(step.kept)}" for step in self.steps)
        lines.append("")
        if self.chosen is not None:
            lines.append(f"would place on {self.chosen}")
        elif self.failure is not None:
            lines.append(self.failure.stopped_reason())
        return "\n".join(lines)


def _names(names: tuple[str, ...], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def explain(
    snapshot: ClusterSnapshot,
    request: TaskRequest,
    rng: random.Random | None = None,
    engine: PlacementEngine = DEFAULT_ENGINE,
) -> Explanation:
    rng = rng if rng is not None else random.Random()
    verdicts = engine.evaluate(snapshot, request)
    checks = tuple(check.name for check in engine.checks)
    feasible = [snapshot.instance(v.instance) for v in verdicts if v.feasible]
    if not feasible:
        failure = PlacementFailure(request.task, verdicts)
        return Explanation(request.task, checks, verdicts, (), None, failure)
    steps: list[StrategyStep] = []
    chosen = engine.select(feasible, snapshot, request, engine.strategies(request), rng, steps)
    return Explanation(request.task, checks, verdicts, tuple(steps), chosen.name, None)
