"""Capacity providers on the real API server (issue 14, items 1-3): two providers over labelled
KWOK node pools, a service whose strategy is base 1 / weight 1:3, the split read back through the
API as it scales out and in; the cluster's default strategy; refusals at admission through
kubectl; a spot interruption."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.cluster import Kube, fake_node, wait_for
from tests.support.ecs import manifest, register, wait_status
from tests.support.operator import OperatorProcess

PROTECTED = {"cluster-autoscaler.kubernetes.io/safe-to-evict": "false", "karpenter.sh/do-not-disrupt": "true"}
BOTH = (
    "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again."
)


@dataclass(frozen=True)
class Pools:
    cluster: str
    ondemand: str  # provider names
    spot: str
    nodes: dict[str, str]  # node name -> provider name


@pytest.fixture
def pools(kube: Kube, operator: OperatorProcess, unique: str) -> Iterator[Pools]:
    """One on-demand node and two spot nodes, one EcsCapacityProvider per pool, one cluster."""
    member = f"test.ecs-operator.dev/cp-{unique}"
    pool = f"test.ecs-operator.dev/pool-{unique}"
    ondemand, spot, cluster = f"ondemand-{unique}", f"spot-{unique}", f"cp-{unique}"
    nodes = {f"cp-{unique}-od1": ondemand, f"cp-{unique}-sp1": spot, f"cp-{unique}-sp2": spot}
    for i, (node, provider) in enumerate(nodes.items()):
        kind = "ondemand" if provider == ondemand else "spot"
        kube.apply(fake_node(node, {member: "yes", pool: kind}, zone=f"zone-{'abc'[i]}"))
    for provider, kind in ((ondemand, "ondemand"), (spot, "spot")):
        body: dict[str, Any] = {"nodeSelector": {"matchLabels": {pool: kind}}}
        if kind == "ondemand":
            body["managedTerminationProtection"] = "ENABLED"
        kube.apply(manifest("EcsCapacityProvider", provider, body))
    spec = {
        "nodeSelector": {"matchLabels": {member: "yes"}},
        "capacityProviders": [ondemand, spot],
        "defaultCapacityProviderStrategy": [{"capacityProvider": spot, "weight": 1}],
    }
    kube.apply(manifest("EcsCluster", cluster, spec))
    try:
        wait_for(
            lambda: (
                len(
                    [
                        i
                        for i in kube.get_json("ecsci", "-l", f"ecs-operator.dev/cluster={cluster}")["items"]
                        if (i.get("status") or {}).get("registeredResources")
                    ]
                )
                == 3
            ),
            what="three instances registered",
        )
        yield Pools(cluster, ondemand, spot, nodes)
    finally:
        kube.kubectl("delete", "ecscluster", cluster, "--wait=false", check=False)
        for provider in (ondemand, spot):
            kube.kubectl("delete", "ecscapacityprovider", provider, "--wait=false", check=False)
        for node in nodes:
            kube.kubectl("delete", "node", node, "--wait=false", check=False)


def live_tasks(kube: Kube, namespace: str) -> list[dict[str, Any]]:
    items = kube.get_json("ecstasks", "-n", namespace, "-l", "ecs-operator.dev/service=web")["items"]
    return [
        t
        for t in items
        if (t.get("status") or {}).get("lastStatus") == "RUNNING"
        and t["spec"].get("desiredStatus") != "STOPPED"
    ]


def split_when(kube: Kube, namespace: str, count: int) -> list[dict[str, Any]]:
    return wait_for(
        lambda: (r := live_tasks(kube, namespace)) and len(r) == count and r,
        timeout=120,
        what=f"{count} service tasks RUNNING",
    )


def check_on_their_providers(pools: Pools, tasks: list[dict[str, Any]]) -> Counter[str]:
    """Every task runs on a node of the provider it records; returns the count per provider."""
    for t in tasks:
        node = t["status"]["containerInstance"].split(".", 1)[1]
        assert pools.nodes[node] == t["status"]["capacityProviderName"], t["status"]
        assert "launchType" not in t["spec"]
    return Counter(t["status"]["capacityProviderName"] for t in tasks)


def test_a_service_splits_its_tasks_base_first_then_by_weight(
    kube: Kube, pools: Pools, namespace: str
) -> None:
    register(kube, namespace)
    strategy = [
        {"capacityProvider": pools.ondemand, "base": 1, "weight": 1},
        {"capacityProvider": pools.spot, "weight": 3},
    ]
    body = {
        "cluster": pools.cluster,
        "taskDefinition": "web",
        "desiredCount": 5,
        "capacityProviderStrategy": strategy,
    }
    kube.apply(manifest("EcsService", "web", body, namespace))
    five = check_on_their_providers(pools, split_when(kube, namespace, 5))
    # base 1 on ondemand, then 4 tasks split 1:3
    assert five == Counter({pools.ondemand: 2, pools.spot: 3})

    kube.kubectl(
        "patch", "ecsservice", "web", "-n", namespace, "--type=merge", "-p", '{"spec":{"desiredCount":9}}'
    )
    nine = check_on_their_providers(pools, split_when(kube, namespace, 9))
    assert nine == Counter({pools.ondemand: 3, pools.spot: 6})  # 1 + 8 split 1:3

    kube.kubectl(
        "patch", "ecsservice", "web", "-n", namespace, "--type=merge", "-p", '{"spec":{"desiredCount":5}}'
    )
    back = check_on_their_providers(pools, split_when(kube, namespace, 5))
    assert back == Counter({pools.ondemand: 2, pools.spot: 3})  # scale-in sheds what is above its share


def test_standalone_tasks_use_the_cluster_default_strategy_unless_they_name_a_launch_type(
    kube: Kube, pools: Pools, namespace: str
) -> None:
    register(kube, namespace)
    kube.apply(
        manifest("EcsTask", "by-default", {"cluster": pools.cluster, "taskDefinition": "web"}, namespace)
    )
    kube.apply(
        manifest(
            "EcsTask",
            "ec2",
            {"cluster": pools.cluster, "taskDefinition": "web", "launchType": "EC2"},
            namespace,
        )
    )
    own = [{"capacityProvider": pools.ondemand, "weight": 1}]
    kube.apply(
        manifest(
            "EcsTask",
            "own",
            {"cluster": pools.cluster, "taskDefinition": "web", "capacityProviderStrategy": own},
            namespace,
        )
    )
    by_default = wait_status(kube, namespace, "by-default", "RUNNING", timeout=90)
    assert by_default["capacityProviderName"] == pools.spot
    assert pools.nodes[by_default["containerInstance"].split(".", 1)[1]] == pools.spot
    own_status = wait_status(kube, namespace, "own", "RUNNING", timeout=90)
    assert own_status["capacityProviderName"] == pools.ondemand
    assert "capacityProviderName" not in wait_status(kube, namespace, "ec2", "RUNNING", timeout=90)

    # managed termination protection (ondemand: ENABLED) is carried by the task's pod
    def annotations(status: dict[str, Any]) -> dict[str, str]:
        return dict(
            kube.get_json("pod", status["podName"], "-n", namespace)["metadata"].get("annotations") or {}
        )

    assert annotations(own_status).items() >= PROTECTED.items()
    assert not PROTECTED.keys() & annotations(by_default).keys()


def test_a_provider_not_associated_with_the_cluster_fails_the_task_with_ecs_words(
    kube: Kube, pools: Pools, namespace: str
) -> None:
    register(kube, namespace)
    strategy = [{"capacityProvider": "FARGATE", "weight": 1}]
    body = {"cluster": pools.cluster, "taskDefinition": "web", "capacityProviderStrategy": strategy}
    kube.apply(manifest("EcsTask", "stray", body, namespace))
    status = wait_status(kube, namespace, "stray", "STOPPED", timeout=90)
    assert status["stopCode"] == "TaskFailedToStart"
    assert (
        "cannot contain a capacity provider that is not associated with the cluster"
        in status["stoppedReason"]
    )
    assert not status.get("containerInstance")


@pytest.mark.parametrize(
    ("spec", "field", "message"),
    [
        pytest.param(
            {"launchType": "EC2", "capacityProviderStrategy": [{"capacityProvider": "a", "weight": 1}]},
            "spec.capacityProviderStrategy",
            BOTH,
            id="launch-type-and-strategy",
        ),
        pytest.param(
            {
                "capacityProviderStrategy": [
                    {"capacityProvider": "a", "base": 1, "weight": 1},
                    {"capacityProvider": "b", "base": 1, "weight": 1},
                ]
            },
            "spec.capacityProviderStrategy",
            "Only one capacity provider in a capacity provider strategy can have a base defined.",
            id="two-bases",
        ),
        pytest.param(
            {"capacityProviderStrategy": [{"capacityProvider": "a", "weight": 1001}]},
            "spec.capacityProviderStrategy[0].weight",
            "less than or equal to 1000",
            id="weight-1001",
        ),
    ],
)
def test_bad_strategies_are_refused_at_admission_with_the_field_path(
    crds: Kube, namespace: str, spec: dict[str, Any], field: str, message: str
) -> None:
    body = {"cluster": "prod", "taskDefinition": "web", "desiredCount": 1, **spec}
    res = crds.apply(manifest("EcsService", "bad", body, namespace), check=False)
    assert res.returncode != 0
    assert f"{field}: " in res.stderr and message in res.stderr, res.stderr
    assert crds.kubectl("get", "ecsservice", "bad", "-n", namespace, check=False).returncode != 0


def test_a_spot_interruption_drains_the_node_and_stops_its_tasks_at_the_deadline(
    kube: Kube, pools: Pools, namespace: str
) -> None:
    register(kube, namespace)
    spot = [{"capacityProvider": pools.spot, "weight": 1}]
    kube.apply(
        manifest(
            "EcsTask",
            "batch",
            {"cluster": pools.cluster, "taskDefinition": "web", "capacityProviderStrategy": spot},
            namespace,
        )
    )
    placed = wait_status(kube, namespace, "batch", "RUNNING", timeout=90)
    node = placed["containerInstance"].split(".", 1)[1]
    deadline = (datetime.now(UTC) + timedelta(seconds=15)).strftime("%Y-%m-%dT%H:%M:%SZ")
    kube.kubectl("annotate", "node", node, f"ecs-operator.dev/spot-interruption={deadline}")
    try:
        wait_for(
            lambda: (
                (kube.get_json("ecsci", placed["containerInstance"]).get("status") or {}).get("status")
                == "DRAINING"
            ),
            what="the interrupted node's instance DRAINING",
        )
        noticed = wait_for(
            lambda: (
                kube.get_json("ecstask", "batch", "-n", namespace)["metadata"].get("annotations") or {}
            ).get("ecs-operator.dev/retirement-date"),
            what="the notice on the task",
        )
        assert noticed == deadline
        stopped = wait_status(kube, namespace, "batch", "STOPPED", timeout=90)
        assert (stopped["stopCode"], stopped["stoppedReason"]) == (
            "SpotInterruption",
            "Your Spot Task was interrupted.",
        )
        events = kube.get_json("events", "-n", namespace, "--field-selector", "involvedObject.name=batch")[
            "items"
        ]
        assert any(e.get("reason") == "SpotInterruption" and e.get("type") == "Warning" for e in events)
        # nothing new lands on the interrupted node: the next spot task goes to the other spot node
        kube.apply(
            manifest(
                "EcsTask",
                "after",
                {"cluster": pools.cluster, "taskDefinition": "web", "capacityProviderStrategy": spot},
                namespace,
            )
        )
        after = wait_status(kube, namespace, "after", "RUNNING", timeout=90)
        other = after["containerInstance"].split(".", 1)[1]
        assert other != node and pools.nodes[other] == pools.spot
    finally:
        kube.kubectl("annotate", "node", node, "ecs-operator.dev/spot-interruption-", check=False)


SCRIPT = Path(sys.executable).parent / "kubectl-ecs"


def plugin(kube: Kube, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [str(SCRIPT), f"--kubeconfig={kube.kubeconfig}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_kubectl_ecs_describes_providers_and_puts_a_clusters_providers(kube: Kube, pools: Pools) -> None:
    described = plugin(kube, "describe-capacity-providers", "-o", "json")
    assert described.returncode == 0, described.stderr
    views = {v["name"]: v for v in json.loads(described.stdout)["capacityProviders"]}
    assert {"FARGATE", "FARGATE_SPOT", pools.ondemand, pools.spot} <= views.keys()
    assert views[pools.ondemand]["managedTerminationProtection"] == "ENABLED"
    assert views[pools.spot]["managedTerminationProtection"] == "DISABLED"

    put = plugin(
        kube,
        "put-cluster-capacity-providers",
        "--cluster",
        pools.cluster,
        "--capacity-providers",
        pools.ondemand,
        "--default-capacity-provider-strategy",
        f"capacityProvider={pools.ondemand},base=1,weight=1",
    )
    assert put.returncode == 0, put.stderr
    spec = kube.get_json("ecscluster", pools.cluster)["spec"]
    assert spec["capacityProviders"] == [pools.ondemand]
    assert spec["defaultCapacityProviderStrategy"] == [
        {"capacityProvider": pools.ondemand, "base": 1, "weight": 1}
    ]

    refused = plugin(
        kube,
        "put-cluster-capacity-providers",
        "--cluster",
        pools.cluster,
        "--capacity-providers",
        pools.ondemand,
        "--default-capacity-provider-strategy",
        f"capacityProvider={pools.spot},weight=1",
    )
    assert refused.returncode != 0
    assert "cannot contain a capacity provider that is not associated with the cluster" in refused.stderr
    assert kube.get_json("ecscluster", pools.cluster)["spec"]["capacityProviders"] == [pools.ondemand]
