"""Container instances follow nodes (issue 2, part 4), through the real API server and KWOK."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.cluster import Kube, fake_node, wait_for
from tests.support.operator import OperatorProcess

EC2_NODES = ["worker-a1", "worker-a2", "worker-b1", "worker-b2", "worker-c1", "worker-c2"]


def cluster_manifest(name: str, match: dict[str, str]) -> str:
    return json.dumps(
        {
            "apiVersion": "ecs-operator.dev/v1alpha1",
            "kind": "EcsCluster",
            "metadata": {"name": name},
            "spec": {"nodeSelector": {"matchLabels": match}},
        }
    )


def instances(kube: Kube, cluster: str) -> dict[str, dict[str, Any]]:
    items = kube.get_json("ecscontainerinstances", "-l", f"ecs-operator.dev/cluster={cluster}")["items"]
    return {i["spec"]["nodeName"]: i for i in items}


def status_of(kube: Kube, cluster: str, node: str) -> dict[str, Any]:
    return instances(kube, cluster).get(node, {}).get("status") or {}


def attr(status: dict[str, Any], name: str) -> str | None:
    return next((a.get("value") for a in status.get("attributes", []) if a["name"] == name), None)


@pytest.fixture
def ec2_cluster(kube: Kube, operator: OperatorProcess, unique: str) -> Any:
    name = f"ec2-{unique}"
    kube.apply(cluster_manifest(name, {"node.ecs-operator.dev/capacity": "ec2"}))
    yield name
    kube.kubectl("delete", "ecscluster", name, "--wait=false", check=False)


def test_one_instance_per_selected_node_with_attributes_and_resources(kube: Kube, ec2_cluster: str) -> None:
    got = wait_for(
        lambda: (
            (i := instances(kube, ec2_cluster))
            and len(i) == 6
            and all(x.get("status", {}).get("registeredResources") for x in i.values())
            # registered = allocatable minus the pods no claim of this cluster covers: the pods of
            # tests that ran before on these shared nodes may take a few seconds to go
            and i["worker-b2"]["status"]["registeredResources"]["cpu"] == 2048
            and i["worker-a1"]["status"]["registeredResources"]["cpu"] == 4096
            and i
        ),
        what="six container instances with their nodes' whole allocatable",
    )
    assert sorted(got) == EC2_NODES
    a1 = got["worker-a1"]
    assert a1["metadata"]["name"] == f"{ec2_cluster}.worker-a1"
    st = a1["status"]
    assert (st["status"], st["agentConnected"], st["ec2InstanceId"]) == ("ACTIVE", True, "worker-a1")
    assert attr(st, "ecs.availability-zone") == "zone-a"
    assert attr(st, "ecs.instance-type") == "m5.xlarge"
    assert attr(st, "ecs.os-type") == "linux"
    assert attr(st, "ecs.cpu-architecture") == "x86_64"
    assert st["registeredResources"]["cpu"] == 4096
    assert st["registeredResources"]["memory"] == 16384
    assert got["worker-b2"]["status"]["registeredResources"]["cpu"] == 2048
    assert st["remainingResources"]["cpu"] == 4096
    # the printer columns show zone and type
    table = kube.kubectl("get", "ecsci", f"{ec2_cluster}.worker-a1").stdout
    assert "zone-a" in table and "m5.xlarge" in table
    # the cluster counts its instances
    wait_for(
        lambda: (
            (kube.get_json("ecscluster", ec2_cluster).get("status") or {}).get(
                "registeredContainerInstancesCount"
            )
            == 6
        ),
        what="cluster status count",
    )


def test_cordon_drains_and_uncordon_activates(kube: Kube, ec2_cluster: str) -> None:
    wait_for(lambda: status_of(kube, ec2_cluster, "worker-c2").get("status") == "ACTIVE", what="ACTIVE")
    kube.kubectl("cordon", "worker-c2")
    try:
        wait_for(
            lambda: status_of(kube, ec2_cluster, "worker-c2").get("status") == "DRAINING", what="DRAINING"
        )
    finally:
        kube.kubectl("uncordon", "worker-c2")
    wait_for(lambda: status_of(kube, ec2_cluster, "worker-c2").get("status") == "ACTIVE", what="ACTIVE again")


def test_spec_status_draining_and_custom_attributes(kube: Kube, ec2_cluster: str) -> None:
    name = f"{ec2_cluster}.worker-b1"
    wait_for(lambda: status_of(kube, ec2_cluster, "worker-b1").get("status") == "ACTIVE", what="ACTIVE")
    patch = {"spec": {"status": "DRAINING", "attributes": [{"name": "stack", "value": "prod"}]}}
    kube.kubectl("patch", "ecsci", name, "--type=merge", "-p", json.dumps(patch))
    st = wait_for(
        lambda: (s := status_of(kube, ec2_cluster, "worker-b1")).get("status") == "DRAINING" and s,
        what="DRAINING",
    )
    wait_for(
        lambda: attr(status_of(kube, ec2_cluster, "worker-b1"), "stack") == "prod", what="custom attribute"
    )
    assert attr(st, "ecs.availability-zone") == "zone-b"


def test_label_change_moves_a_node_in_and_out(kube: Kube, operator: OperatorProcess, unique: str) -> None:
    label = f"test.ecs-operator.dev/{unique}"
    cluster = f"lbl-{unique}"
    kube.apply(cluster_manifest(cluster, {label: "yes"}))
    try:
        kube.kubectl("label", "node", "worker-a2", f"{label}=yes")
        wait_for(
            lambda: status_of(kube, cluster, "worker-a2").get("status") == "ACTIVE", what="node moved in"
        )
        assert list(instances(kube, cluster)) == ["worker-a2"]
        kube.kubectl("label", "node", "worker-a2", f"{label}-")
        wait_for(
            lambda: status_of(kube, cluster, "worker-a2").get("status") == "INACTIVE", what="node moved out"
        )
    finally:
        kube.kubectl("label", "node", "worker-a2", f"{label}-", check=False)
        kube.kubectl("delete", "ecscluster", cluster, "--wait=false", check=False)


def test_new_node_registers_and_deleted_node_goes_inactive(
    kube: Kube, operator: OperatorProcess, unique: str
) -> None:
    label = f"test.ecs-operator.dev/{unique}"
    cluster = f"new-{unique}"
    node = f"extra-{unique}"
    kube.apply(cluster_manifest(cluster, {label: "yes"}))
    kube.apply(fake_node(node, {label: "yes"}))
    try:
        st = wait_for(
            lambda: (s := status_of(kube, cluster, node)).get("agentConnected") and s, what="new node Ready"
        )
        assert st["registeredResources"]["cpu"] == 8192
        # a pod the operator does not manage takes its requests out of the registered resources
        kube.apply(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": "foreign", "namespace": "default"},
                    "spec": {
                        "nodeName": node,
                        "containers": [
                            {
                                "name": "c",
                                "image": "busybox",
                                "resources": {"requests": {"cpu": "1", "memory": "1Gi"}},
                                "ports": [{"containerPort": 80, "hostPort": 9000}],
                            }
                        ],
                    },
                }
            )
        )
        st = wait_for(
            lambda: (
                (s := status_of(kube, cluster, node)).get("registeredResources", {}).get("cpu") == 7168 and s
            ),
            what="foreign pod accounted",
        )
        assert st["registeredResources"]["memory"] == 32768 - 1024
        assert 9000 in st["registeredResources"]["ports"]
        kube.kubectl("delete", "pod", "foreign", "-n", "default", "--wait=false")
        # a node whose agent disconnects
        kube.kubectl("annotate", "node", node, "kwok.ecs-operator.dev/ready=false")
        wait_for(
            lambda: status_of(kube, cluster, node).get("agentConnected") is False, what="agent disconnected"
        )
        kube.kubectl("delete", "node", node)
        wait_for(
            lambda: status_of(kube, cluster, node).get("status") == "INACTIVE", what="deleted node INACTIVE"
        )
    finally:
        kube.kubectl("delete", "pod", "foreign", "-n", "default", "--wait=false", check=False)
        kube.kubectl("delete", "node", node, "--wait=false", check=False)
        kube.kubectl("delete", "ecscluster", cluster, "--wait=false", check=False)
