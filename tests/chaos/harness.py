"""One seeded run of the fault-injection suite, from an empty machine state to a verdict.

A run: a dedicated local control plane (etcd compacting every 30 s); the CRDs; Toxiproxy with one
proxy per operator replica; two or three `ecs-operator run` (one with crash points armed); the
workload's setup. Then the fault phase: the workload's steps and the planned faults on one
timeline, the replicas supervised (a dead one is started again), and the invariants that hold at
every committed resourceVersion (``settled=False``) sampled every few seconds. Then the faults
stop (toxics removed, crash points disarmed, every replica running) and the harness polls the API
until every check passes with ``settled=True`` (bounded), and records how long that took. If the
operator holds per-cluster Leases, the failover is measured last: the holder of the run's cluster
is killed with SIGKILL and the time until a new task there is placed is recorded.

Nothing here asserts: a run returns a `RunResult`; `make chaos` reports many, the pytest subset
asserts on one. Logs of every process stay in the run's directory (.tmp/chaos/run-<seed>/).
"""

from __future__ import annotations

import functools
import heapq
import json
import math
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "hack" / "controlplane"))

import localcp  # noqa: E402

from tests.chaos import faults  # noqa: E402
from tests.chaos.api import Api  # noqa: E402
from tests.chaos.checks import Expected, read_state, violations  # noqa: E402
from tests.chaos.toxiproxy import Toxiproxy  # noqa: E402
from tests.chaos.workload import Workload, topology, wait  # noqa: E402
from tests.support.cluster import Kube, install_crds  # noqa: E402

LEASE_PREFIX = "ecs-operator-cluster-"
CRASHPOINTS = "after-claim=0.05,after-placement=0.05,after-pod=0.05,between-creates=0.2"
COMPACTION = "30s"


@dataclass(frozen=True)
class RunConfig:
    seed: int
    phase_seconds: float = 75.0  # the fault phase
    extra_faults: int = 3  # faults beyond one of each kind
    converge_timeout: float = 180.0
    replicas: int | None = None  # default: 2 or 3, by the seed
    leases: str | None = None  # "on" / "off" when the operator has --leases; default: by the seed
    crashpoints: str = CRASHPOINTS
    out_dir: Path = ROOT / ".tmp" / "chaos"


@dataclass
class RunResult:
    seed: int
    replicas: int = 0
    leases: str = "n/a"  # the operator's --leases, or n/a when it has none
    faults: dict[str, int] = field(default_factory=dict)  # kind → count (crash points included)
    workload: dict[str, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)  # after convergence (or its timeout)
    during: list[str] = field(default_factory=list)  # invariants broken at a sampled moment mid-run
    converged: bool = False
    converge_seconds: float | None = None
    failover_seconds: float | None = None
    failover_note: str = "n/a (no Lease named ecs-operator-cluster-*)"
    watch_gone: bool | None = None  # a watch from before the faults got 410 Gone afterwards
    unexpected_exits: list[str] = field(default_factory=list)
    timeline: list[str] = field(default_factory=list)
    seconds: float = 0.0
    run_dir: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.converged and not self.violations and not self.during and not self.error


