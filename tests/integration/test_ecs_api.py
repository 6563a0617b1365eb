"""`ecs-operator api` end to end: boto3, unchanged (endpoint_url, an access key), against the
server on the local control plane with the session's operator placing the tasks; and the
refusals of its front door (signature, key, RBAC, body)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import localcp
import pytest

from ecs_operator.ecsapi.capacity import GROUP_LABEL
from tests.support.cluster import Kube, wait_for
from tests.support.ecsapi import ApiServer, access_key_secret, aws_python, boto3_calls
from tests.support.operator import OperatorProcess

KEY, SECRET = "AKIAECSAPITEST", "s3cret/for+the+test"
NOBODY_KEY, NOBODY_SECRET = "AKIANOBODY", "nobody-secret"
NODES = ("worker-a1", "worker-b1", "worker-c1")


def _rbac(namespace: str, unique: str) -> str:
    user = f"system:serviceaccount:{namespace}:deployer"
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "deployer", "namespace": namespace},
        },
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "nobody", "namespace": namespace},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": f"ecsapi-{unique}"},
            "rules": [
                {
                    "apiGroups": ["ecs-operator.dev"],
                    "resources": ["ecsclusters"],
                    "verbs": ["get", "list", "create", "delete", "patch"],
                },
                {
                    "apiGroups": ["ecs-operator.dev"],
                    "resources": ["ecscontainerinstances"],
                    "verbs": ["get", "list", "patch"],
                },
                {
                    "apiGroups": [""],
                    "resources": ["nodes"],
                    "verbs": ["patch"],
                },  # DeregisterContainerInstance
                {
                    "apiGroups": ["ecs-operator.dev"],
                    "resources": ["ecscapacityproviders"],
                    "verbs": ["get", "list", "create", "patch", "delete"],
                },
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": f"ecsapi-{unique}"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": f"ecsapi-{unique}",
            },
            "subjects": [{"kind": "User", "name": user, "apiGroup": "rbac.authorization.k8s.io"}],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "ecs-user", "namespace": namespace},
            "rules": [
                {
                    "apiGroups": ["ecs-operator.dev"],
                    "resources": ["ecstasks", "ecstaskdefinitions", "ecsservices", "scheduledtasks"],
                    "verbs": ["get", "list", "create", "patch", "delete"],
                },
                {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "create", "patch"]},
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "ecs-user", "namespace": namespace},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "ecs-user"},
            "subjects": [{"kind": "User", "name": user, "apiGroup": "rbac.authorization.k8s.io"}],
        },
    ]
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": docs})


@pytest.fixture
def api(kube: Kube, operator: OperatorProcess, namespace: str, unique: str) -> Iterator[ApiServer]:
    kube.apply(_rbac(namespace, unique))
    kube.apply(
        access_key_secret("deployer-key", KEY, SECRET, f"system:serviceaccount:{namespace}:deployer"),
        namespace,
    )
    kube.apply(
        access_key_secret(
            "nobody-key", NOBODY_KEY, NOBODY_SECRET, f"system:serviceaccount:{namespace}:nobody"
        ),
        namespace,
    )
    server = ApiServer(
        kube.kubeconfig, namespace, operator.log_path.with_name(f"ecsapi-{unique}.log"), localcp.free_port()
    ).start()
    try:
        yield server
    finally:
        server.stop()
        kube.kubectl("delete", "clusterrole,clusterrolebinding", f"ecsapi-{unique}", check=False)


@pytest.fixture
def api_cluster(kube: Kube, api: ApiServer, unique: str) -> Iterator[str]:
    """The nodes CreateCluster's cluster takes: labelled with its name, like ECS_CLUSTER on an agent."""
    name = f"api-{unique}"
    for node in NODES:
        kube.kubectl("label", "node", node, f"ecs-operator.dev/cluster={name}", "--overwrite")
    yield name
    for node in NODES:
        kube.kubectl("label", "node", node, "ecs-operator.dev/cluster-", check=False)
    kube.kubectl("delete", "ecscluster", name, "--wait=false", check=False)


def ok(result: dict[str, Any]) -> dict[str, Any]:
    assert "ok" in result, result
    return dict(result["ok"])


def call(api: ApiServer, op: str, **params: Any) -> dict[str, Any]:
    return boto3_calls(api.endpoint, KEY, SECRET, [{"op": op, "params": params}])[0]


def create_cluster(api: ApiServer, cluster: str) -> dict[str, Any]:
    """CreateCluster, then wait until its three nodes are registered container instances."""
    created = ok(call(api, "create_cluster", clusterName=cluster))["cluster"]
    wait_for(
        lambda: (
            ok(call(api, "describe_clusters", clusters=[cluster]))["clusters"][0][
                "registeredContainerInstancesCount"
            ]
            == len(NODES)
        ),
        timeout=90,
        what="instances",
    )
    return dict(created)


def wait_for_instance(api: ApiServer, cluster: str, node: str, status: str) -> None:
    """Until DescribeContainerInstances says the node's instance is `status`."""

    def current() -> str:
        described = ok(call(api, "describe_container_instances", cluster=cluster, containerInstances=[node]))
        return str(described["containerInstances"][0]["status"])

    wait_for(lambda: current() == status, what=f"{node} {status}")


TASKDEF = {
    "family": "web",
    "containerDefinitions": [{"name": "web", "image": "nginx:1.27", "cpu": 128, "memory": 256}],
}


