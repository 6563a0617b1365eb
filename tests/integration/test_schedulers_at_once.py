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

from ecs_operator import invariants
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


def settled(kube: Kube, cluster: str, namespace: str) -> tuple[int, int]:
    """(RUNNING, STOPPED) once the invariants hold in their settled form (`ecs_operator.invariants`).

    Why a wait: a task reads STOPPED a moment before its claim is released, and a replica that lost
    the race to record a placement rolls its claim back a moment after the winner recorded it; only
    the settled state has one claim per running task and none of a stopped one. What must hold at
    every moment (no over-commit, at most one pod per task, pods on their task's instance) is
    asserted on every read. Tasks are read first, so the ledger read after them is never older.
    """
    seen: list[str] = []

    def poll() -> tuple[int, int] | None:
        tasks = kube.get_json("ecstasks", "-n", namespace)["items"]
        instances = kube.get_json("ecsci", "-l", f"ecs-operator.dev/cluster={cluster}")["items"]
        pods = kube.get_json("pods", "-n", namespace)["items"]
        always = invariants.check(instances, tasks, pods, settled=False)
        assert always == [], [str(v) for v in always]
        seen[:] = [str(v) for v in invariants.check(instances, tasks, pods, settled=True)]
        states = Counter((t.get("status") or {}).get("lastStatus") for t in tasks)
        return None if seen else (states["RUNNING"], states["STOPPED"])

    try:
        return wait_for(poll, timeout=120, what="the invariants settled")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nviolations: {seen}") from exc


def capacity(kube: Kube, cluster: str) -> int:
    """How many 512-unit / 1024 MiB tasks fit on the cluster's instances, as registered now."""
    registered = [
        i["status"]["registeredResources"]
        for i in kube.get_json("ecsci", "-l", f"ecs-operator.dev/cluster={cluster}")["items"]
    ]
    return sum(min(r["cpu"] // 512, r["memory"] // 1024) for r in registered)


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
    # Pods of earlier tests may still be leaving these nodes (their namespaces are deleted without
    # waiting), and each one gone raises what fits: wait until they are gone, so that the capacity
    # cannot change under the test.
    wait_for(lambda: capacity(kube, small_cluster) == 8, timeout=120, what="both instances free")
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

        running, stopped = settled(kube, small_cluster, namespace)
        assert (running, stopped) == (8, total - 8)
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
        assert settled(kube, small_cluster, namespace) == (8 - 3, total - 8 + 3)
    finally:
        second.stop()
