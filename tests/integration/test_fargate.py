"""Fargate end to end (issue 7): Fargate capacity, refusals, the isolated pod, its NetworkPolicy, AZ
spread, task retirement and platform-revision recycling, on the real API server with KWOK."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.cluster import Kube, fake_node, wait_for
from tests.support.ecs import container, manifest, register, task_status, wait_status
from tests.support.operator import OperatorProcess

FARGATE_NODES = {"fargate-a": "zone-a", "fargate-b": "zone-b"}
MAINTENANCE = "ECS is performing maintenance on the underlying infrastructure hosting the task"
RETIREMENT = "ecs-operator.dev/retirement-date"
CAPACITY = "node.ecs-operator.dev/capacity"


def fargate_size(**extra: Any) -> dict[str, Any]:
    """A task definition spec for Fargate: 0.5 vCPU, 1 GiB, awsvpc."""
    return {
        "cpu": "512",
        "memory": "1024",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        **extra,
    }


def run_task(kube: Kube, namespace: str, name: str, cluster: str, **spec: Any) -> None:
    body = {"cluster": cluster, "taskDefinition": "web", "launchType": "FARGATE", **spec}
    kube.apply(manifest("EcsTask", name, body, namespace))


def instances(kube: Kube, cluster: str) -> dict[str, dict[str, Any]]:
    items = kube.get_json("ecsci", "-l", f"ecs-operator.dev/cluster={cluster}")["items"]
    return {i["spec"]["nodeName"]: i for i in items}


def registered(kube: Kube, cluster: str, count: int) -> dict[str, dict[str, Any]]:
    return wait_for(
        lambda: (
            (found := instances(kube, cluster))
            and sum(1 for i in found.values() if (i.get("status") or {}).get("registeredResources")) == count
            and found
        ),
        what=f"{count} instances registered",
    )


def events(kube: Kube, namespace: str, reason: str, name: str | None = None) -> list[dict[str, Any]]:
    return [
        e
        for e in kube.get_json("events", "-n", namespace)["items"]
        if e["reason"] == reason and (name is None or e["involvedObject"]["name"] == name)
    ]


def fargate_cluster_manifest(name: str, **fargate: Any) -> str:
    return manifest(
        "EcsCluster",
        name,
        {
            "nodeSelector": {"matchLabels": {CAPACITY: "ec2"}},
            "fargate": {"nodeSelector": {"matchLabels": {CAPACITY: "fargate"}}, **fargate},
        },
    )


@pytest.fixture
def cluster(kube: Kube, operator: OperatorProcess, unique: str) -> Iterator[str]:
    """Six EC2 instances and the two Fargate nodes, with a sandbox RuntimeClass and wait period 0."""
    kube.apply(
        json.dumps(
            {
                "apiVersion": "node.k8s.io/v1",
                "kind": "RuntimeClass",
                "metadata": {"name": "kata"},
                "handler": "kata",
            }
        )
    )
    name = f"fargate-{unique}"
    kube.apply(
        fargate_cluster_manifest(
            name, runtimeClassName="kata", platformRevision="1.4.0-r1", taskRetirementWaitPeriodDays=0
        )
    )
    registered(kube, name, 8)
    yield name
    kube.kubectl("delete", "ecscluster", name, "--wait=false", check=False)


def test_fargate_nodes_are_fargate_instances_and_each_launch_type_keeps_to_its_own(
    kube: Kube, cluster: str, namespace: str
) -> None:
    found = instances(kube, cluster)
    kinds = {node: i["status"]["launchType"] for node, i in found.items()}
    assert {n for n, k in kinds.items() if k == "FARGATE"} == set(FARGATE_NODES)
    assert sum(1 for k in kinds.values() if k == "EC2") == 6
    assert found["fargate-a"]["status"]["registeredResources"]["cpu"] == 16384
    assert "FARGATE" in kube.kubectl("get", "ecsci", f"{cluster}.fargate-a").stdout  # printer column
    register(kube, namespace, **fargate_size(requiresCompatibilities=["EC2", "FARGATE"]))
    for n in range(3):
        run_task(kube, namespace, f"f{n}", cluster)
        kube.apply(manifest("EcsTask", f"e{n}", {"cluster": cluster, "taskDefinition": "web"}, namespace))
    for n in range(3):
        fargate = wait_status(kube, namespace, f"f{n}", "RUNNING")
        ec2 = wait_status(kube, namespace, f"e{n}", "RUNNING")
        assert fargate["containerInstance"].split(".", 1)[1] in FARGATE_NODES
        assert ec2["containerInstance"].split(".", 1)[1] not in FARGATE_NODES
    # the Fargate claims are in the same ledger, committed the same way
    uid = kube.get_json("ecstask", "f0", "-n", namespace)["metadata"]["uid"]
    instance = task_status(kube, namespace, "f0")["containerInstance"]
    claims = kube.get_json("ecsci", instance)["status"]["claims"]
    assert [(c["cpu"], c["memory"]) for c in claims if c["taskUid"] == uid] == [(512, 1024)]


@pytest.mark.parametrize(
    ("kind", "spec", "message"),
    [
        pytest.param(
            "EcsTask",
            {"placementStrategy": [{"type": "random"}]},
            "Placement strategies are not supported with FARGATE launch type.",
            id="task-strategy",
        ),
        pytest.param(
            "EcsTask",
            {"placementConstraints": [{"type": "distinctInstance"}]},
            "Placement constraints are not supported with FARGATE launch type.",
            id="task-constraint",
        ),
        pytest.param(
            "EcsTask",
            {"containerInstance": "c.fargate-a"},
            "StartTask (containerInstance) is not supported with FARGATE launch type.",
            id="start-task",
        ),
        pytest.param(
            "EcsService",
            {"schedulingStrategy": "DAEMON"},
            "The daemon scheduling strategy is not supported with FARGATE launch type.",
            id="daemon",
        ),
        pytest.param(
            "EcsService",
            {"desiredCount": 1, "placementStrategy": [{"type": "spread", "field": "instanceId"}]},
            "Placement strategies are not supported with FARGATE launch type.",
            id="service-strategy",
        ),
        pytest.param(
            "EcsTaskDefinition",
            {**fargate_size(networkMode="bridge"), "containerDefinitions": [container()]},
            "Fargate only supports network mode 'awsvpc'.",
            id="network-mode",
        ),
        pytest.param(
            "EcsTaskDefinition",
            {**fargate_size(), "containerDefinitions": [container(privileged=True)]},
            'unknown field "spec.containerDefinitions[0].privileged"',
            id="unsupported-parameter",
        ),
    ],
)
def test_fargate_settings_refused_at_admission(
    kube: Kube, crds: Kube, namespace: str, kind: str, spec: dict[str, Any], message: str
) -> None:
    if kind != "EcsTaskDefinition":
        spec = {"cluster": "c", "taskDefinition": "web", "launchType": "FARGATE", **spec}
    res = kube.apply(manifest(kind, "refused", spec, namespace), check=False)
    assert res.returncode != 0
    assert message in res.stderr, res.stderr


def test_fargate_task_refused_in_status_with_ecs_reasons(kube: Kube, cluster: str, namespace: str) -> None:
    # a task definition not registered for FARGATE (here an EC2 bridge one)
    register(kube, namespace, "ec2only", networkMode="bridge")
    run_task(kube, namespace, "not-compatible", cluster, taskDefinition="ec2only")
    st = wait_status(kube, namespace, "not-compatible", "STOPPED")
    assert st["stopCode"] == "TaskFailedToStart"
    assert st["failures"] == [
        {"reason": "INVALID", "detail": "Task definition does not support launch_type FARGATE."}
    ]
    assert st["stoppedReason"] == "TaskFailedToStart: Task definition does not support launch_type FARGATE."
    # a size outside the Fargate table (through the task's overrides)
    register(kube, namespace, **fargate_size())
    run_task(kube, namespace, "bad-size", cluster, overrides={"cpu": "256", "memory": "4096"})
    st = wait_status(kube, namespace, "bad-size", "STOPPED")
    assert st["failures"][0]["detail"] == (
        "No Fargate configuration exists for given values: 256 CPU, 4096 memory. "
        "See the Amazon ECS documentation for the valid values."
    )
    # Kopf posts the Event after the status write, from a queue: it may come after STOPPED.
    posted = wait_for(lambda: events(kube, namespace, "TaskFailedToStart", "bad-size"), what="the event")
    assert posted[0]["type"] == "Warning"
    assert not kube.get_json("pods", "-n", namespace)["items"]


def test_fargate_service_with_an_incompatible_task_definition_is_not_ready(
    kube: Kube, cluster: str, namespace: str
) -> None:
    register(kube, namespace, networkMode="bridge")
    kube.apply(
        manifest(
            "EcsService",
            "web",
            {"cluster": cluster, "taskDefinition": "web", "desiredCount": 2, "launchType": "FARGATE"},
            namespace,
        )
    )
    ready = wait_for(
        lambda: next(
            (
                c
                for c in (kube.get_json("ecsservice", "web", "-n", namespace).get("status") or {}).get(
                    "conditions", []
                )
                if c["type"] == "Ready"
            ),
            None,
        ),
        what="Ready condition",
    )
    assert (ready["status"], ready["message"]) == (
        "False",
        "Task definition does not support launch_type FARGATE.",
    )
    assert wait_for(lambda: events(kube, namespace, "TaskDefinitionUnavailable", "web"), what="event")
    assert not kube.get_json("ecstasks", "-n", namespace)["items"]


def test_fargate_pod_is_isolated_guaranteed_and_has_its_network_policy(
    kube: Kube, cluster: str, namespace: str
) -> None:
    register(
        kube,
        namespace,
        **fargate_size(
            containerDefinitions=[
                container(cpu=256, memory=512, user="1000:1000", portMappings=[{"containerPort": 8080}]),
                {
                    "name": "metrics",
                    "image": "prom/statsd-exporter",
                    "essential": False,
                    "portMappings": [{"containerPort": 9102}, {"containerPort": 9125, "protocol": "udp"}],
                },
            ]
        ),
    )
    run_task(kube, namespace, "iso", cluster)
    st = wait_status(kube, namespace, "iso", "RUNNING")
    assert st["platformRevision"] == "1.4.0-r1"
    pod = kube.get_json("pod", st["podName"], "-n", namespace)
    spec = pod["spec"]
    assert spec["runtimeClassName"] == "kata"
    assert pod["status"]["qosClass"] == "Guaranteed"
    assert spec["automountServiceAccountToken"] is False
    assert not spec.get("hostNetwork") and not spec.get("hostPID") and not spec.get("hostIPC")
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert not spec.get("volumes")
    containers = {c["name"]: c for c in spec["containers"]}
    web, metrics = containers["web"], containers["metrics"]
    assert (
        web["resources"]["requests"]
        == web["resources"]["limits"]
        == {
            "cpu": "250m",
            "memory": "512Mi",
            "ephemeral-storage": "10Gi",
        }
    )
    assert metrics["resources"]["limits"] == {"cpu": "250m", "memory": "512Mi", "ephemeral-storage": "10Gi"}
    for c in containers.values():
        context = c["securityContext"]
        assert context["allowPrivilegeEscalation"] is False and context["privileged"] is False
        assert context["capabilities"] == {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}
        assert all("hostPort" not in p for p in c.get("ports", []))
    assert (web["securityContext"]["runAsUser"], web["securityContext"]["runAsNonRoot"]) == (1000, True)
    assert "runAsNonRoot" not in metrics["securityContext"]  # no user in the task definition: the image's
    assert pod["metadata"]["labels"]["ecs-operator.dev/launch-type"] == "FARGATE"
    assert pod["metadata"]["annotations"]["ecs-operator.dev/platform-revision"] == "1.4.0-r1"
    # the task's own NetworkPolicy: its pod, ingress only to the declared ports, egress open
    uid = kube.get_json("ecstask", "iso", "-n", namespace)["metadata"]["uid"]
    policy = kube.get_json("networkpolicy", st["podName"], "-n", namespace)
    assert policy["metadata"]["ownerReferences"][0]["kind"] == "EcsTask"
    assert policy["metadata"]["ownerReferences"][0]["uid"] == uid
    assert policy["spec"]["podSelector"] == {"matchLabels": {"ecs-operator.dev/task-uid": uid}}
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    assert policy["spec"]["ingress"] == [
        {
            "ports": [
                {"port": 8080, "protocol": "TCP"},
                {"port": 9102, "protocol": "TCP"},
                {"port": 9125, "protocol": "UDP"},
            ]
        }
    ]


def test_fargate_tasks_spread_across_availability_zones(kube: Kube, cluster: str, namespace: str) -> None:
    register(kube, namespace, **fargate_size())
    for n in range(4):
        run_task(kube, namespace, f"s{n}", cluster, group="spread")
    zones = Counter(wait_status(kube, namespace, f"s{n}", "RUNNING")["availabilityZone"] for n in range(4))
    assert zones == {"zone-a": 2, "zone-b": 2}


@pytest.fixture
def retiring_node(kube: Kube, unique: str) -> Iterator[tuple[str, str]]:
    """A Fargate node of its own (the shared ones must not retire): (node name, its capacity label)."""
    node, label = f"fargate-ret-{unique}", f"fargate-{unique}"
    kube.apply(fake_node(node, {CAPACITY: label}))
    yield node, label
    kube.kubectl("delete", "node", node, "--wait=false", check=False)


def test_node_retirement_notices_then_stops_a_standalone_task_and_never_replaces_it(
    kube: Kube, operator: OperatorProcess, namespace: str, unique: str, retiring_node: tuple[str, str]
) -> None:
    node, label = retiring_node
    cluster = f"retire-{unique}"
    kube.apply(
        manifest("EcsCluster", cluster, {"fargate": {"nodeSelector": {"matchLabels": {CAPACITY: label}}}})
    )
    try:
        registered(kube, cluster, 1)
        register(kube, namespace, **fargate_size())
        run_task(kube, namespace, "old", cluster)
        wait_status(kube, namespace, "old", "RUNNING")
        # Far enough ahead that the notice (a pass every 5 s) is seen while the task still runs,
        # even on a busy machine; the STOPPED wait below allows for it.
        date = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=25)
        kube.kubectl("annotate", "node", node, f"{RETIREMENT}={date.strftime('%Y-%m-%dT%H:%M:%SZ')}")
        # the notice comes ahead of time: annotation and Warning event while the task still runs
        notice = wait_for(lambda: events(kube, namespace, "TaskRetirementScheduled", "old"), what="notice")
        assert notice[0]["type"] == "Warning"
        assert "not replaced" in notice[0]["message"] and node in notice[0]["message"]
        task = kube.get_json("ecstask", "old", "-n", namespace)
        assert task["metadata"]["annotations"][RETIREMENT] == date.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert task["status"]["lastStatus"] == "RUNNING"
        # the instance drains from the notice on: nothing new is placed there
        wait_for(
            lambda: instances(kube, cluster)[node]["status"]["status"] == "DRAINING", what="instance DRAINING"
        )
        # at the date: stopped for maintenance
        st = wait_status(kube, namespace, "old", "STOPPED", timeout=60)
        assert st["stopCode"] == "ServiceSchedulerInitiated"
        assert st["stoppedReason"] == MAINTENANCE
        assert datetime.fromisoformat(st["stoppedAt"]) >= date
        # and never replaced
        assert [t["metadata"]["name"] for t in kube.get_json("ecstasks", "-n", namespace)["items"]] == ["old"]
    finally:
        kube.kubectl("delete", "ecscluster", cluster, "--wait=false", check=False)


def test_platform_revision_change_recycles_standalone_tasks(kube: Kube, cluster: str, namespace: str) -> None:
    register(kube, namespace, **fargate_size())
    run_task(kube, namespace, "before", cluster)
    assert wait_status(kube, namespace, "before", "RUNNING")["platformRevision"] == "1.4.0-r1"
    kube.kubectl(
        "patch",
        "ecscluster",
        cluster,
        "--type=merge",
        "-p",
        '{"spec":{"fargate":{"platformRevision":"1.4.0-r2"}}}',
    )
    # wait period 0: notified and retired at once, and not replaced
    st = wait_status(kube, namespace, "before", "STOPPED", timeout=60)
    assert (st["stopCode"], st["stoppedReason"]) == ("ServiceSchedulerInitiated", MAINTENANCE)
    notice = wait_for(lambda: events(kube, namespace, "TaskRetirementScheduled", "before"), what="notice")[0]
    assert "1.4.0-r1 is retired" in notice["message"] and "1.4.0-r2" in notice["message"]
    # a task launched now runs on the new revision and stays
    run_task(kube, namespace, "after", cluster)
    assert wait_status(kube, namespace, "after", "RUNNING")["platformRevision"] == "1.4.0-r2"
    pod = task_status(kube, namespace, "after")["podName"]
    assert (
        kube.get_json("pod", pod, "-n", namespace)["metadata"]["annotations"][
            "ecs-operator.dev/platform-revision"
        ]
        == "1.4.0-r2"
    )
    assert "retirement" not in json.dumps(kube.get_json("ecstask", "after", "-n", namespace)["metadata"])
    assert task_status(kube, namespace, "after")["lastStatus"] == "RUNNING"