def test_boto3_runs_a_task_through_the_ecs_api(kube: Kube, api: ApiServer, api_cluster: str) -> None:
    cluster = api_cluster
    created = create_cluster(api, cluster)
    assert created["clusterArn"] == f"arn:aws:ecs:us-east-1:000000000000:cluster/{cluster}"
    described = ok(call(api, "describe_clusters", clusters=[cluster, "no-such-cluster"]))
    assert [c["clusterName"] for c in described["clusters"]] == [cluster]
    assert described["failures"] == [
        {"arn": "arn:aws:ecs:us-east-1:000000000000:cluster/no-such-cluster", "reason": "MISSING"}
    ]
    assert created["clusterArn"] in ok(call(api, "list_clusters"))["clusterArns"]
    instances = ok(call(api, "list_container_instances", cluster=cluster))["containerInstanceArns"]
    assert sorted(a.rsplit("/", 1)[1] for a in instances) == sorted(NODES)

    registered = ok(call(api, "register_task_definition", **TASKDEF))["taskDefinition"]
    assert registered["taskDefinitionArn"].endswith(":task-definition/web:1")
    assert registered["revision"] == 1 and registered["status"] == "ACTIVE"
    assert (
        ok(call(api, "describe_task_definition", taskDefinition="web:1"))["taskDefinition"][
            "containerDefinitions"
        ][0]["image"]
        == "nginx:1.27"
    )

    run = ok(
        call(
            api,
            "run_task",
            cluster=cluster,
            taskDefinition="web",
            count=2,
            startedBy="boto3-test",
            placementConstraints=[{"type": "distinctInstance"}],
            placementStrategy=[{"type": "spread", "field": "attribute:ecs.availability-zone"}],
        )
    )
    assert run["failures"] == []
    assert len(run["tasks"]) == 2
    arns = [t["taskArn"] for t in run["tasks"]]
    assert all(a.startswith(f"arn:aws:ecs:us-east-1:000000000000:task/{cluster}/web-") for a in arns)
    placed_on = {t["containerInstanceArn"].rsplit("/", 1)[1] for t in run["tasks"]}
    assert len(placed_on) == 2 and placed_on <= set(NODES)  # distinctInstance

    results = boto3_calls(
        api.endpoint,
        KEY,
        SECRET,
        [
            {"waiter": "tasks_running", "params": {"cluster": cluster, "tasks": arns}},
            {"op": "describe_tasks", "params": {"cluster": cluster, "tasks": [*arns, "web-nope"]}},
            {"op": "list_tasks", "params": {"cluster": cluster, "startedBy": "boto3-test"}},
            {"op": "list_tasks", "params": {"cluster": cluster, "maxResults": 1}},
            {"op": "stop_task", "params": {"cluster": cluster, "task": arns[0], "reason": "done"}},
            {"waiter": "tasks_stopped", "params": {"cluster": cluster, "tasks": [arns[0]]}},
            {"op": "describe_tasks", "params": {"cluster": cluster, "tasks": [arns[0]]}},
        ],
    )
    ok(results[0])
    described_tasks = ok(results[1])
    assert {t["lastStatus"] for t in described_tasks["tasks"]} == {"RUNNING"}
    assert all(t["containerInstanceArn"].startswith("arn:aws:ecs:") for t in described_tasks["tasks"])
    assert all(
        isinstance(t["createdAt"], str) for t in described_tasks["tasks"]
    )  # parsed to datetime by boto3
    assert described_tasks["failures"] == [
        {"arn": f"arn:aws:ecs:us-east-1:000000000000:task/{cluster}/web-nope", "reason": "MISSING"}
    ]
    assert sorted(ok(results[2])["taskArns"]) == sorted(arns)
    assert len(ok(results[3])["taskArns"]) == 1 and ok(results[3])["nextToken"]
    assert ok(results[4])["task"]["desiredStatus"] == "STOPPED"
    ok(results[5])
    stopped = ok(results[6])["tasks"][0]
    assert stopped["lastStatus"] == "STOPPED" and stopped["stoppedReason"] == "done"

    cluster_arn = created["clusterArn"]
    tagging = boto3_calls(
        api.endpoint,
        KEY,
        SECRET,
        [
            {
                "op": "tag_resource",
                "params": {"resourceArn": cluster_arn, "tags": [{"key": "team", "value": "a"}]},
            },
            {"op": "tag_resource", "params": {"resourceArn": arns[1], "tags": [{"key": "k", "value": "v"}]}},
            {"op": "untag_resource", "params": {"resourceArn": arns[1], "tagKeys": ["k"]}},
            {"op": "list_tags_for_resource", "params": {"resourceArn": cluster_arn}},
            {"op": "list_tags_for_resource", "params": {"resourceArn": arns[1]}},
            {
                "op": "tag_resource",
                "params": {"resourceArn": cluster_arn, "tags": [{"key": "aws:x", "value": "y"}]},
            },
            {"op": "list_tags_for_resource", "params": {"resourceArn": "arn:aws:ecs:us-east-1:0:bogus/x"}},
        ],
    )
    assert [ok(r) for r in tagging[:3]] == [{}, {}, {}]
    assert ok(tagging[3])["tags"] == [{"key": "team", "value": "a"}]
    assert ok(tagging[4])["tags"] == []
    assert [tagging[5]["error"]["code"], tagging[6]["error"]["code"]] == ["InvalidParameterException"] * 2


def test_run_task_answers_with_failures_and_refuses_what_ecs_refuses(
    kube: Kube, api: ApiServer, api_cluster: str
) -> None:
    cluster = api_cluster
    create_cluster(api, cluster)
    huge = {"family": "huge", "containerDefinitions": [{"name": "big", "image": "busybox", "memory": 900000}]}
    ok(call(api, "register_task_definition", **huge))
    results = boto3_calls(
        api.endpoint,
        KEY,
        SECRET,
        [
            {"op": "run_task", "params": {"cluster": cluster, "taskDefinition": "huge"}},
            {"op": "run_task", "params": {"cluster": "no-such-cluster", "taskDefinition": "huge"}},
            {"op": "run_task", "params": {"cluster": cluster, "taskDefinition": "huge", "count": 11}},
            {"op": "run_task", "params": {"cluster": cluster, "taskDefinition": "nothere"}},
            {"op": "discover_poll_endpoint", "params": {}},
        ],
    )
    unplaced = ok(results[0])
    assert unplaced["tasks"] == []
    assert [f["reason"] for f in unplaced["failures"]] == ["RESOURCE:MEMORY"]
    assert results[1]["error"]["code"] == "ClusterNotFoundException"
    assert results[2]["error"]["code"] == "InvalidParameterException"
    assert results[3]["error"]["code"] == "ClientException"
    assert results[4]["error"]["code"] == "UnsupportedOperationException"
    assert "DiscoverPollEndpoint" in results[4]["error"]["message"]


