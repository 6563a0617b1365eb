"""A small world for multi-step tests: plan, apply the plan, let tasks move on, plan again.

The simulator applies a plan the way the handler will: every start becomes a PENDING task on the
instance with the fewest in-flight tasks of the service (or its DAEMON instance), every stop sets
desiredStatus STOPPED, and the status and state are written back. Tests then move tasks along
(``settle``, ``set``) and advance the clock.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from ecs_operator.api import EcsService
from ecs_operator.lifecycle import DesiredStatus, StopCode, TaskStatus
from ecs_operator.placement import TaskRequest
from ecs_operator.reconcile.service import SchedulerState, ServicePlan, ServiceTask, plan_service

from .builders import A1, A2, B1, C1, T0, ZONES, cluster, instances


class Sim:
    def __init__(
        self,
        service: EcsService,
        tasks: list[ServiceTask] | None = None,
        *,
        task_definition: str = "web:1",
        nodes: tuple[str, ...] = (A1, A2, B1, C1),
        request: TaskRequest | None = None,
        seed: int = 0,
    ) -> None:
        self.service = service
        self.tasks: list[ServiceTask] = list(tasks or [])
        self.task_definition = task_definition
        self.nodes = nodes
        self.request = request
        self.state = SchedulerState()
        self.now: datetime = T0
        self.rng = random.Random(seed)
        self.plans: list[ServicePlan] = []

    def plan(self) -> ServicePlan:
        """Plan from the current world, and apply the plan to it."""
        plan = plan_service(
            self.service,
            self.tasks,
            task_definition=self.task_definition,
            snapshot=cluster(self.tasks, *instances(*self.nodes)),
            now=self.now,
            rng=self.rng,
            state=self.state,
            request=self.request,
        )
        stopping = {s.uid for s in plan.stops}
        self.tasks = [
            replace(t, desired_status=DesiredStatus.STOPPED) if t.uid in stopping else t for t in self.tasks
        ]
        for start in plan.starts:
            where = start.instance or self._emptiest()
            self.tasks.append(
                ServiceTask(
                    name=start.name,
                    uid=start.name,
                    started_by=start.deployment_id,
                    task_definition=start.task_definition,
                    last_status=TaskStatus.PENDING,
                    created_at=self.now,
                    container_instance=where,
                    availability_zone=ZONES.get(where),
                )
            )
        self.service = self.service.model_copy(update={"status": plan.status})
        self.state = plan.state
        self.plans.append(plan)
        return plan

    def _emptiest(self) -> str:
        load = {n: 0 for n in self.nodes}
        for t in self.tasks:
            if t.in_flight and t.container_instance in load:
                load[t.container_instance] += 1
        return min(self.nodes, key=lambda n: (load[n], n))

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def settle(self) -> None:
        """Stopping tasks reach STOPPED; pending tasks reach RUNNING (now)."""
        out = []
        for t in self.tasks:
            if t.desired_status is DesiredStatus.STOPPED and t.last_status is not TaskStatus.STOPPED:
                t = replace(
                    t,
                    last_status=TaskStatus.STOPPED,
                    stop_code=StopCode.SERVICE_SCHEDULER_INITIATED,
                    stopped_at=self.now,
                )
            elif t.wanted and not t.running:
                t = replace(t, last_status=TaskStatus.RUNNING, started_at=self.now)
            out.append(t)
        self.tasks = out

    def set(self, name: str, **changes: Any) -> None:
        self.tasks = [replace(t, **changes) if t.name == name else t for t in self.tasks]

    def fail_pending(self) -> None:
        """Every PENDING task fails to start (now)."""
        self.tasks = [
            replace(
                t,
                last_status=TaskStatus.STOPPED,
                desired_status=DesiredStatus.STOPPED,
                stop_code=StopCode.TASK_FAILED_TO_START,
                stopped_at=self.now,
            )
            if t.wanted and not t.running
            else t
            for t in self.tasks
        ]

    def live(self, deployment: str | None = None) -> list[str]:
        return sorted(t.name for t in self.tasks if t.in_flight and deployment in (None, t.started_by))
