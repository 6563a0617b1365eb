"""Named crash points: the fault-injection suite kills the operator *between* two writes.

Why: a SIGKILL sent from outside at a random moment rarely lands in the few milliseconds between
a claim's commit and the task's placement record, yet those are the moments the placement
protocol (architecture.md §2) must survive. Each point is a no-op unless the environment names it:

    ECS_OPERATOR_CRASHPOINTS="after-claim=0.05,after-placement=0.02"

makes the process exit at once (``os._exit``: no cleanup, no finalizers, like SIGKILL) with the
given probability each time the point is passed. The random source is seeded from
``ECS_OPERATOR_CRASH_SEED`` (default: the pid) so a seeded chaos run can be replayed.

The points, in the order a task passes them:

- ``after-claim``: the claim is committed on the instance; the task does not name it yet.
- ``after-placement``: the task names its instance; its pod is not created yet.
- ``after-pod``: the pod exists; the task's status does not say so yet.
- ``between-creates``: a scheduled occurrence created some of its tasks, not all.
"""

from __future__ import annotations

import os
import random
import sys
from functools import cache

POINTS = ("after-claim", "after-placement", "after-pod", "between-creates")
EXIT_CODE = 137  # what a shell reports for SIGKILL, so logs read the same


@cache
def _armed() -> dict[str, float]:
    out: dict[str, float] = {}
    for item in os.environ.get("ECS_OPERATOR_CRASHPOINTS", "").split(","):
        name, _, chance = item.strip().partition("=")
        if name in POINTS:
            out[name] = float(chance or "1")
    return out


@cache
def _rng() -> random.Random:
    return random.Random(int(os.environ.get("ECS_OPERATOR_CRASH_SEED", os.getpid())))


def crashpoint(name: str) -> None:
    """Exit the process now if `name` is armed and the dice say so."""
    chance = _armed().get(name)
    if chance is not None and _rng().random() < chance:
        print(f"crashpoint {name}: exiting", file=sys.stderr, flush=True)
        os._exit(EXIT_CODE)