def test_the_front_door_refuses_and_changes_nothing(kube: Kube, api: ApiServer, namespace: str) -> None:
    body = json.dumps(TASKDEF)
    raw = [
        {"raw": "RegisterTaskDefinition", "body": body, "sign": False},
        {"raw": "RegisterTaskDefinition", "body": body, "tamper": body.replace("nginx", "evil")},
        {"raw": "RegisterTaskDefinition", "body": body, "age_minutes": 20},
        {"raw": "RegisterTaskDefinition", "body": "{not json"},
        {"raw": "RegisterTaskDefinition", "body": "x" * (1024 * 1024 + 1)},
    ]
    answers = boto3_calls(api.endpoint, KEY, SECRET, raw)
    codes = [a.get("error", {}).get("code") for a in answers]
    assert codes == [
        "MissingAuthenticationTokenException",
        "InvalidSignatureException",
        "InvalidSignatureException",
        "SerializationException",
        "RequestEntityTooLargeException",
    ], answers
    assert "Signature expired" in answers[2]["error"]["message"]

    wrong_secret = boto3_calls(
        api.endpoint, KEY, "not-the-secret", [{"op": "register_task_definition", "params": TASKDEF}]
    )
    assert wrong_secret[0]["error"]["code"] == "InvalidSignatureException"
    unknown = boto3_calls(api.endpoint, "AKIAUNKNOWN", SECRET, [{"op": "list_clusters"}])
    assert unknown[0]["error"]["code"] == "UnrecognizedClientException"
    denied = boto3_calls(
        api.endpoint, NOBODY_KEY, NOBODY_SECRET, [{"op": "register_task_definition", "params": TASKDEF}]
    )
    assert denied[0]["error"]["code"] == "AccessDeniedException"
    assert f"system:serviceaccount:{namespace}:nobody" in denied[0]["error"]["message"]
    # nothing was registered by any of the refused calls
    assert kube.get_json("ecstd", "-n", namespace)["items"] == []


def test_boto3_service_becomes_stable_and_scales(kube: Kube, api: ApiServer, api_cluster: str) -> None:
    cluster = api_cluster
    create_cluster(api, cluster)
    ok(call(api, "register_task_definition", **TASKDEF))
    results = boto3_calls(
        api.endpoint,
        KEY,
        SECRET,
        [
            {
                "op": "create_service",
                "params": {
                    "cluster": cluster,
                    "serviceName": "web",
                    "taskDefinition": "web",
                    "desiredCount": 2,
                },
            },
            {
                "op": "create_service",
                "params": {
                    "cluster": cluster,
                    "serviceName": "web",
                    "taskDefinition": "web",
                    "desiredCount": 1,
                },
            },
            {"waiter": "services_stable", "params": {"cluster": cluster, "services": ["web"]}},
            {"op": "update_service", "params": {"cluster": cluster, "service": "web", "desiredCount": 3}},
            {"waiter": "services_stable", "params": {"cluster": cluster, "services": ["web"]}},
            {"op": "describe_services", "params": {"cluster": cluster, "services": ["web", "nope"]}},
            {"op": "list_services", "params": {"cluster": cluster}},
            {"op": "list_tasks", "params": {"cluster": cluster, "serviceName": "web"}},
        ],
    )
    service_tasks = ok(results[7])["taskArns"]
    rollouts = wait_for(
        lambda: [
            d
            for d in ok(call(api, "list_service_deployments", cluster=cluster, service="web"))[
                "serviceDeployments"
            ]
            if d["status"] == "SUCCESSFUL"
        ],
        what="the service's deployment SUCCESSFUL",
    )
    deployment = rollouts[0]["serviceDeploymentArn"]
    assert deployment.startswith(f"arn:aws:ecs:us-east-1:000000000000:service-deployment/{cluster}/web/")
    deployed = ok(
        call(api, "describe_service_deployments", serviceDeploymentArns=[deployment, deployment + "9"])
    )
    assert deployed["serviceDeployments"][0]["targetServiceRevision"]["runningTaskCount"] == 3
    assert deployed["failures"] == [{"arn": deployment + "9", "reason": "MISSING"}]
    standalone = ok(call(api, "run_task", cluster=cluster, taskDefinition="web"))["tasks"][0]["taskArn"]
    protection = boto3_calls(
        api.endpoint,
        KEY,
        SECRET,
        [
            {
                "op": "update_task_protection",
                "params": {
                    "cluster": cluster,
                    "tasks": service_tasks[:1],
                    "protectionEnabled": True,
                    "expiresInMinutes": 60,
                },
            },
            {
                "op": "get_task_protection",
                "params": {"cluster": cluster, "tasks": [service_tasks[0], standalone]},
            },
        ],
    )
    updated = ok(protection[0])
    assert updated["failures"] == []
    assert [(p["taskArn"], p["protectionEnabled"]) for p in updated["protectedTasks"]] == [
        (service_tasks[0], True)
    ]
    assert updated["protectedTasks"][0]["expirationDate"]  # an epoch number, parsed to a datetime by boto3
    got = ok(protection[1])
    assert [p["taskArn"] for p in got["protectedTasks"] if p["protectionEnabled"]] == [service_tasks[0]]
    assert [(f["arn"], f["reason"]) for f in got["failures"]] == [(standalone, "TASK_NOT_VALID")]
    results += boto3_calls(
        api.endpoint,
        KEY,
        SECRET,
        [
            {"op": "delete_service", "params": {"cluster": cluster, "service": "web"}},
            {"op": "update_service", "params": {"cluster": cluster, "service": "nope", "desiredCount": 1}},
            {"op": "delete_service", "params": {"cluster": cluster, "service": "web", "force": True}},
            {
                "op": "create_service",
                "params": {"cluster": cluster, "serviceName": "other", "taskDefinition": "web"},
            },
        ],
    )
    created = ok(results[0])["service"]
    assert created["serviceArn"] == f"arn:aws:ecs:us-east-1:000000000000:service/{cluster}/web"
    assert results[1]["error"] == {
        "code": "InvalidParameterException",
        "message": "Creation of service was not idempotent.",
    }
    ok(results[2])
    assert ok(results[3])["service"]["desiredCount"] == 3
    ok(results[4])
    described = ok(results[5])
    service = described["services"][0]
    assert (service["runningCount"], service["desiredCount"], service["status"]) == (3, 3, "ACTIVE")
    assert service["taskDefinition"].endswith(":task-definition/web:1")
    assert described["failures"] == [
        {"arn": f"arn:aws:ecs:us-east-1:000000000000:service/{cluster}/nope", "reason": "MISSING"}
    ]
    assert ok(results[6])["serviceArns"] == [created["serviceArn"]]
    assert len(ok(results[7])["taskArns"]) == 3
    assert results[8]["error"]["message"] == "The service cannot be stopped while it is scaled above 0."
    assert results[9]["error"]["code"] == "ServiceNotFoundException"
    assert ok(results[10])["service"]["status"] == "DRAINING"
    # refused at admission by the CRD's schema: the API server's message, with the field path
    assert results[11]["error"]["code"] == "InvalidParameterException"
    assert "spec.desiredCount: Required value" in results[11]["error"]["message"]


