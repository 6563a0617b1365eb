"""The NetworkPolicy of a FARGATE task: created once, before its pod, by its deterministic name.

Why before the pod: a pod that exists without its policy would accept traffic on every port for a
moment. The policy is owned by the EcsTask, so Kubernetes' garbage collector deletes it with the
task; the operator never updates it (a task's ports cannot change).
"""

from __future__ import annotations

import contextlib

from kubernetes import client

from ecs_operator.kube.client import as_model, clients, plain_object
from ecs_operator.kube.errors import AlreadyExists, map_api_errors
from ecs_operator.kube.views import Obj


@map_api_errors
def _create(namespace: str, body: Obj) -> Obj:
    created = clients().networking.create_namespaced_network_policy(
        namespace, as_model(body, client.V1NetworkPolicy)
    )
    return plain_object(created)


def ensure(namespace: str, body: Obj) -> None:
    """Create the policy; one that exists already (a retry, another replica) is the same policy."""
    with contextlib.suppress(AlreadyExists):
        _create(namespace, body)
