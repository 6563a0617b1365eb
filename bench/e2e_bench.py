#!/usr/bin/env python3
"""End-to-end benchmark on the local control plane: an EcsService against a Deployment of the same
size placed by kube-scheduler, on the same KWOK nodes, in the same run (testing.md "Benchmarks").

Phases, each timed for the service and then for its peer:

- **fill**: `desiredCount` 0 → N until every task is RUNNING; `replicas` N until every pod Running;
- **idle**: nothing changes for `--idle-seconds`: the operator's CPU (utime + stime of its process
  group from /proc) over that window, with N tasks running;
- **rolling**: a new task definition revision (N tasks replaced, ECS defaults min 100 % / max 200 %)
  until N tasks of the new revision RUNNING and none of the old one left; the Deployment's image
  changed (its defaults: maxSurge 25 %, maxUnavailable 25 %) until the rollout is complete;
- **scale-in**: N → 0 until every task is STOPPED; replicas 0 until no pod is left.

For each phase: seconds, API writes per task (per pod) from the API server's own
`apiserver_request_total` (all clients: the operator, kube-controller-manager, kube-scheduler, KWOK),
split by object kind; the operator's RSS and CPU. Prints Markdown and writes it to
bench/results/e2e-<nodes>x<tasks>-<time>.md. No assertion: speed is measured, not asserted. The
ratios compare figures of the same run on the same (shared) machine.

KWOK runs without node leases and with node heartbeats every 5 minutes (bench/apicounters.py
`kwok_bench_config`), so that thousands of nodes do not swamp the API server.

    python bench/e2e_bench.py [--nodes 100] [--tasks 1000] [--phases fill,idle,rolling,scalein]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "hack" / "controlplane"))

import localcp  # noqa: E402
from bench.apicounters import (  # noqa: E402
    by_kind,
    cpu_ticks,
    diff,
    kwok_bench_config,
    per_item,
    process_group,
    table,
    write_counts,
)
from tests.support.cluster import Kube  # noqa: E402
from tests.support.operator import OperatorProcess  # noqa: E402

NS = "bench"
PHASES = ("fill", "idle", "rolling", "scalein")
TICK = os.sysconf("SC_CLK_TCK")
BACKGROUND = frozenset({"nodes", "leases"})  # written whether or not anything is being placed


def log(msg: str) -> None:
    print(f"[e2e {datetime.now(UTC):%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


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


def kwok_config(path: Path) -> Path:
    docs = [d for d in yaml.safe_load_all((localcp.HERE / "kwok-stages.yaml").read_text()) if d]
    path.write_text(yaml.safe_dump_all(kwok_bench_config(docs), sort_keys=False))
    return path


# ---- the operator process: RSS and CPU from /proc --------------------------------------------


def _stat_lines() -> dict[int, str]:
    lines = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                lines[int(entry.name)] = (entry / "stat").read_text()
            except OSError:
                continue
    return lines


def group_cpu_seconds(pgid: int) -> float:
    lines = _stat_lines()
    return sum(cpu_ticks(lines[pid]) for pid in process_group(lines, pgid)) / TICK


def group_rss_mib(pgid: int) -> float:
    total = 0
    for pid in process_group(_stat_lines(), pgid):
        try:
            match = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
        except OSError:
            continue
        total += int(match.group(1)) if match else 0
    return total / 1024


# ---- what is running ---------------------------------------------------------------------------


def task_states(kube: Kube) -> Counter[tuple[str, str]]:
    """(lastStatus, taskDefinition) → count, for every task of the namespace."""
    out = kube.kubectl(
        "get",
        "ecstasks",
        "-n",
        NS,
        "-o",
        'jsonpath={range .items[*]}{.status.lastStatus} {.status.taskDefinition}{"\\n"}{end}',
    ).stdout
    counts: Counter[tuple[str, str]] = Counter()
    for line in out.splitlines():
        status, _, td = line.partition(" ")
        counts[(status or "-", td or "-")] += 1
    return counts


def running_pods(kube: Kube, selector: str) -> tuple[int, int]:
    """(Running pods, all pods) with the label selector."""
    out = kube.kubectl(
        "get", "pods", "-n", NS, "-l", selector, "-o", "jsonpath={.items[*].status.phase}"
    ).stdout.split()
    return out.count("Running"), len(out)


def rollout_done(kube: Kube, n: int) -> bool:
    d = kube.get_json("deployment", "plain", "-n", NS)
    st = d.get("status", {})
    return (
        st.get("observedGeneration", 0) >= d["metadata"]["generation"]
        and st.get("updatedReplicas") == n
        and st.get("availableReplicas") == n
        and st.get("replicas") == n
    )


# ---- one run -------------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    side: str  # "EcsService" or "Deployment"
    items: int
    seconds: float | None  # None: not done within the timeout
    writes: Counter[str]
    rss_mib: float = 0.0
    cpu_s: float = 0.0
    note: str = ""
    wall_s: float = 0.0  # the phase and its settling: what cpu_s is spent over


@dataclass
class Bench:
    nodes: int
    tasks: int
    timeout: float
    cp: localcp.ControlPlane
    kube: Kube
    op: OperatorProcess | None = None
    results: list[Phase] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)

    @property
    def interval(self) -> float:
        # Each poll LISTs every task: at 10,000 tasks that is itself work for the API server.
        return max(2.0, self.tasks / 500)

    def writes(self) -> Counter[str]:
        # A loaded API server (the machine is shared) may take a while to answer /metrics.
        for attempt in range(5):
            try:
                return write_counts(self.cp.get("/metrics", timeout=60).decode())
            except OSError as exc:
                log(f"/metrics: {exc}; again")
                time.sleep(2 * (attempt + 1))
        return write_counts(self.cp.get("/metrics", timeout=120).decode())

    def pgid(self) -> int:
        assert self.op is not None and self.op.proc is not None
        return self.op.proc.pid

    def timed(self, name: str, side: str, start: Callable[[], None], done: Callable[[], bool]) -> Phase:
        before, cpu0 = self.writes(), group_cpu_seconds(self.pgid())
        t0 = time.monotonic()
        start()
        seconds: float | None = None
        while time.monotonic() - t0 < self.timeout:
            try:
                finished = done()
            except (AssertionError, subprocess.TimeoutExpired) as exc:  # a loaded API server: poll again
                log(f"poll failed: {str(exc)[:300]}")
                finished = False
            if finished:
                seconds = time.monotonic() - t0
                break
            time.sleep(self.interval)
        if self.op is not None and not self.op.alive():
            raise RuntimeError(f"the operator exited during {name}:\n{self.op.log_tail()}")
        quiet = self.settle()
        phase = Phase(
            name,
            side,
            self.tasks,
            seconds,
            diff(self.writes(), before),
            group_rss_mib(self.pgid()),
            group_cpu_seconds(self.pgid()) - cpu0,
            "writes still going 120 s after done"
            if quiet is None
            else f"writes stopped {quiet:.0f} s after done",
            time.monotonic() - t0,
        )
        took = f"{seconds:.1f} s" if seconds is not None else f"NOT DONE in {self.timeout:.0f} s"
        log(
            f"{side} {name}: {took}, {sum(phase.writes.values())} writes ({phase.note}), RSS {phase.rss_mib:.0f} MiB"
        )
        self.results.append(phase)
        return phase

    def settle(self, quiet_s: float = 4.0, limit_s: float = 120.0) -> float | None:
        """Wait until the phase's writes have stopped (nothing but node heartbeats and leases for
        `quiet_s`), so that writes done after "all RUNNING" are counted in the phase that caused them."""

        def busy() -> int:
            w = self.writes()
            return sum(n for k, n in w.items() if k.split("/", 1)[0] not in BACKGROUND)

        last, t0 = busy(), time.monotonic()
        while time.monotonic() - t0 < limit_s:
            time.sleep(quiet_s)
            now = busy()
            if now == last:
                return time.monotonic() - t0
            last = now
        return None

    # -- set-up

    def setup(self) -> None:
        k = self.kube
        k.kubectl("apply", "--server-side", "-f", str(ROOT / "crds"))
        k.kubectl(
            "wait", "--for=condition=Established", "crd", "-l", "app.kubernetes.io/part-of=ecs-operator"
        )
        k.kubectl("create", "namespace", NS)
        t0 = time.monotonic()
        self.op = OperatorProcess(self.cp.kubeconfig, self.cp.state_dir / "operator.log").start()
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
                "metadata": {"name": "web", "namespace": NS},
                "spec": {
                    "containerDefinitions": [{"name": "web", "image": "nginx", "cpu": 128, "memory": 128}]
                },
            },
        ]
        k.apply("\n---\n".join(json.dumps(m) for m in manifests))
        deadline = time.monotonic() + max(300.0, self.nodes * 0.6)
        registered = 0
        while time.monotonic() < deadline:
            res = k.kubectl("get", "ecsci", "-o", "jsonpath={.items[*].metadata.name}", check=False)
            registered = len(res.stdout.split()) if res.returncode == 0 else registered
            if registered >= self.nodes:
                break
            if self.op is not None and not self.op.alive():
                raise RuntimeError(f"the operator exited:\n{self.op.log_tail()}")
            time.sleep(max(2.0, self.nodes / 500))
        else:
            raise RuntimeError(f"only {registered} of {self.nodes} container instances registered")
        took = time.monotonic() - t0
        self.facts.append(("container instances registered (operator start → all)", f"{took:.0f} s"))
        log(f"{self.nodes} container instances in {took:.0f} s")
        while not k.get_json("ecstd", "web", "-n", NS).get("status", {}).get("revision"):
            time.sleep(1)

    # -- phases

    def fill(self) -> bool:
        n = self.tasks
        service = {
            "apiVersion": "ecs-operator.dev/v1alpha1",
            "kind": "EcsService",
            "metadata": {"name": "web", "namespace": NS},
            "spec": {"cluster": "bench", "taskDefinition": "web", "desiredCount": n},
        }
        ecs = self.timed(
            "fill",
            "EcsService",
            lambda: self.kube.apply(json.dumps(service)),
            lambda: sum(c for (s, _), c in task_states(self.kube).items() if s == "RUNNING") >= n,
        )
        deployment = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "plain", "namespace": NS},
            "spec": {
                "replicas": n,
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
        self.timed(
            "fill",
            "Deployment",
            lambda: self.kube.apply(json.dumps(deployment)),
            lambda: running_pods(self.kube, "app=plain")[0] >= n,
        )
        return ecs.seconds is not None

    def idle(self, seconds: float) -> None:
        cpu0, t0 = group_cpu_seconds(self.pgid()), time.monotonic()
        before = self.writes()
        time.sleep(seconds)
        cpu = group_cpu_seconds(self.pgid()) - cpu0
        wall = time.monotonic() - t0
        w = diff(self.writes(), before)
        self.facts.append(
            (
                f"operator CPU at idle ({wall:.0f} s, {self.tasks} tasks RUNNING)",
                f"{100 * cpu / wall:.1f} % of a core",
            )
        )
        self.facts.append(("operator RSS at idle", f"{group_rss_mib(self.pgid()):.0f} MiB"))
        self.facts.append(
            (
                "API writes per second at idle (all clients)",
                f"{sum(w.values()) / wall:.2f}/s"
                f" ({', '.join(f'{k} {v}' for k, v in by_kind(w).most_common(5))} in {wall:.0f} s)",
            )
        )
        log(f"idle: {100 * cpu / wall:.1f} % of a core")

    def rolling(self) -> bool:
        n = self.tasks
        patch = {
            "spec": {
                "containerDefinitions": [{"name": "web", "image": "nginx:1.28", "cpu": 128, "memory": 128}]
            }
        }

        def ecs_done() -> bool:
            states = task_states(self.kube)
            new = sum(c for (s, td), c in states.items() if s == "RUNNING" and td == "web:2")
            old = sum(c for (s, td), c in states.items() if s != "STOPPED" and td != "web:2")
            return new >= n and old == 0

        ecs = self.timed(
            "rolling",
            "EcsService",
            lambda: self.kube.kubectl(
                "patch", "ecstd", "web", "-n", NS, "--type=merge", "-p", json.dumps(patch)
            ),
            ecs_done,
        )
        img = {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.28"}]}}}}
        self.timed(
            "rolling",
            "Deployment",
            lambda: self.kube.kubectl(
                "patch", "deployment", "plain", "-n", NS, "--type=strategic", "-p", json.dumps(img)
            ),
            lambda: rollout_done(self.kube, n),
        )
        return ecs.seconds is not None

    def scalein(self) -> None:
        zero = json.dumps({"spec": {"desiredCount": 0}})
        self.timed(
            "scale-in",
            "EcsService",
            lambda: self.kube.kubectl("patch", "ecsservice", "web", "-n", NS, "--type=merge", "-p", zero),
            lambda: all(s == "STOPPED" for (s, _) in task_states(self.kube)),
        )
        self.timed(
            "scale-in",
            "Deployment",
            lambda: self.kube.kubectl("scale", "deployment", "plain", "-n", NS, "--replicas=0"),
            lambda: running_pods(self.kube, "app=plain")[1] == 0,
        )


def run(nodes: int, tasks: int, phases: list[str], idle_s: float, timeout: float) -> Bench:
    state = Path(tempfile.mkdtemp(prefix="ecs-bench-"))
    cp = localcp.ControlPlane(state, topology(state / "topology.yaml", nodes))
    cp.kwok_config = kwok_config(state / "kwok.yaml")
    # Heartbeats come every 5 to 5.5 minutes (no leases): a node is not "unreachable" before 1 h.
    cp.kcm_extra = ["--node-monitor-grace-period=1h"]
    t0 = time.monotonic()
    cp.up()
    bench = Bench(nodes, tasks, timeout, cp, Kube(cp.kubeconfig, localcp.build_binaries()))
    bench.facts.append(("control plane up with all nodes Ready", f"{time.monotonic() - t0:.0f} s"))
    try:
        bench.setup()
        ok = True
        if "fill" in phases:
            ok = bench.fill()
        if ok and "idle" in phases:
            bench.idle(idle_s)
        if ok and "rolling" in phases:
            ok = bench.rolling()
        if ok and "scalein" in phases:
            bench.scalein()
        bench.facts.append(("operator RSS at the end", f"{group_rss_mib(bench.pgid()):.0f} MiB"))
    except KeyboardInterrupt:  # SIGINT or SIGTERM: report the phases done so far
        bench.facts.append(
            ("INTERRUPTED", f"after {time.monotonic() - t0:.0f} s, in the phase after the last one above")
        )
    finally:
        if bench.op is not None:
            bench.op.stop()
        cp.down()
    bench.facts.append(("whole run (control plane up → down)", f"{time.monotonic() - t0:.0f} s"))
    return bench


# ---- the report ------------------------------------------------------------------------------------


def _secs(p: Phase) -> str:
    if p.seconds is None:
        return "not done"
    return f"{p.seconds:.1f} s ({p.items / p.seconds:.1f}/s)"


def report(b: Bench) -> str:
    out = [
        f"### {b.nodes} nodes, {b.tasks} tasks\n",
        "Ratios compare figures of this one run on the same control plane and the same (shared) machine:"
        " ratio = Deployment seconds ÷ EcsService seconds (≥ 1.0: the service is as fast or faster);"
        " writes per task/pod are every client's writes from the phase's start until writes other than"
        " node heartbeats and leases have stopped for 4 s, ÷ N. Times end at the last poll that saw the"
        f" phase done (polls every {b.interval:.0f} s).\n",
    ]
    rows = []
    names = list(dict.fromkeys(p.name for p in b.results))
    for name in names:
        ecs = next((p for p in b.results if p.name == name and p.side == "EcsService"), None)
        dep = next((p for p in b.results if p.name == name and p.side == "Deployment"), None)
        if ecs is None:
            continue
        ratio = (
            f"{dep.seconds / ecs.seconds:.2f}"
            if dep is not None and dep.seconds is not None and ecs.seconds is not None
            else "-"
        )
        we = sum(ecs.writes.values())
        wd = sum(dep.writes.values()) if dep else 0
        rows.append(
            [
                name,
                _secs(ecs),
                _secs(dep) if dep else "-",
                ratio,
                per_item(we, ecs.items),
                per_item(wd, dep.items) if dep else "-",
                f"{ecs.rss_mib:.0f} MiB",
                f"{100 * ecs.cpu_s / ecs.wall_s:.0f} %" if ecs.wall_s else "-",
            ]
        )
    out.append(
        table(
            [
                "phase",
                "EcsService",
                "Deployment + kube-scheduler",
                "ratio (speed)",
                "writes/task",
                "writes/pod",
                "operator RSS after",
                "operator CPU during (% of a core)",
            ],
            rows,
        )
    )
    out.append("\nAPI writes per task (pod) by object kind, every client (the API server's counters):\n")
    kinds: Counter[str] = Counter()
    for p in b.results:
        kinds.update(by_kind(p.writes))
    cols = [k for k, _ in kinds.most_common()]
    out.append(
        table(
            ["phase", "writes counted until", *cols],
            [
                [f"{p.name} ({p.side})", p.note, *(per_item(by_kind(p.writes)[k], p.items) for k in cols)]
                for p in b.results
            ],
        )
    )
    out.append("\n" + table(["figure", "value"], b.facts))
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--phases", default=",".join(PHASES), help=f"a subset of {','.join(PHASES)}")
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument(
        "--timeout", type=float, default=3600, help="per phase; past it the phase is 'not done'"
    )
    parser.add_argument("--out", type=Path, help="default: bench/results/e2e-<nodes>x<tasks>-<time>.md")
    args = parser.parse_args()
    phases = [p for p in args.phases.split(",") if p]
    unknown = set(phases) - set(PHASES)
    if unknown:
        parser.error(f"unknown phases: {sorted(unknown)}")
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop as on ^C: the control plane goes down
    bench = run(args.nodes, args.tasks, phases, args.idle_seconds, args.timeout)
    text = report(bench)
    print(text)
    out = (
        args.out
        or ROOT / "bench" / "results" / f"e2e-{args.nodes}x{args.tasks}-{datetime.now(UTC):%Y%m%d-%H%M}.md"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(f"# End to end, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n{text}")
    log(f"written to {out}")


if __name__ == "__main__":
    main()