def test_a_finished_deployment_stays_listed_with_its_service_revisions(
    kube: Kube, api: ApiServer, api_cluster: str
) -> None:
    """UpdateService to a new revision: once rolled out, both deployments are listed SUCCESSFUL,
    newest first, and describe the task definitions they rolled out, though the old one has left
    DescribeServices' deployments."""
    cluster = api_cluster
    create_cluster(api, cluster)
    ok(call(api, "register_task_definition", **TASKDEF))
    ok(call(api, "create_service", cluster=cluster, serviceName="web", taskDefinition="web", desiredCount=1))

    def successful(count: int) -> list[dict[str, Any]] | None:
        listed = ok(call(api, "list_service_deployments", cluster=cluster, service="web"))[
            "serviceDeployments"
        ]
        return listed if [d["status"] for d in listed] == ["SUCCESSFUL"] * count else None

    wait_for(lambda: successful(1), timeout=180, what="the first deployment SUCCESSFUL")
    second = {**TASKDEF, "containerDefinitions": [{**TASKDEF["containerDefinitions"][0], "cpu": 256}]}
    ok(call(api, "register_task_definition", **second))
    ok(call(api, "update_service", cluster=cluster, service="web", taskDefinition="web:2"))
    new, old = wait_for(lambda: successful(2), timeout=180, what="the second deployment SUCCESSFUL")
    prefix = f"arn:aws:ecs:us-east-1:000000000000:service-revision/{cluster}/web/"
    assert new["targetServiceRevisionArn"].startswith(prefix)
    wait_for(
        lambda: (
            len(
                ok(call(api, "describe_services", cluster=cluster, services=["web"]))["services"][0][
                    "deployments"
                ]
            )
            == 1
        ),
        what="the old deployment gone from DescribeServices",
    )
    assert ok(
        call(api, "list_service_deployments", cluster=cluster, service="web", status=["IN_PROGRESS"])
    ) == {"serviceDeployments": []}
    arns = [new["serviceDeploymentArn"], old["serviceDeploymentArn"]]
    described = ok(call(api, "describe_service_deployments", serviceDeploymentArns=arns))
    assert described["failures"] == []
    assert [d["status"] for d in described["serviceDeployments"]] == ["SUCCESSFUL", "SUCCESSFUL"]
    latest = described["serviceDeployments"][0]
    assert [r["arn"] for r in latest["sourceServiceRevisions"]] == [old["targetServiceRevisionArn"]]
    assert latest["targetServiceRevision"]["arn"] == new["targetServiceRevisionArn"]
    assert latest["targetServiceRevision"]["runningTaskCount"] == 1
    missing = prefix + "1"
    revisions = ok(
        call(
            api,
            "describe_service_revisions",
            serviceRevisionArns=[new["targetServiceRevisionArn"], old["targetServiceRevisionArn"], missing],
        )
    )
    assert [
        (r["serviceRevisionArn"], r["taskDefinition"].rsplit("/", 1)[-1])
        for r in revisions["serviceRevisions"]
    ] == [
        (new["targetServiceRevisionArn"], "web:2"),
        (old["targetServiceRevisionArn"], "web:1"),
    ]
    assert revisions["failures"] == [{"arn": missing, "reason": "MISSING"}]


