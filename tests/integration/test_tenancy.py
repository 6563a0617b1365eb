"""Tenancy end to end: a cluster's namespaceSelector refuses tasks, services and schedules of the
namespaces it leaves out, with ECS's AccessDeniedException, and places nothing for them; a namespace
that gets the label is served."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.cluster import Kube, wait_for
from tests.support.ecs import manifest, register, task_status, wait_status
from tests.support.operator import OperatorProcess

EC2 = {"node.ecs-operator.dev/capacity": "ec2"}
SCHEDULE_UID = "ecs-operator.dev/schedule-uid"


def ready(obj: dict[str, Any]) -> dict[str, Any]:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return next((c for c in conditions if c.get("type") == "Ready"), {})


def warnings(kube: Kube, namespace: str, name: str) -> list[dict[str, Any]]:
    items = kube.get_json("events", "-n", namespace, "--field-selector", f"involvedObject.name={name}")[
        "items"
    ]
    return [e for e in items if e.get("reason") == "AccessDeniedException" and e.get("type") == "Warning"]


def test_a_namespace_the_selector_leaves_out_is_refused_and_a_labelled_one_is_served(
    kube: Kube, operator: OperatorProcess, namespace: str, unique: str
) -> None:
    cluster, label = f"tenancy-{unique}", f"tenancy-{unique}"
    selector = {"matchLabels": {label: "allowed"}}
    kube.apply(
        manifest("EcsCluster", cluster, {"nodeSelector": {"matchLabels": EC2}, "namespaceSelector": selector})
    )
    wait_for(
        lambda: (
            len(
                [
                    i
                    for i in kube.get_json("ecsci", "-l", f"ecs-operator.dev/cluster={cluster}")["items"]
                    if (i.get("status") or {}).get("registeredResources")
                ]
            )
            == 6
        ),
        what="instances registered",
    )
    register(kube, namespace, "web")
    wait_for(
        lambda: (kube.get_json("ecstd", "web", "-n", namespace).get("status") or {}).get("revision") == 1,
        what="web:1",
    )

    # A schedule due in a few seconds: its invocation creates nothing and says why.
    due = (datetime.now(UTC) + timedelta(seconds=6)).replace(microsecond=0)
    expression = f"at({due:%Y-%m-%dT%H:%M:%S})"
    body = {"cluster": cluster, "scheduleExpression": expression, "target": {"taskDefinition": "web"}}
    kube.apply(manifest("ScheduledTask", "nightly", body, namespace))

    # RunTask: STOPPED before it started, AccessDeniedException, a Warning Event, no pod.
    kube.apply(manifest("EcsTask", "denied", {"cluster": cluster, "taskDefinition": "web"}, namespace))
    status = wait_status(kube, namespace, "denied", "STOPPED")
    assert status["stopCode"] == "TaskFailedToStart"
    assert status["failures"] == [
        {
            "reason": "AccessDeniedException",
            "detail": f"Namespace {namespace} is not authorized to perform: ecs:RunTask on resource: "
            f"cluster/{cluster} because the cluster's namespaceSelector does not select it",
        }
    ]
    assert status["stoppedReason"].startswith("AccessDeniedException: ")
    assert not status.get("containerInstance") and not status.get("podName")
    wait_for(lambda: warnings(kube, namespace, "denied"), what="the task's AccessDeniedException event")

    # A service: Ready=False with the reason, a service event, a Warning Event, and no task at all.
    service = {"cluster": cluster, "taskDefinition": "web", "desiredCount": 2}
    kube.apply(manifest("EcsService", "web", service, namespace))
    refused = wait_for(
        lambda: (
            (s := kube.get_json("ecsservice", "web", "-n", namespace))
            and ready(s).get("status") == "False"
            and s
        ),
        what="the service refused",
    )
    assert ready(refused)["reason"] == "AccessDeniedException"
    assert "ecs:CreateService" in ready(refused)["message"]
    messages = [e["message"] for e in refused["status"].get("events") or []]
    assert any("was unable to start tasks: AccessDeniedException" in m for m in messages)
    assert kube.get_json("ecstask", "-n", namespace, "-l", "ecs-operator.dev/service=web")["items"] == []
    wait_for(lambda: warnings(kube, namespace, "web"), what="the service's AccessDeniedException event")

    # The schedule's occurrence: LaunchFailed with the reason, and no task created.
    sched = wait_for(
        lambda: (
            (s := kube.get_json("ecssched", "nightly", "-n", namespace))
            and ready(s).get("reason") == "LaunchFailed"
            and s
        ),
        what="the schedule's invocation refused",
    )
    assert ready(sched)["message"].startswith(
        f"AccessDeniedException: Namespace {namespace} is not authorized to perform: ecs:RunTask"
    )
    wait_for(lambda: warnings(kube, namespace, "nightly"), what="the schedule's AccessDeniedException event")
    uid = sched["metadata"]["uid"]
    assert kube.get_json("ecstask", "-n", namespace, "-l", f"{SCHEDULE_UID}={uid}")["items"] == []
    assert kube.get_json("pods", "-n", namespace)["items"] == []

    # The namespace gets the label: the service fills, tasks run. The service first: the operator
    # learns the label from its namespace watch, and a task it saw before that would be refused
    # for good (STOPPED is final); the service's passes retry until the label is seen.
    kube.kubectl("label", "namespace", namespace, f"{label}=allowed")
    served = wait_for(
        lambda: (
            (s := kube.get_json("ecsservice", "web", "-n", namespace))
            and (s.get("status") or {}).get("runningCount") == 2
            and s
        ),
        timeout=90,
        what="the service at 2 running",
    )
    assert ready(served)["status"] == "True"
    kube.apply(manifest("EcsTask", "allowed", {"cluster": cluster, "taskDefinition": "web"}, namespace))
    status = wait_status(kube, namespace, "allowed", "RUNNING", timeout=90)
    assert status["containerInstance"].startswith(f"{cluster}.")
    # The refused task stays refused (STOPPED is final).
    assert task_status(kube, namespace, "denied")["lastStatus"] == "STOPPED"
    kube.kubectl("delete", "ecsservice", "web", "-n", namespace, "--timeout=90s")
    kube.kubectl("delete", "ecscluster", cluster, "--wait=false", check=False)
