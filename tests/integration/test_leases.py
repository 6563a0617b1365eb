"""Two operator processes share two clusters through Leases; a SIGKILLed one is replaced.

Both run `ecs-operator run` against a control plane of this module's own (the session's operator
would otherwise work on these clusters too and hide a takeover that never happened). The
assertions read the API: who holds each cluster's Lease, and where the tasks were placed. There
is no timed assertion; every wait is bounded, and the takeover time is printed for the record.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import localcp  # on sys.path through tests/conftest.py
import pytest

from tests.support.cluster import Kube, install_crds, wait_for
from tests.support.ecs import manifest, register, task_status
from tests.support.operator import OperatorProcess

ROOT = Path(__file__).resolve().parents[2]
EC2 = "node.ecs-operator.dev/capacity"


@pytest.fixture(scope="module")
def own_plane() -> Iterator[localcp.ControlPlane]:
    state = Path(tempfile.mkdtemp(prefix="ecs-operator-leases-"))
    cp = localcp.ControlPlane(state)
    try:
        cp.up()
        yield cp
    finally:
        cp.down()
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="module")
def admin(own_plane: localcp.ControlPlane) -> Kube:
    kube = Kube(own_plane.kubeconfig, localcp.build_binaries())
    install_crds(kube, ROOT / "crds")
    return kube


@pytest.fixture
def operators(own_plane: localcp.ControlPlane, tmp_path: Path) -> Iterator[dict[str, OperatorProcess]]:
    started: dict[str, OperatorProcess] = {}
    yield started
    for name, proc in started.items():
        proc.stop()
        print(f"\n--- operator {name} log tail ---\n{proc.log_tail(30)}")


def start(plane: localcp.ControlPlane, tmp: Path, identity: str, namespace: str) -> OperatorProcess:
    args = ["--metrics-port=0", f"--identity={identity}", f"--lease-namespace={namespace}"]
    return OperatorProcess(plane.kubeconfig, tmp / f"{identity}.log", extra_args=args).start()


def holders(admin: Kube, namespace: str, clusters: list[str]) -> dict[str, str]:
    leases = {
        item["metadata"]["name"]: (item.get("spec") or {}).get("holderIdentity") or ""
        for item in admin.get_json("leases", "-n", namespace)["items"]
    }
    return {c: leases.get(f"ecs-operator-cluster-{c}", "") for c in clusters}


def cluster_manifest(name: str, zone: str) -> str:
    selector = {"matchLabels": {EC2: "ec2", "topology.kubernetes.io/zone": zone}}
    return manifest("EcsCluster", name, {"nodeSelector": selector})


def placed(admin: Kube, namespace: str, task: str) -> dict[str, str] | None:
    status = task_status(admin, namespace, task)
    return status if status.get("lastStatus") == "RUNNING" and status.get("podName") else None


def test_two_replicas_split_the_clusters_and_a_killed_one_is_replaced(
    own_plane: localcp.ControlPlane, admin: Kube, operators: dict[str, OperatorProcess], tmp_path: Path
) -> None:
    unique = uuid.uuid4().hex[:6]
    ns = f"leases-{unique}"
    admin.kubectl("create", "namespace", ns)
    wait_for(lambda: admin.kubectl("get", "sa", "default", "-n", ns, check=False).returncode == 0, what="sa")
    clusters = [f"east-{unique}", f"west-{unique}"]
    admin.apply(cluster_manifest(clusters[0], "zone-a"))
    admin.apply(cluster_manifest(clusters[1], "zone-b"))
    operators["op-a"] = start(own_plane, tmp_path, "op-a", ns)
    operators["op-b"] = start(own_plane, tmp_path, "op-b", ns)

    # The leases split: one cluster each (balanced rendezvous hashing over the two members).
    split = wait_for(
        lambda: (h := holders(admin, ns, clusters)) and sorted(h.values()) == ["op-a", "op-b"] and h,
        timeout=90,
        what="one cluster lease held by each operator",
    )
    members = {i["metadata"]["name"] for i in admin.get_json("leases", "-n", ns)["items"]}
    assert {"ecs-operator-member-op-a", "ecs-operator-member-op-b"} <= members

    # Each cluster places a task (its holder does it).
    register(admin, ns, "web")
    for index, cluster in enumerate(clusters):
        admin.apply(manifest("EcsTask", f"before-{index}", {"cluster": cluster, "taskDefinition": "web"}, ns))
    for index, cluster in enumerate(clusters):
        status = wait_for(
            lambda i=index: placed(admin, ns, f"before-{i}"), timeout=90, what=f"before-{index}"
        )
        assert status["containerInstance"].startswith(f"{cluster}.")

    # SIGKILL the holder of the first cluster: no release, its leases must expire.
    victim, survivor = split[clusters[0]], split[clusters[1]]
    killed_at = time.monotonic()
    operators[victim].stop(kill=True)
    assert not operators[victim].alive()
    wait_for(
        lambda: holders(admin, ns, clusters) == dict.fromkeys(clusters, survivor),
        timeout=60,
        what=f"{survivor} holding both clusters",
    )
    taken_over = time.monotonic() - killed_at

    # The survivor places a new task on the dead replica's cluster.
    admin.apply(manifest("EcsTask", "after", {"cluster": clusters[0], "taskDefinition": "web"}, ns))
    status = wait_for(lambda: placed(admin, ns, "after"), timeout=90, what="the new task RUNNING")
    assert status["containerInstance"].startswith(f"{clusters[0]}.")
    pod = admin.get_json("pod", status["podName"], "-n", ns)
    assert pod["spec"]["nodeName"] == status["containerInstance"].split(".", 1)[1]
    print(f"\ntakeover after SIGKILL: {taken_over:.1f}s; placed after {time.monotonic() - killed_at:.1f}s")

    # The earlier tasks are untouched: still RUNNING, each on its own cluster.
    for index in range(2):
        assert task_status(admin, ns, f"before-{index}")["lastStatus"] == "RUNNING"
    admin.kubectl("delete", "ecstask", "--all", "-n", ns, "--timeout=60s")
    for cluster in clusters:
        admin.kubectl("delete", "ecscluster", cluster, "--timeout=60s")


def test_a_task_created_while_its_holder_is_dead_is_placed_after_the_takeover(
    own_plane: localcp.ControlPlane, admin: Kube, operators: dict[str, OperatorProcess], tmp_path: Path
) -> None:
    """The resync: an event the survivor skipped (another replica's cluster then) is not lost."""
    unique = uuid.uuid4().hex[:6]
    ns = f"resync-{unique}"
    admin.kubectl("create", "namespace", ns)
    wait_for(lambda: admin.kubectl("get", "sa", "default", "-n", ns, check=False).returncode == 0, what="sa")
    clusters = [f"north-{unique}", f"south-{unique}"]
    admin.apply(cluster_manifest(clusters[0], "zone-b"))
    admin.apply(cluster_manifest(clusters[1], "zone-c"))
    operators["op-c"] = start(own_plane, tmp_path, "op-c", ns)
    operators["op-d"] = start(own_plane, tmp_path, "op-d", ns)
    split = wait_for(
        lambda: (h := holders(admin, ns, clusters)) and sorted(h.values()) == ["op-c", "op-d"] and h,
        timeout=90,
        what="one cluster lease held by each operator",
    )
    register(admin, ns, "web")
    victim, survivor = split[clusters[0]], split[clusters[1]]
    operators[victim].stop(kill=True)
    # Created right after the kill: the survivor sees its events while the lease is still the
    # dead replica's, skips them, and must place it when it takes the cluster over.
    admin.apply(manifest("EcsTask", "orphan", {"cluster": clusters[0], "taskDefinition": "web"}, ns))
    status = wait_for(
        lambda: placed(admin, ns, "orphan"), timeout=120, what="the task RUNNING after takeover"
    )
    assert status["containerInstance"].startswith(f"{clusters[0]}.")
    assert holders(admin, ns, clusters)[clusters[0]] == survivor
    admin.kubectl("delete", "ecstask", "--all", "-n", ns, "--timeout=60s")
    for cluster in clusters:
        admin.kubectl("delete", "ecscluster", cluster, "--timeout=60s")