def test_attributes_start_task_and_draining_steer_placement(
    kube: Kube, api: ApiServer, api_cluster: str
) -> None:
    cluster = api_cluster
    create_cluster(api, cluster)
    ok(call(api, "register_task_definition", **TASKDEF))
    prefix = f"arn:aws:ecs:us-east-1:000000000000:container-instance/{cluster}/"
    results = boto3_calls(
        api.endpoint,
        KEY,
        SECRET,
        [
            {
                "op": "put_attributes",
                "params": {
                    "cluster": cluster,
                    "attributes": [{"name": "stack", "value": "blue", "targetId": prefix + "worker-b1"}],
                },
            },
            {
                "op": "list_attributes",
                "params": {"cluster": cluster, "targetType": "container-instance", "attributeName": "stack"},
            },
            {
                "op": "run_task",
                "params": {
                    "cluster": cluster,
                    "taskDefinition": "web",
                    "placementConstraints": [{"type": "memberOf", "expression": "attribute:stack == blue"}],
                },
            },
            {
                "op": "start_task",
                "params": {"cluster": cluster, "taskDefinition": "web", "containerInstances": ["worker-c1"]},
            },
            {
                "op": "update_container_instances_state",
                "params": {
                    "cluster": cluster,
                    "containerInstances": ["worker-a1", "worker-zz"],
                    "status": "DRAINING",
                },
            },
            {
                "op": "put_attributes",
                "params": {
                    "cluster": cluster,
                    "attributes": [{"name": "ecs.os-type", "value": "x", "targetId": "worker-a1"}],
                },
            },
        ],
    )
    assert ok(results[0])["attributes"] == [
        {
            "name": "stack",
            "value": "blue",
            "targetType": "container-instance",
            "targetId": prefix + "worker-b1",
        }
    ]
    assert ok(results[1])["attributes"] == [
        {
            "name": "stack",
            "value": "blue",
            "targetType": "container-instance",
            "targetId": prefix + "worker-b1",
        }
    ]
    assert [t["containerInstanceArn"] for t in ok(results[2])["tasks"]] == [prefix + "worker-b1"]
    assert [t["containerInstanceArn"] for t in ok(results[3])["tasks"]] == [prefix + "worker-c1"]
    drained = ok(results[4])
    assert [(i["containerInstanceArn"], i["status"]) for i in drained["containerInstances"]] == [
        (prefix + "worker-a1", "DRAINING")
    ]
    assert drained["failures"] == [{"arn": prefix + "worker-zz", "reason": "MISSING"}]
    assert results[5]["error"]["code"] == "InvalidParameterException"
    wait_for_instance(api, cluster, "worker-a1", "DRAINING")
    spread = ok(
        call(
            api,
            "run_task",
            cluster=cluster,
            taskDefinition="web",
            count=2,
            group="spread",  # distinctInstance is per group: the tasks above are in family:web
            placementConstraints=[{"type": "distinctInstance"}],
        )
    )
    assert spread["failures"] == []
    assert sorted(t["containerInstanceArn"] for t in spread["tasks"]) == [
        prefix + "worker-b1",
        prefix + "worker-c1",
    ]
    listed = boto3_calls(
        api.endpoint,
        KEY,
        SECRET,
        [
            {"op": "list_container_instances", "params": {"cluster": cluster, "filter": f}}
            for f in ("attribute:stack == blue", "task:group == spread", "not(task:group == spread)")
        ]
        + [
            {"op": "list_container_instances", "params": {"cluster": cluster, "status": "DRAINING"}},
            {
                "op": "list_container_instances",
                "params": {"cluster": cluster, "status": "ACTIVE", "filter": "not(attribute:stack exists)"},
            },
            {"op": "list_container_instances", "params": {"cluster": cluster, "filter": "stack == blue"}},
        ],
    )
    assert [ok(r)["containerInstanceArns"] for r in listed[:5]] == [
        [prefix + "worker-b1"],
        [prefix + "worker-b1", prefix + "worker-c1"],
        [prefix + "worker-a1"],
        [prefix + "worker-a1"],
        [prefix + "worker-c1"],
    ]
    assert listed[5]["error"]["code"] == "InvalidParameterException"
    assert "column 1" in listed[5]["error"]["message"]
    leaving = boto3_calls(
        api.endpoint,
        KEY,
        SECRET,
        [
            {
                "op": "deregister_container_instance",
                "params": {"cluster": cluster, "containerInstance": "worker-c1"},
            },
            {
                "op": "deregister_container_instance",
                "params": {"cluster": cluster, "containerInstance": prefix + "worker-c1", "force": True},
            },
            {
                "op": "deregister_container_instance",
                "params": {"cluster": cluster, "containerInstance": "worker-zz"},
            },
        ],
    )
    assert leaving[0]["error"]["code"] == "InvalidParameterException"  # tasks there, no force
    assert ok(leaving[1])["containerInstance"]["status"] == "INACTIVE"
    assert leaving[2]["error"]["code"] == "InvalidParameterException"
    assert "ecs-operator.dev/cluster" not in kube.get_json("node", "worker-c1")["metadata"]["labels"]
    wait_for_instance(api, cluster, "worker-c1", "INACTIVE")


