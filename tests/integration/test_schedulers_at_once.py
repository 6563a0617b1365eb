"""Several schedulers at once (architecture.md §2): the operator's RunTask path and a custom
scheduler (examples/custom_scheduler.py, StartTask) commit claims on the same instances. After
everything settles, the invariants of testing.md hold."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.cluster import Kube, wait_for
from tests.support.ecs import container, manifest, register
from tests.support.operator import OperatorProcess

ROOT = Path(__file__).resolve().parents[2]
NODES = ("worker-a2", "worker-b2")  # c5.large: 2048 CPU units, 4096 MiB each


@pytest.fixture
def small_cluster(kube: Kube, operator: OperatorProcess, unique: str) -> Iterator[str]:
    label = f"test.ecs-operator.dev/{unique}"
    name = f"small-{unique}"
    for node in NODES:
        kube.kubectl("label", "node", node, f"{label}=yes")
    kube.apply(manifest("EcsCluster", name, {"nodeSelector": {"matchLabels": {label: "yes"}}}))
    wait_for(
        lambda: (
            len(
                [
                    i
                    for i in kube.get_json("ecsci", "-l", f"ecs-operator.dev/cluster={name}")["items"]
                    if (i.get("status") or {}).get("registeredResources")
                ]
            )
            == 2
        ),
        what="two instances",
    )
    yield name
    for node in NODES:
        kube.kubectl("label", "node", node, f"{label}-", check=False)
    kube.kubectl("delete", "ecscluster", name, "--wait=false", check=False)


def run_scheduler(kube: Kube, cluster: str, namespace: str, count: int, zone: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "examples" / "custom_scheduler.py"),
            "--cluster",
            cluster,
            "--namespace",
            namespace,
            "--task-definition",
            "web",
            "--count",
            str(count),
            "--zone",
            zone,
            f"--kubeconfig={kube.kubeconfig}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def test_custom_scheduler_uses_its_policy(kube: Kube, small_cluster: str, namespace: str) -> None:
    register(kube, namespace)
    wait_for(
        lambda: kube.get_json("ecstd", "web", "-n", namespace).get("status", {}).get("revision"), what="rev"
    )
    proc = run_scheduler(kube, small_cluster, namespace, 3, "zone-b")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.count(f"-> {small_cluster}.worker-b2") == 3
    tasks = wait_for(
        lambda: (
            (items := kube.get_json("ecstasks", "-n", namespace)["items"])
            and len(items) == 3
            and all((t.get("status") or {}).get("lastStatus") == "RUNNING" for t in items)
            and items
        ),
        what="three RUNNING tasks",
    )
    assert {t["status"]["containerInstance"] for t in tasks} == {f"{small_cluster}.worker-b2"}
    assert {t["spec"]["startedBy"] for t in tasks} == {"custom-scheduler"}


def check_invariants(kube: Kube, cluster: str, namespace: str) -> tuple[int, int]:
    instances = kube.get_json("ecsci", "-l", f"ecs-operator.dev/cluster={cluster}")["items"]
    tasks = {t["metadata"]["uid"]: t for t in kube.get_json("ecstasks", "-n", namespace)["items"]}
    claimed: Counter[str] = Counter()
    for inst in instances:
        st = inst["status"]
        claims = st.get("claims") or []
        # 1. claims never exceed the registered resources
        assert sum(c["cpu"] for c in claims) <= st["registeredResources"]["cpu"], inst["metadata"]["name"]
        assert sum(c["memory"] for c in claims) <= st["registeredResources"]["memory"], inst["metadata"][
            "name"
        ]
        claimed.update(c["taskUid"] for c in claims)
    # 2. a task has at most one claim and at most one pod
    assert all(n == 1 for n in claimed.values()), claimed
    pods = Counter(
        p["metadata"]["labels"]["ecs-operator.dev/task-uid"]
        for p in kube.get_json("pods", "-n", namespace)["items"]
    )
    assert all(n == 1 for n in pods.values()), pods
    # 3. nothing is lost: every task runs, or stopped with a reason; 4. stopped tasks hold no claim
    running = stopped = 0
    for uid, task in tasks.items():
        st = task.get("status") or {}
        if st.get("lastStatus") == "RUNNING":
            running += 1
            assert claimed[uid] == 1 and pods[uid] == 1
        else:
            assert st.get("lastStatus") == "STOPPED" and st.get("stoppedReason"), st
            stopped += 1
            assert claimed[uid] == 0
    return running, stopped


def test_two_operators_and_start_tasks_commit_at_once(
    kube: Kube, control_plane: Any, small_cluster: str, namespace: str
) -> None:
    """Two operator replicas place 8 RunTasks while 4 StartTasks (a custom scheduler's choices, made
    on a view that the RunTasks make stale) are committed on the same two instances: exactly 8 fit."""
    # 512 CPU units / 1024 MiB: exactly 4 tasks fit on each of the two instances, 8 in all.
    register(kube, namespace, containerDefinitions=[container(cpu=512, memory=1024)])
    wait_for(
        lambda: kube.get_json("ecstd", "web", "-n", namespace).get("status", {}).get("revision"), what="rev"
    )
    # Pods of earlier tests may still be leaving these nodes: count what fits now.
    registered = [
        i["status"]["registeredResources"]
        for i in kube.get_json("ecsci", "-l", f"ecs-operator.dev/cluster={small_cluster}")["items"]
    ]
    capacity = sum(min(r["cpu"] // 512, r["memory"] // 1024) for r in registered)
    assert 4 <= capacity <= 8, registered
    second = OperatorProcess(control_plane.kubeconfig, control_plane.state_dir / "operator-2.log").start()
    try:
        runtasks = [
            manifest(
                "EcsTask",
                f"run-{i}",
                {
                    "cluster": small_cluster,
                    "taskDefinition": "web",
                    "placementStrategy": [{"type": "binpack", "field": "memory"}],
                },
                namespace,
            )
            for i in range(8)
        ]
        starttasks = [
            manifest(
                "EcsTask",
                f"start-{i}",
                {
                    "cluster": small_cluster,
                    "taskDefinition": "web",
                    "containerInstance": f"{small_cluster}.{NODES[i % 2]}",
                },
                namespace,
            )
            for i in range(4)
        ]
        kube.apply("\n---\n".join(runtasks + starttasks), namespace=namespace)
        total = 12

        def settled() -> bool:
            states = [
                (t["metadata"]["name"], (t.get("status") or {}).get("lastStatus"))
                for t in kube.get_json("ecstasks", "-n", namespace)["items"]
            ]
            return len([s for _, s in states if s in ("RUNNING", "STOPPED")]) == total

        wait_for(settled, timeout=120, what="every task RUNNING or STOPPED")
        running, stopped = check_invariants(kube, small_cluster, namespace)
        assert (running, stopped) == (capacity, 12 - capacity)
        failures = [
            t["status"]["failures"][0]["reason"]
            for t in kube.get_json("ecstasks", "-n", namespace)["items"]
            if t["status"]["lastStatus"] == "STOPPED"
        ]
        assert set(failures) <= {"RESOURCE:CPU", "RESOURCE:MEMORY"}, failures
        # stopping tasks releases their claims (invariant 4)
        victims = [
            t["metadata"]["name"]
            for t in kube.get_json("ecstasks", "-n", namespace)["items"]
            if t["status"]["lastStatus"] == "RUNNING"
        ][:3]
        for name in victims:
            kube.kubectl(
                "patch",
                "ecstask",
                name,
                "-n",
                namespace,
                "--type=merge",
                "-p",
                json.dumps({"spec": {"desiredStatus": "STOPPED"}}),
            )
        wait_for(
            lambda: all(
                kube.get_json("ecstask", n, "-n", namespace)["status"]["lastStatus"] == "STOPPED"
                for n in victims
            ),
            what="stopped",
        )
        assert check_invariants(kube, small_cluster, namespace) == (capacity - 3, 15 - capacity)
    finally:
        second.stop()