class Run:
    """The state of one run while it happens (control plane, proxy, replicas, workload)."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.dir = config.out_dir / f"run-{config.seed}"
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        self.result = RunResult(config.seed, run_dir=str(self.dir))
        self.started = time.monotonic()
        self.cp = localcp.ControlPlane(
            self.dir / "cp",
            topology=topology(self.dir / "topology.yaml"),
            apiserver_extra=[f"--etcd-compaction-interval={COMPACTION}"],
            etcd_extra=["--auto-compaction-mode=periodic", f"--auto-compaction-retention={COMPACTION}"],
        )
        self.proxy: Toxiproxy | None = None
        self.replicas: faults.Replicas | None = None
        self.fault_counts: Counter[str] = Counter()
        self.cp_lock = threading.Lock()
        self.threads: list[threading.Thread] = []
        self.during: set[str] = set()

    def log(self, msg: str) -> None:
        line = f"[chaos {self.config.seed} t+{time.monotonic() - self.started:6.1f}s] {msg}"
        print(line, file=sys.stderr, flush=True)
        self.result.timeline.append(line)

    # ---- set-up and tear-down --------------------------------------------------------------

    def setup(self) -> Workload:
        self.cp.up()
        install_crds(Kube(self.cp.kubeconfig, localcp.build_binaries()), ROOT / "crds")
        self.api = Api.from_kubeconfig(self.cp.kubeconfig)
        self.proxy = Toxiproxy(self.dir, self.cp.ports["apiserver"]).start()
        count = self.config.replicas or self.rng.choice([2, 3])
        # Correctness must not depend on the leases: when the operator has them, half the runs
        # go without (every replica on every cluster, racing).
        leases = self.rng.choice(["on", "off"])
        if has_leases_flag():
            self.result.leases = self.config.leases or leases
        args = [f"--leases={self.result.leases}"] if self.result.leases != "n/a" else []
        members = []
        for i in range(count):
            name = f"chaos-op-{i}"
            self.proxy.add_proxy(name)
            env = faults.replica_env(name, i == 0, self.config.seed, self.config.crashpoints)
            kubeconfig = self.proxy.kubeconfig(self.cp.kubeconfig, name)
            members.append(faults.Replica(name, kubeconfig, self.dir / f"{name}.log", env, args))
        self.result.replicas = count
        self.replicas = faults.Replicas(random.Random(self.config.seed + 1), members)
        self.replicas.start_all()
        workload = Workload(self.api, self.cp.kubeconfig, random.Random(self.config.seed + 2), self.log)
        workload.setup()
        self.log(
            f"set up: {count} replicas, leases {self.result.leases}, {self.config.phase_seconds:.0f}s faults"
        )
        return workload

    def teardown(self) -> None:
        if self.replicas is not None:
            self.replicas.stop_all()
        if self.proxy is not None:
            self.proxy.stop()
        self.cp.down()
        shutil.rmtree(self.dir / "cp" / "etcd", ignore_errors=True)

    # ---- the fault phase -------------------------------------------------------------------

    def phase(self, workload: Workload) -> None:
        assert self.proxy is not None and self.replicas is not None
        phase = self.config.phase_seconds
        names = [r.name for r in self.replicas.members]
        planned = faults.plan(self.rng, phase, names, self.config.extra_faults)
        t0 = time.monotonic()
        queue: list[tuple[float, int, str, Callable[[], None]]] = []
        seq = 0

        def push(at: float, what: str, action: Callable[[], None]) -> None:
            nonlocal seq
            seq += 1
            heapq.heappush(queue, (at, seq, what, action))

        for fraction, what, action in workload.steps():
            push(t0 + fraction * phase, what, self.retrying(what, action, push))
        for ident, fault in enumerate(planned):
            push(t0 + fault.at, fault.describe(), self.injector(fault, ident, push))
        next_sample = t0
        while queue or time.monotonic() < t0 + phase:
            now = time.monotonic()
            while queue and queue[0][0] <= now:
                _, _, what, action = heapq.heappop(queue)
                action()
            self.replicas.tick()
            if now >= next_sample:
                self.sample()
                next_sample = now + 5
            time.sleep(0.2)

    def retrying(
        self, what: str, action: Callable[[], None], push: Callable[[float, str, Callable[[], None]], None]
    ) -> Callable[[], None]:
        """A workload step that is tried again (for up to two minutes) while the API server refuses it."""
        deadline = [0.0]

        def step() -> None:
            if not deadline[0]:
                deadline[0] = time.monotonic() + 120
            try:
                action()
                self.log(f"step: {what}")
            except Exception as err:  # the API server may be down: try again
                if time.monotonic() > deadline[0]:
                    self.log(f"step {what} failed for good: {err!r}"[:300])
                    self.result.error = f"workload step {what!r} never succeeded"
                    return
                push(time.monotonic() + 2, what, step)

        return step

    def injector(
        self, fault: faults.Fault, ident: int, push: Callable[[float, str, Callable[[], None]], None]
    ) -> Callable[[], None]:
        assert self.proxy is not None and self.replicas is not None
        proxy, replicas = self.proxy, self.replicas

        def inject() -> None:
            self.log(f"fault: {fault.describe()}")
            self.fault_counts[fault.kind] += 1
            try:
                if fault.kind == "sigkill":
                    replicas.kill(fault.targets[0], restart_after=fault.duration)
                elif fault.kind in ("kube-apiserver", "etcd"):
                    thread = threading.Thread(target=self.restart, args=(fault,), daemon=True)
                    thread.start()
                    self.threads.append(thread)
                else:
                    added = faults.add_toxics(proxy, fault, ident)

                    def remove() -> None:
                        for target, name in added:
                            proxy.remove_toxic(target, name)

                    push(time.monotonic() + fault.duration, f"end of {fault.kind}", remove)
            except Exception:  # a fault that could not be injected is logged, not fatal
                self.log(f"fault {fault.kind} failed: {traceback.format_exc(limit=2)}")

        return inject

    def restart(self, fault: faults.Fault) -> None:
        """Stop a control-plane component, leave it down, start it again (in a thread, so the
        workload goes on meanwhile and meets the outage); one component at a time."""
        with self.cp_lock:
            started = time.monotonic()
            try:
                # SIGTERM gets 5 s: kube-apiserver's graceful shutdown lingers for 30 s after draining
                self.cp.stop(fault.kind, signal.SIGKILL if fault.hard else signal.SIGTERM, timeout=5)
                time.sleep(fault.duration)
                self.cp.start(fault.kind)
                wait(self.api.ready, timeout=120, what="API server ready again")
                self.log(f"{fault.kind} back after {time.monotonic() - started:.1f}s")
            except Exception:  # end_faults starts whatever is still down
                self.log(f"restart of {fault.kind} failed: {traceback.format_exc(limit=2)}")

    def sample(self) -> None:
        """The invariants that hold at every committed resourceVersion, checked mid-run."""
        if not self.api.ready():  # down or restarting: a read would only wait for its timeout
            return
        try:
            state = read_state(self.api, self.expected)
        except Exception:  # it went down in between
            return
        for v in violations(state, self.expected, settled=False):
            if str(v) not in self.during:
                self.log(f"mid-run violation: {v}")
                self.during.add(str(v))

    # ---- after the faults ------------------------------------------------------------------

    def end_faults(self, workload: Workload) -> float:
        assert self.proxy is not None and self.replicas is not None
        for thread in self.threads:
            thread.join(timeout=300)
        self.proxy.clear()
        for name in ("etcd", "kube-apiserver"):
            pid = self.cp.pids().get(name)
            if pid is None or not localcp._alive(pid):
                self.cp.start(name)
        self.replicas.settle()
        self.log("faults over: toxics removed, crash points disarmed, every replica running")
        return time.monotonic()

    def converge(self, timeout: float) -> tuple[bool, float, list[str]]:
        """Poll until every check passes with settled=True; (converged, seconds, last violations)."""
        start = time.monotonic()
        last: list[str] = ["never read the API"]
        next_log = start
        while time.monotonic() - start < timeout:
            try:
                found = violations(read_state(self.api, self.expected), self.expected, settled=True)
                last = sorted(str(v) for v in found)
            except Exception as err:
                last = [f"read failed: {err!r}"[:200]]
            if not last:
                return True, time.monotonic() - start, []
            if time.monotonic() >= next_log:  # what convergence is waiting for, now and then
                self.log(f"converging: {len(last)} checks failing, e.g. {last[:3]}"[:400])
                next_log = time.monotonic() + 30
            time.sleep(3)
        return False, time.monotonic() - start, last

    def failover(self, workload: Workload) -> None:
        """Lease failover: SIGKILL the holder of the run's cluster, time a new task's placement."""
        assert self.replicas is not None
        leases = [x for x in self.api.leases() if x["metadata"]["name"].startswith(LEASE_PREFIX)]
        if not leases:
            return
        mine = [x for x in leases if workload.cluster in x["metadata"]["name"]] or leases
        holder = str((mine[0].get("spec") or {}).get("holderIdentity") or "")
        victim = next(
            (r.name for r in self.replicas.members if holds(holder, r.name, self.replicas.pid_of(r.name))),
            None,
        )
        if victim is None:
            self.result.failover_note = f"n/a (holder {holder!r} is none of the replicas)"
            return
        self.log(f"failover: SIGKILL {victim}, the holder of {mine[0]['metadata']['name']}")
        self.replicas.kill(victim, restart_after=None)
        start = time.monotonic()
        probe = "failover-probe"
        self.api.create(
            "EcsTask",
            "ecstasks",
            probe,
            {"cluster": workload.cluster, "taskDefinition": "batch"},
            workload.namespace,
        )
        placed = None
        while time.monotonic() - start < 90:
            status = self.api.get("ecstasks", probe, workload.namespace).get("status") or {}
            if status.get("containerInstance") or status.get("lastStatus") == "STOPPED":
                placed = time.monotonic() - start
                break
            time.sleep(0.2)
        self.fault_counts["sigkill (lease holder)"] += 1
        self.replicas.start(self.replicas.by_name(victim))
        self.result.failover_seconds = placed
        self.result.failover_note = f"{placed:.1f} s" if placed is not None else "not placed within 90 s"

    def watch_gone(self, resource_version: str) -> bool | None:
        """Does a watch from a resourceVersion read before the faults now get 410 Gone?"""
        try:
            resp = self.api.custom.list_namespaced_custom_object(
                "ecs-operator.dev",
                "v1alpha1",
                "chaos",
                "ecstasks",
                watch=True,
                resource_version=resource_version,
                timeout_seconds=2,
                _preload_content=False,
                _request_timeout=10,
            )
            first = resp.readline()
        except Exception as err:
            return "410" in str(err) or None
        return b'"code":410' in first

    # ---- everything --------------------------------------------------------------------------

    def run(self) -> RunResult:
        try:
            workload = self.setup()
            self.expected: Expected = workload.expected
            rv0 = self.api.custom.list_namespaced_custom_object(
                "ecs-operator.dev", "v1alpha1", workload.namespace, "ecstasks", _request_timeout=15
            )["metadata"]["resourceVersion"]
            self.phase(workload)
            self.end_faults(workload)
            ok, seconds, last = self.converge(self.config.converge_timeout)
            self.log(
                f"converged in {seconds:.1f}s" if ok else f"did not converge in {seconds:.0f}s: {last[:10]}"
            )
            self.result.converged, self.result.violations = ok, last
            self.result.converge_seconds = seconds if ok else None
            if ok:
                self.failover(workload)
                if self.result.failover_seconds is not None:
                    ok2, seconds2, last2 = self.converge(self.config.converge_timeout)
                    self.log(
                        f"after the failover: converged in {seconds2:.1f}s"
                        if ok2
                        else "after the failover: did not converge"
                    )
                    self.result.violations = [f"after failover: {v}" for v in last2]
                    self.result.converged = ok2
            self.result.watch_gone = self.watch_gone(rv0)
            self.result.workload = dict(workload.counts)
        except Exception:  # a run that breaks is reported, with its traceback
            self.result.error = traceback.format_exc(limit=5)
            self.log(f"run failed: {self.result.error}")
        finally:
            if self.replicas is not None:
                self.fault_counts.update(
                    {f"crashpoint {k}": n for k, n in self.replicas.crashpoints_fired().items()}
                )
                self.result.unexpected_exits = list(self.replicas.unexpected)
            self.result.faults = dict(self.fault_counts)
            self.result.during = sorted(self.during)
            self.teardown()
            self.result.seconds = time.monotonic() - self.started
            (self.dir / "result.json").write_text(json.dumps(asdict(self.result), indent=2, default=str))
        return self.result


def holds(holder: str, name: str, pid: int | None) -> bool:
    """Is `holder` (a Lease's holderIdentity) this replica: its name ($POD_ID), or host-<pid>?"""
    return holder == name or (pid is not None and re.search(rf"-{pid}$", holder) is not None)


@functools.cache
def has_leases_flag() -> bool:
    """Does this operator have `--leases` (per-cluster Leases)? Asked once, from its --help."""
    out = subprocess.run(
        [sys.executable, "-m", "ecs_operator.cli.main", "run", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return "--leases" in out.stdout


def run_once(config: RunConfig) -> RunResult:
    return Run(config).run()


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (nearest rank) of the values, None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None