def test_delete_task_definitions_purges_revisions_once_unused(
    kube: Kube, api: ApiServer, api_cluster: str, namespace: str
) -> None:
    cluster = api_cluster
    create_cluster(api, cluster)
    arn = "arn:aws:ecs:us-east-1:000000000000:task-definition/"
    for image in ("nginx:1.25", "nginx:1.26", "nginx:1.27"):
        container = {"name": "web", "image": image, "cpu": 128, "memory": 256}
        ok(call(api, "register_task_definition", family="del", containerDefinitions=[container]))
    ran = ok(call(api, "run_task", cluster=cluster, taskDefinition="del:2"))["tasks"]
    assert len(ran) == 1
    results = boto3_calls(
        api.endpoint,
        KEY,
        SECRET,
        [
            {"op": "deregister_task_definition", "params": {"taskDefinition": "del:1"}},
            {"op": "deregister_task_definition", "params": {"taskDefinition": arn + "del:2"}},
            {
                "op": "delete_task_definitions",
                "params": {"taskDefinitions": ["del:1", arn + "del:2", "del:3", "del", "nope:1"]},
            },
            {"op": "delete_task_definitions", "params": {"taskDefinitions": [f"del:{i}" for i in range(11)]}},
        ],
    )
    deleted = ok(results[2])
    assert [(t["taskDefinitionArn"], t["status"]) for t in deleted["taskDefinitions"]] == [
        (arn + "del:1", "DELETE_IN_PROGRESS"),
        (arn + "del:2", "DELETE_IN_PROGRESS"),
    ]
    assert deleted["taskDefinitions"][1]["containerDefinitions"][0]["image"] == "nginx:1.26"
    assert [(f["arn"], f["reason"].split(".")[0]) for f in deleted["failures"]] == [
        (arn + "del:3", "The specified task definition is still in ACTIVE status"),
        ("del", "The specified task definition identifier is invalid"),
        (arn + "nope:1", "The specified task definition does not exist"),
    ]
    assert results[3]["error"]["code"] == "InvalidParameterException"

    def describe(revision: int) -> dict[str, Any]:
        return call(api, "describe_task_definition", taskDefinition=f"del:{revision}")

    # del:1 is used by nothing: purged; del:2 stays DELETE_IN_PROGRESS while its task is not STOPPED.
    wait_for(lambda: "error" in describe(1), timeout=60, what="del:1 purged")
    assert describe(1)["error"] == {
        "code": "ClientException",
        "message": "Unable to describe task definition.",
    }
    gone = kube.kubectl("get", "configmap", "ecstd.del.1", "-n", namespace, check=False)
    assert gone.returncode != 0 and "NotFound" in gone.stderr
    assert ok(describe(2))["taskDefinition"]["status"] == "DELETE_IN_PROGRESS"
    listing = ok(call(api, "list_task_definitions", familyPrefix="del", status="DELETE_IN_PROGRESS"))
    assert listing["taskDefinitionArns"] == [arn + "del:2"]
    refused = call(api, "run_task", cluster=cluster, taskDefinition="del:2")
    assert "error" in refused or ok(refused)["failures"], refused

    ok(call(api, "stop_task", cluster=cluster, task=ran[0]["taskArn"], reason="done"))
    wait_for(lambda: "error" in describe(2), timeout=120, what="del:2 purged after its task stopped")
    # The family's numbers go on past purged revisions, even the latest one.
    ok(call(api, "deregister_task_definition", taskDefinition="del:3"))
    ok(call(api, "delete_task_definitions", taskDefinitions=["del:3"]))
    wait_for(lambda: "error" in describe(3), timeout=60, what="del:3 purged")
    # The spec of del:3 again: ECS registers a new revision rather than answering with the purged one.
    container = {"name": "web", "image": "nginx:1.27", "cpu": 128, "memory": 256}
    again = ok(call(api, "register_task_definition", family="del", containerDefinitions=[container]))
    assert (again["taskDefinition"]["revision"], again["taskDefinition"]["status"]) == (4, "ACTIVE")
    container = {"name": "web", "image": "nginx:1.28", "cpu": 128, "memory": 256}
    again = ok(call(api, "register_task_definition", family="del", containerDefinitions=[container]))
    assert again["taskDefinition"]["revision"] == 5


def test_aws_cli_with_a_minted_access_key(kube: Kube, api: ApiServer, namespace: str, unique: str) -> None:
    """`ecs-operator create-access-key` mints a key for a ServiceAccount; the real `aws` CLI uses it."""
    minted = subprocess.run(
        [
            sys.executable,
            "-m",
            "ecs_operator.cli.main",
            "create-access-key",
            f"--kubeconfig={kube.kubeconfig}",
            f"--service-account={namespace}/deployer",
            f"--keys-namespace={namespace}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    env = dict(
        line.removeprefix("export ").split("=", 1)
        for line in minted.splitlines()
        if line.startswith("export ")
    )
    assert env["AWS_ACCESS_KEY_ID"].startswith("AKIA") and len(env["AWS_ACCESS_KEY_ID"]) == 20
    aws = aws_python().parent / "aws"

    def run_aws(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(aws), "ecs", *args, "--endpoint-url", api.endpoint, "--no-verify-ssl", "--output", "json"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, **env, "AWS_DEFAULT_REGION": "us-east-1", "PYTHONWARNINGS": "ignore"},
        )

    registered = run_aws(
        "register-task-definition",
        "--family",
        f"cli-{unique}",
        "--container-definitions",
        json.dumps([{"name": "app", "image": "busybox", "memory": 64}]),
    )
    assert registered.returncode == 0, registered.stderr
    arn = json.loads(registered.stdout)["taskDefinition"]["taskDefinitionArn"]
    assert arn == f"arn:aws:ecs:us-east-1:000000000000:task-definition/cli-{unique}:1"
    families = run_aws("list-task-definition-families")
    assert json.loads(families.stdout)["families"] == [f"cli-{unique}"]
    missing = run_aws("describe-clusters", "--clusters", f"nothing-{unique}")
    assert json.loads(missing.stdout)["failures"][0]["reason"] == "MISSING"
    insights = run_aws("list-account-settings", "--effective-settings", "--name", "containerInsights")
    assert json.loads(insights.stdout)["settings"] == [
        {
            "name": "containerInsights",
            "value": "disabled",
            "principalArn": "arn:aws:iam::000000000000:root",
            "type": "aws_managed",
        }
    ]
    unsupported = run_aws("discover-poll-endpoint")
    assert unsupported.returncode != 0
    assert (
        "UnsupportedOperationException" in unsupported.stderr and "DiscoverPollEndpoint" in unsupported.stderr
    )


