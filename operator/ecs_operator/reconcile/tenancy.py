"""Tenancy: may objects of a namespace run on a cluster? The cluster's namespaceSelector decides.

ECS guards RunTask, StartTask and CreateService with IAM: a caller without the permission on the
cluster gets AccessDeniedException and nothing runs. Here anyone who may create an EcsTask in a
namespace could otherwise place tasks on any cluster's nodes, so an EcsCluster says which
namespaces may use it (`spec.namespaceSelector`, a Kubernetes LabelSelector over namespace labels;
absent: every namespace, as before). Kubernetes RBAC still decides who may create the objects;
this decides where they may run.

The check is made where ECS makes it, when something would be started: an unplaced task, a
service pass, a schedule's invocation. A task already placed keeps running when the selector
changes (IAM is checked on the API call, not on running tasks); its service starts nothing more.

Namespace labels come from a watch; a namespace not seen yet is judged by the label every
namespace carries, `kubernetes.io/metadata.name`, so a selector on names works from the first
event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecs_operator.reconcile.selectors import matches

ACCESS_DENIED = "AccessDeniedException"
NAME_LABEL = "kubernetes.io/metadata.name"
RUN_TASK = "ecs:RunTask"
START_TASK = "ecs:StartTask"
CREATE_SERVICE = "ecs:CreateService"


def denied(
    *,
    action: str,
    cluster: str,
    cluster_spec: Mapping[str, Any] | None,
    namespace: str,
    labels: Mapping[str, str] | None,
) -> str | None:
    """None when `namespace` may do `action` on `cluster`; else ECS's AccessDeniedException message.

    `cluster_spec` None (the cluster does not exist) allows: the launch path reports the missing
    cluster itself, with ECS's own reason.
    """
    if cluster_spec is None:
        return None
    selector = cluster_spec.get("namespaceSelector")
    if selector is None:
        return None
    effective = {NAME_LABEL: namespace, **(labels or {})}
    if matches(selector, effective):
        return None
    return (
        f"Namespace {namespace} is not authorized to perform: {action} on resource: cluster/{cluster} "
        f"because the cluster's namespaceSelector does not select it"
    )


def task_action(spec: Mapping[str, Any]) -> str:
    """StartTask when the caller chose the instance, else RunTask."""
    return START_TASK if spec.get("containerInstance") else RUN_TASK


def task_failure(message: str) -> dict[str, Any]:
    """The status fields of a refused task: STOPPED before it started, as ECS reports a failure."""
    return {
        "lastStatus": "STOPPED",
        "desiredStatus": "STOPPED",
        "stopCode": "TaskFailedToStart",
        "stoppedReason": f"{ACCESS_DENIED}: {message}",
        "failures": [{"reason": ACCESS_DENIED, "detail": message}],
    }


def service_event(service: str, message: str) -> str:
    """The service event of a refused pass, in ECS's service-event wording."""
    return f"(service {service}) was unable to start tasks: {ACCESS_DENIED}: {message}."
