"""The arithmetic of a rolling deployment (ecs-semantics §3.3), in one place.

Why this module exists: every decision that starts or stops a service task (deployment, scaling,
replacing unhealthy tasks, draining) is bounded by the same two numbers, and their rounding is
easy to get wrong.

| setting               | REPLICA default | DAEMON default | bound                                  |
|-----------------------|-----------------|----------------|----------------------------------------|
| minimumHealthyPercent | 100             | 0              | healthy ≥ ceil(desired × pct / 100)    |
| maximumPercent        | 200             | 100 (the only) | in flight ≤ floor(desired × pct / 100) |

Worked examples (§3.3), each a test:

| desired | min % | max % | min healthy | max in flight | consequence                          |
|---------|-------|-------|-------------|---------------|--------------------------------------|
| 4       | 50    | 100   | 2           | 4             | may stop 2 old tasks before starting |
| 2       | 75    | 100   | 2           | 2             | may stop 0                           |
| 4       | 100   | 200   | 4           | 8             | may start 4 new tasks first          |
| 3       | 100   | 125   | 3           | 3             | no extra room                        |

Integer arithmetic only: ``ceil`` of a product of floats could round 4 × 0.7 up to 3.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecs_operator.api import EcsServiceSpec, SchedulingStrategy

REPLICA_MINIMUM_HEALTHY_PERCENT = 100
REPLICA_MAXIMUM_PERCENT = 200
DAEMON_MINIMUM_HEALTHY_PERCENT = 0
DAEMON_MAXIMUM_PERCENT = 100


@dataclass(frozen=True)
class Bounds:
    desired: int
    minimum_healthy_percent: int
    maximum_percent: int

    @property
    def min_healthy(self) -> int:
        """ceil(desired × minimumHealthyPercent / 100)."""
        return -(-self.desired * self.minimum_healthy_percent // 100)

    @property
    def max_in_flight(self) -> int:
        """floor(desired × maximumPercent / 100)."""
        return self.desired * self.maximum_percent // 100

    def start_room(self, in_flight: int) -> int:
        """How many tasks may be started while ``in_flight`` tasks are PENDING or RUNNING."""
        return max(0, self.max_in_flight - in_flight)

    def stop_room(self, healthy: int) -> int:
        """How many healthy tasks may be stopped while ``healthy`` tasks count as healthy."""
        return max(0, healthy - self.min_healthy)


def bounds_for(spec: EcsServiceSpec, desired: int) -> Bounds:
    """The service's bounds for ``desired`` tasks, with the defaults of its scheduling strategy."""
    config = spec.deployment_configuration
    minimum = config.minimum_healthy_percent if config else None
    maximum = config.maximum_percent if config else None
    if spec.scheduling_strategy is SchedulingStrategy.DAEMON:
        # maximumPercent must be 100 for a DAEMON service (admission refuses anything else).
        return Bounds(
            desired, DAEMON_MINIMUM_HEALTHY_PERCENT if minimum is None else minimum, DAEMON_MAXIMUM_PERCENT
        )
    return Bounds(
        desired,
        REPLICA_MINIMUM_HEALTHY_PERCENT if minimum is None else minimum,
        REPLICA_MAXIMUM_PERCENT if maximum is None else maximum,
    )