def test_eventbridge_scheduler_schedules_are_scheduled_tasks(
    kube: Kube, api: ApiServer, namespace: str
) -> None:
    cluster_arn = "arn:aws:ecs:us-east-1:000000000000:cluster/nightly"
    target = {
        "Arn": cluster_arn,
        "RoleArn": "arn:aws:iam::000000000000:role/ignored",
        "EcsParameters": {
            "TaskDefinitionArn": "arn:aws:ecs:us-east-1:000000000000:task-definition/backup:2",
            "TaskCount": 2,
            "PlacementStrategy": [{"type": "spread", "field": "attribute:ecs.availability-zone"}],
        },
    }
    schedule = {
        "Name": "backup",
        "ScheduleExpression": "at(2099-01-01T00:00:00)",
        "ScheduleExpressionTimezone": "Europe/Berlin",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": target,
    }

    def sched(op: str, **params: Any) -> dict[str, Any]:
        return {"service": "scheduler", "op": op, "params": params}

    results = boto3_calls(
        api.endpoint,
        KEY,
        SECRET,
        [
            sched("create_schedule", **schedule),
            sched("create_schedule", **schedule),
            sched("get_schedule", Name="backup"),
            sched("update_schedule", **{**schedule, "State": "DISABLED"}),
            sched("list_schedules"),
            sched(
                "create_schedule",
                **{
                    **schedule,
                    "Name": "sqs",
                    "Target": {"Arn": "arn:aws:sqs:us-east-1:0:q", "RoleArn": "arn:aws:iam::0:role/r"},
                },
            ),
        ],
    )
    assert ok(results[0])["ScheduleArn"] == "arn:aws:scheduler:us-east-1:000000000000:schedule/default/backup"
    assert results[1]["error"]["code"] == "ConflictException"
    got = ok(results[2])
    assert (got["ScheduleExpression"], got["ScheduleExpressionTimezone"], got["State"]) == (
        "at(2099-01-01T00:00:00)",
        "Europe/Berlin",
        "ENABLED",
    )
    assert got["Target"]["Arn"] == cluster_arn
    assert got["Target"]["EcsParameters"]["TaskDefinitionArn"] == target["EcsParameters"]["TaskDefinitionArn"]
    assert got["Target"]["EcsParameters"]["TaskCount"] == 2
    ok(results[3])
    listed = ok(results[4])["Schedules"]
    assert [(s["Name"], s["State"]) for s in listed] == [("backup", "DISABLED")]
    assert results[5]["error"]["code"] == "ValidationException"
    spec = kube.get_json("scheduledtask", "backup", "-n", namespace)["spec"]
    assert spec["cluster"] == "nightly" and spec["state"] == "DISABLED"
    assert spec["target"]["taskDefinition"] == "backup:2"
    assert spec["target"]["placementStrategy"] == [
        {"type": "spread", "field": "attribute:ecs.availability-zone"}
    ]
    gone = boto3_calls(
        api.endpoint,
        KEY,
        SECRET,
        [sched("delete_schedule", Name="backup"), sched("get_schedule", Name="backup")],
    )
    ok(gone[0])
    assert gone[1]["error"]["code"] == "ResourceNotFoundException"


def test_capacity_providers_through_the_ecs_api(
    kube: Kube, api: ApiServer, api_cluster: str, unique: str
) -> None:
    """A provider made by CreateCapacityProvider takes the nodes of its Auto Scaling group's label;
    associated by PutClusterCapacityProviders as the cluster's default, it is where RunTask without a
    launch type places; in use it cannot be deleted, and once disassociated it can."""
    cluster, provider, group = api_cluster, f"cp-{unique}", f"grp-{unique}"
    kube.kubectl("label", "node", "worker-a1", f"{GROUP_LABEL}={group}", "--overwrite")
    try:
        create_cluster(api, cluster)
        ok(call(api, "register_task_definition", **TASKDEF))
        asg = f"arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:1f2e:autoScalingGroupName/{group}"
        strategy = [{"capacityProvider": provider, "base": 1, "weight": 1}]
        results = boto3_calls(
            api.endpoint,
            KEY,
            SECRET,
            [
                {
                    "op": "create_capacity_provider",
                    "params": {
                        "name": provider,
                        "autoScalingGroupProvider": {
                            "autoScalingGroupArn": asg,
                            "managedScaling": {"status": "ENABLED", "targetCapacity": 90},
                            "managedTerminationProtection": "DISABLED",
                        },
                    },
                },
                {
                    "op": "create_capacity_provider",
                    "params": {"name": "ecs-x", "autoScalingGroupProvider": {"autoScalingGroupArn": asg}},
                },
                {
                    "op": "put_cluster_capacity_providers",
                    "params": {
                        "cluster": cluster,
                        "capacityProviders": [provider],
                        "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}],
                    },
                },
                {
                    "op": "put_cluster_capacity_providers",
                    "params": {
                        "cluster": cluster,
                        "capacityProviders": [provider, "FARGATE"],
                        "defaultCapacityProviderStrategy": strategy,
                    },
                },
                {
                    "op": "describe_capacity_providers",
                    "params": {"capacityProviders": [provider, "FARGATE", "nope"]},
                },
                {
                    "op": "update_capacity_provider",
                    "params": {
                        "name": provider,
                        "autoScalingGroupProvider": {
                            "managedScaling": {"status": "DISABLED", "targetCapacity": 100}
                        },
                    },
                },
                {"op": "delete_capacity_provider", "params": {"capacityProvider": provider}},
                {"op": "run_task", "params": {"cluster": cluster, "taskDefinition": "web", "count": 2}},
                {"op": "describe_clusters", "params": {"clusters": [cluster]}},
            ],
        )
        made = ok(results[0])["capacityProvider"]
        assert (
            made["capacityProviderArn"] == f"arn:aws:ecs:us-east-1:000000000000:capacity-provider/{provider}"
        )
        assert made["autoScalingGroupProvider"]["autoScalingGroupArn"].endswith(
            f"autoScalingGroupName/{group}"
        )
        assert made["autoScalingGroupProvider"]["managedScaling"] == {
            "status": "ENABLED",
            "targetCapacity": 90,
        }
        assert results[1]["error"]["code"] == "InvalidParameterException"
        not_associated = results[2]["error"]
        assert not_associated["code"] == "InvalidParameterException"
        assert (
            "cannot contain a capacity provider that is not associated with the cluster"
            in not_associated["message"]
        )
        assert ok(results[3])["cluster"]["capacityProviders"] == [provider, "FARGATE"]
        described = ok(results[4])
        assert [p["name"] for p in described["capacityProviders"]] == [provider, "FARGATE"]
        assert described["failures"] == [
            {"arn": "arn:aws:ecs:us-east-1:000000000000:capacity-provider/nope", "reason": "MISSING"}
        ]
        updated = ok(results[5])["capacityProvider"]
        assert updated["autoScalingGroupProvider"]["managedScaling"]["status"] == "DISABLED"
        assert results[6]["error"]["code"] == "ClientException"
        run = ok(results[7])
        assert run["failures"] == []
        assert [
            (t["containerInstanceArn"].rsplit("/", 1)[1], t["capacityProviderName"]) for t in run["tasks"]
        ] == [("worker-a1", provider)] * 2
        assert ok(results[8])["clusters"][0]["defaultCapacityProviderStrategy"] == strategy

        ok(call(api, "stop_task", cluster=cluster, task=run["tasks"][0]["taskArn"]))
        ok(call(api, "stop_task", cluster=cluster, task=run["tasks"][1]["taskArn"]))
        cleared = boto3_calls(
            api.endpoint,
            KEY,
            SECRET,
            [
                {
                    "op": "put_cluster_capacity_providers",
                    "params": {
                        "cluster": cluster,
                        "capacityProviders": [],
                        "defaultCapacityProviderStrategy": [],
                    },
                },
                {"op": "delete_capacity_provider", "params": {"capacityProvider": provider}},
                {"op": "describe_capacity_providers", "params": {"capacityProviders": [provider]}},
            ],
        )
        assert ok(cleared[0])["cluster"]["capacityProviders"] == []
        assert ok(cleared[1])["capacityProvider"]["updateStatus"] == "DELETE_IN_PROGRESS"
        assert [f["reason"] for f in ok(cleared[2])["failures"]] == ["MISSING"]
        assert kube.kubectl("get", "ecscapacityprovider", provider, check=False).returncode != 0
    finally:
        kube.kubectl("label", "node", "worker-a1", f"{GROUP_LABEL}-", check=False)
        kube.kubectl("delete", "ecscapacityprovider", provider, "--wait=false", check=False)


