#!/usr/bin/env python3
"""API writes per task on the RunTask/StopTask path, by verb, resource and response code, from the
API server's own `apiserver_request_total` (one local control plane, 4 KWOK nodes, 40 tasks).

    python hack/task_writes.py new                       # this tree
    OLD=/tmp/old/operator python hack/task_writes.py old new   # compare with another checkout

Measured, never asserted (no timed or counted assertion belongs in a test).
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "hack" / "controlplane"))
import localcp  # noqa: E402
from tests.support.cluster import Kube, wait_for  # noqa: E402
from tests.support.operator import OperatorProcess  # noqa: E402

N_NODES, N_TASKS = 4, 40
MUT = ("POST", "PUT", "PATCH", "DELETE")


def counts(cp) -> Counter:
    c = Counter()
    for line in cp.get("/metrics").decode().splitlines():
        if line.startswith("apiserver_request_total{"):
            labels = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
            if labels.get("verb") in MUT:
                key = (
                    labels["verb"],
                    labels.get("resource", ""),
                    labels.get("subresource", ""),
                    labels.get("code", ""),
                )
                c[key] += int(float(line.rsplit(" ", 1)[1]))
    return c


def topology(path: Path) -> Path:
    lines = ['defaults: {os: linux, arch: amd64, pods: "200"}', "nodes:"]
    for i in range(N_NODES):
        lines.append(
            f'  - {{name: w-{i}, zone: zone-{"abc"[i % 3]}, instanceType: m5.xlarge, cpu: "16", memory: 64Gi, labels: {{node.ecs-operator.dev/capacity: ec2}}}}'
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def tasks_in(kube, ns):
    return kube.get_json("ecstasks", "-n", ns)["items"]


def phase(kube, cp, label, env, ns):
    op = OperatorProcess(
        cp.kubeconfig, Path(tempfile.gettempdir()) / f"task-writes-{label}.log", env=env
    ).start()
    try:
        kube.kubectl("create", "namespace", ns)
        kube.apply(
            json.dumps(
                {
                    "apiVersion": "ecs-operator.dev/v1alpha1",
                    "kind": "EcsTaskDefinition",
                    "metadata": {"name": "web", "namespace": ns},
                    "spec": {
                        "containerDefinitions": [{"name": "web", "image": "nginx", "cpu": 128, "memory": 128}]
                    },
                }
            )
        )
        wait_for(
            lambda: kube.get_json("ecstd", "web", "-n", ns).get("status", {}).get("revision"),
            what="rev",
            timeout=120,
        )
        time.sleep(5)
        before = counts(cp)
        docs = [
            json.dumps(
                {
                    "apiVersion": "ecs-operator.dev/v1alpha1",
                    "kind": "EcsTask",
                    "metadata": {"name": f"t{i}", "namespace": ns},
                    "spec": {"cluster": "wc", "taskDefinition": "web"},
                }
            )
            for i in range(N_TASKS)
        ]
        kube.apply("\n---\n".join(docs))
        wait_for(
            lambda: (
                sum((t.get("status") or {}).get("lastStatus") == "RUNNING" for t in tasks_in(kube, ns))
                >= N_TASKS
            ),
            timeout=600,
            interval=2,
            what="running",
        )
        time.sleep(25)  # settle: timers, late writes
        run = counts(cp) - before
        before = counts(cp)
        for i in range(N_TASKS):
            kube.kubectl(
                "patch",
                "ecstask",
                f"t{i}",
                "-n",
                ns,
                "--type=merge",
                "-p",
                '{"spec":{"desiredStatus":"STOPPED"}}',
            )
        wait_for(
            lambda: all((t.get("status") or {}).get("lastStatus") == "STOPPED" for t in tasks_in(kube, ns)),
            timeout=600,
            interval=2,
            what="stopped",
        )
        time.sleep(10)
        stop = counts(cp) - before
        kube.kubectl("delete", "ecstasks", "--all", "-n", ns, "--wait=true", "--timeout=300s")
        return run, stop
    finally:
        op.stop()


def show(label, c):
    print(f"== {label}: total {sum(c.values())} = {sum(c.values()) / N_TASKS:.2f}/task")
    for k, v in sorted(c.items(), key=lambda kv: -kv[1]):
        print(f"   {v:5d} {k}")


def main() -> None:
    state = Path(tempfile.mkdtemp(prefix="planner-writes-"))
    cp = localcp.ControlPlane(state, topology(state / "t.yaml"))
    cp.up()
    kube = Kube(cp.kubeconfig, localcp.build_binaries())
    try:
        kube.kubectl("apply", "--server-side", "-f", str(ROOT / "crds"))
        kube.kubectl(
            "wait", "--for=condition=Established", "crd", "-l", "app.kubernetes.io/part-of=ecs-operator"
        )
        kube.apply(
            json.dumps(
                {
                    "apiVersion": "ecs-operator.dev/v1alpha1",
                    "kind": "EcsCluster",
                    "metadata": {"name": "wc"},
                    "spec": {"nodeSelector": {"matchLabels": {"node.ecs-operator.dev/capacity": "ec2"}}},
                }
            )
        )
        results = {}
        for label, env in [
            p
            for p in (("old", {"PYTHONPATH": os.environ.get("OLD", "")}), ("new", {}))
            if p[0] in sys.argv[1:]
        ]:
            results[label] = phase(kube, cp, label, env, f"ns-{label}")
        for label, (run, stop) in results.items():
            show(f"{label} RunTask→RUNNING", run)
            show(f"{label} StopTask→STOPPED", stop)
    finally:
        cp.down()


if __name__ == "__main__":
    main()
