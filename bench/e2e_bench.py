#!/usr/bin/env python3
"""End-to-end benchmark on the local control plane: a service scaled to N tasks, against a
Deployment of N pods placed by kube-scheduler on the same KWOK nodes in the same run.

Measures (testing.md "Benchmarks"): tasks per second from `desiredCount` raised to every task
RUNNING; the same for the Deployment (ratio); API writes per task placed (from the API server's
own `apiserver_request_total` counters: POST/PUT/PATCH/DELETE); the operator's RSS at the end.
Prints a Markdown table. No assertion: speed is measured, not asserted.

    python bench/e2e_bench.py [--nodes 100] [--tasks 1000]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "hack" / "controlplane"))

import localcp  # noqa: E402
from tests.support.cluster import Kube, wait_for  # noqa: E402
from tests.support.operator import OperatorProcess  # noqa: E402

MUTATING = ("POST", "PUT", "PATCH", "DELETE")


def topology(path: Path, nodes: int) -> Path:
    lines = ['defaults: {os: linux, arch: amd64, pods: "1000"}', "nodes:"]
    for i in range(nodes):
        zone = "zone-" + "abc"[i % 3]
        lines.append(
            f'  - {{name: bench-{i:04d}, zone: {zone}, instanceType: m5.4xlarge, cpu: "16", memory: 64Gi,'
            " labels: {node.ecs-operator.dev/capacity: ec2}}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def writes(cp: localcp.ControlPlane) -> int:
    text = cp.get("/metrics").decode()
    total = 0
    for line in text.splitlines():
        if line.startswith("apiserver_request_total{") and any(f'verb="{v}"' in line for v in MUTATING):
            total += int(float(line.rsplit(" ", 1)[1]))
    return total


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else 0.0


def count_running_tasks(kube: Kube, namespace: str) -> int:
    out = kube.kubectl(
        "get", "ecstasks", "-n", namespace, "-o", "jsonpath={.items[*].status.lastStatus}"
    ).stdout
    return out.split().count("RUNNING")


def count_running_pods(kube: Kube, namespace: str, selector: str) -> int:
    out = kube.kubectl(
        "get", "pods", "-n", namespace, "-l", selector, "-o", "jsonpath={.items[*].status.phase}"
    ).stdout
    return out.split().count("Running")


def run(nodes: int, tasks: int) -> list[tuple[str, str]]:
    state = Path(tempfile.mkdtemp(prefix="ecs-bench-"))
    cp = localcp.ControlPlane(state, topology(state / "topology.yaml", nodes))
    cp.up()
    kube = Kube(cp.kubeconfig, localcp.build_binaries())
    op = None
    try:
        kube.kubectl("apply", "--server-side", "-f", str(ROOT / "crds"))
        kube.kubectl(
            "wait", "--for=condition=Established", "crd", "-l", "app.kubernetes.io/part-of=ecs-operator"
        )
        op = OperatorProcess(cp.kubeconfig, state / "operator.log").start()
        kube.kubectl("create", "namespace", "bench")
        manifests = [
            {
                "apiVersion": "ecs-operator.dev/v1alpha1",
                "kind": "EcsCluster",
                "metadata": {"name": "bench"},
                "spec": {"nodeSelector": {"matchLabels": {"node.ecs-operator.dev/capacity": "ec2"}}},
            },
            {
                "apiVersion": "ecs-operator.dev/v1alpha1",
                "kind": "EcsTaskDefinition",
                "metadata": {"name": "web", "namespace": "bench"},
                "spec": {
                    "containerDefinitions": [{"name": "web", "image": "nginx", "cpu": 128, "memory": 128}]
                },
            },
        ]
        kube.apply("\n---\n".join(json.dumps(m) for m in manifests))
        wait_for(lambda: len(kube.get_json("ecsci")["items"]) == nodes, timeout=300, what="instances")
        wait_for(
            lambda: kube.get_json("ecstd", "web", "-n", "bench").get("status", {}).get("revision"), what="rev"
        )
        service = {
            "apiVersion": "ecs-operator.dev/v1alpha1",
            "kind": "EcsService",
            "metadata": {"name": "web", "namespace": "bench"},
            "spec": {"cluster": "bench", "taskDefinition": "web", "desiredCount": tasks},
        }
        before = writes(cp)
        start = time.monotonic()
        kube.apply(json.dumps(service))
        wait_for(
            lambda: count_running_tasks(kube, "bench") >= tasks,
            timeout=3600,
            interval=2,
            what="tasks RUNNING",
        )
        ecs_seconds = time.monotonic() - start
        ecs_writes = writes(cp) - before
        rss = rss_mib(op.proc.pid) if op.proc else 0.0

        deployment = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "plain", "namespace": "bench"},
            "spec": {
                "replicas": tasks,
                "selector": {"matchLabels": {"app": "plain"}},
                "template": {
                    "metadata": {"labels": {"app": "plain"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "web",
                                "image": "nginx",
                                "resources": {"requests": {"cpu": "125m", "memory": "128Mi"}},
                            }
                        ]
                    },
                },
            },
        }
        before = writes(cp)
        start = time.monotonic()
        kube.apply(json.dumps(deployment))
        wait_for(
            lambda: count_running_pods(kube, "bench", "app=plain") >= tasks,
            timeout=3600,
            interval=2,
            what="pods",
        )
        k8s_seconds = time.monotonic() - start
        k8s_writes = writes(cp) - before
    finally:
        if op is not None:
            op.stop()
        cp.down()
    return [
        ("nodes / tasks", f"{nodes} / {tasks}"),
        (
            "EcsService: desiredCount → all RUNNING",
            f"{ecs_seconds:.1f} s ({tasks / ecs_seconds:.1f} tasks/s)",
        ),
        (
            "Deployment + kube-scheduler: replicas → all Running",
            f"{k8s_seconds:.1f} s ({tasks / k8s_seconds:.1f} pods/s)",
        ),
        ("ratio (ECS tasks/s ÷ Deployment pods/s)", f"{k8s_seconds / ecs_seconds:.2f}"),
        ("API writes per task (operator path, all clients)", f"{ecs_writes / tasks:.1f}"),
        ("API writes per pod (Deployment path, all clients)", f"{k8s_writes / tasks:.1f}"),
        ("operator RSS after placing", f"{rss:.0f} MiB"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--tasks", type=int, default=1000)
    args = parser.parse_args()
    rows = run(args.nodes, args.tasks)
    print("| figure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