def test_settings_and_idempotent_creation(
    kube: Kube, api: ApiServer, api_cluster: str, namespace: str
) -> None:
    """Cluster and account settings are kept and read back as ECS reads them; a clientToken (or
    the same CreateService) answers again with what the first call made, and never makes more."""
    cluster = api_cluster
    create_cluster(api, cluster)
    ok(call(api, "register_task_definition", **TASKDEF))
    service = {"cluster": cluster, "serviceName": "web", "taskDefinition": "web", "desiredCount": 1}
    run = {"cluster": cluster, "taskDefinition": "web", "clientToken": "run-once"}
    results = boto3_calls(
        api.endpoint,
        KEY,
        SECRET,
        [
            {
                "op": "update_cluster_settings",
                "params": {
                    "cluster": cluster,
                    "settings": [{"name": "containerInsights", "value": "enhanced"}],
                },
            },
            {
                "op": "update_cluster",
                "params": {
                    "cluster": cluster,
                    "configuration": {"executeCommandConfiguration": {"logging": "DEFAULT"}},
                },
            },
            {
                "op": "describe_clusters",
                "params": {"clusters": [cluster], "include": ["SETTINGS", "CONFIGURATIONS"]},
            },
            {"op": "describe_clusters", "params": {"clusters": [cluster]}},
            {
                "op": "update_cluster_settings",
                "params": {"cluster": cluster, "settings": [{"name": "containerInsights", "value": "on"}]},
            },
            {"op": "put_account_setting", "params": {"name": "containerInsights", "value": "enabled"}},
            {
                "op": "put_account_setting_default",
                "params": {"name": "fargateTaskRetirementWaitPeriod", "value": "14"},
            },
            {"op": "list_account_settings", "params": {}},
            {"op": "list_account_settings", "params": {"name": "awsvpcTrunking", "effectiveSettings": True}},
            {"op": "delete_account_setting", "params": {"name": "containerInsights"}},
            {"op": "put_account_setting", "params": {"name": "awsvpcTrunking", "value": "bogus"}},
            {"op": "create_service", "params": {**service, "clientToken": "svc-1"}},
            {"op": "create_service", "params": {**service, "clientToken": "svc-1"}},
            {"op": "create_service", "params": {**service, "desiredCount": 2}},
            {"op": "run_task", "params": run},
            {"op": "run_task", "params": run},
            {"op": "run_task", "params": {**run, "count": 2}},
        ],
    )
    insights = [{"name": "containerInsights", "value": "enhanced"}]
    assert ok(results[0])["cluster"]["settings"] == insights
    assert ok(results[1])["cluster"]["configuration"] == {
        "executeCommandConfiguration": {"logging": "DEFAULT"}
    }
    with_settings = ok(results[2])["clusters"][0]
    assert with_settings["settings"] == insights
    assert with_settings["configuration"] == {"executeCommandConfiguration": {"logging": "DEFAULT"}}
    assert "settings" not in ok(results[3])["clusters"][0]
    assert results[4]["error"]["code"] == "InvalidParameterException"
    assert ok(results[5])["setting"]["value"] == "enabled"
    assert ok(results[6])["setting"] == {
        "name": "fargateTaskRetirementWaitPeriod",
        "value": "14",
        "principalArn": "arn:aws:iam::000000000000:root",
        "type": "user",
    }
    assert sorted((s["name"], s["value"]) for s in ok(results[7])["settings"]) == [
        ("containerInsights", "enabled"),
        ("fargateTaskRetirementWaitPeriod", "14"),
    ]
    assert [(s["name"], s["value"]) for s in ok(results[8])["settings"]] == [("awsvpcTrunking", "disabled")]
    assert ok(results[9])["setting"]["value"] == "disabled"
    assert results[10]["error"]["code"] == "InvalidParameterException"
    kept = kube.get_json("configmap", "ecs-account-settings", "-n", namespace)["data"]
    assert kept == {"fargateTaskRetirementWaitPeriod": "14"}

    first, again = ok(results[11])["service"], ok(results[12])["service"]
    assert first["serviceArn"] == again["serviceArn"]
    assert results[13]["error"] == {
        "code": "InvalidParameterException",
        "message": "Creation of service was not idempotent.",
    }
    ran, reran = ok(results[14]), ok(results[15])
    assert len(ran["tasks"]) == 1 and [t["taskArn"] for t in reran["tasks"]] == [
        t["taskArn"] for t in ran["tasks"]
    ]
    assert results[16]["error"]["code"] == "InvalidParameterException"
    standalone = [
        t
        for t in kube.get_json("ecstasks", "-n", namespace)["items"]
        if not str(t["spec"].get("group", "")).startswith("service:")
    ]
    assert len(standalone) == 1
