"""The registry of the seven kinds: the one place that knows the full list.

Why: the CRD generator, the tests and the handlers iterate over the same tuple, so a new kind is
added once.
"""

from __future__ import annotations

from ecs_operator.api.capacityprovider import ECS_CAPACITY_PROVIDER
from ecs_operator.api.cluster import ECS_CLUSTER
from ecs_operator.api.containerinstance import ECS_CONTAINER_INSTANCE
from ecs_operator.api.meta import KindInfo
from ecs_operator.api.scheduledtask import SCHEDULED_TASK
from ecs_operator.api.service import ECS_SERVICE
from ecs_operator.api.task import ECS_TASK
from ecs_operator.api.taskdefinition import ECS_TASK_DEFINITION

ALL_KINDS: tuple[KindInfo, ...] = (
    ECS_CLUSTER,
    ECS_CONTAINER_INSTANCE,
    ECS_TASK_DEFINITION,
    ECS_TASK,
    ECS_SERVICE,
    SCHEDULED_TASK,
    ECS_CAPACITY_PROVIDER,
)

BY_KIND: dict[str, KindInfo] = {info.kind: info for info in ALL_KINDS}
