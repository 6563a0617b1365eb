"""Benchmark of scheduled tasks end to end (testing.md, "Benchmarks"): lag and idle CPU.

Starts its own local control plane (hack/controlplane/localcp.py) in a temporary directory and the
operator as a subprocess, creates N ScheduledTasks (default 1,000) firing every minute
(`cron(* * * * ? *)`, all from the same startDate, about two minutes ahead), and measures:

- lag from the scheduled minute to each EcsTask's `metadata.creationTimestamp` (set by the API
  server, whole seconds: a lag of 0 s means created within the scheduled second), p50/p99/max;
- the same lag to the microsecond from the API server's audit log (this benchmark's control plane
  logs the creates of EcsTasks): when each create arrived, and when its response was complete (the
  task stored) — the figure the goal is about;
- missing or duplicated launches (every schedule must launch exactly one task per minute);
- the operator's CPU (utime + stime from /proc/<pid>/stat) while idle: before the first fire (the
  schedules alone), and between fires (when the stopped tasks of earlier fires exist as well), and
  its CPU seconds per fire; the API server's CPU per minute for context.

The schedules target a cluster with no container instances, so every task stops at once with
TaskFailedToStart (and retries are off: maximumRetryAttempts 0): what is measured is the lag to
the task's creation, not placement, and the cluster does not drown in pods.

    .venv/bin/python bench/scheduled_bench.py [--schedules 1000] [--minutes 3] [--kubeconfig PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "operator"))
sys.path.insert(0, str(ROOT / "hack" / "controlplane"))

import localcp  # noqa: E402

from ecs_operator.kube import objects  # noqa: E402
from ecs_operator.kube.client import configure  # noqa: E402
from ecs_operator.kube.creator import AsyncCreator  # noqa: E402

NAMESPACE = "sched-bench"
CLUSTER = "sched-bench-empty"
UID_LABEL = "ecs-operator.dev/scheduled-task-uid"
SCHEDULED_TIME = "ecs-operator.dev/scheduled-time"
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14 and 15)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def kubectl(kubeconfig: Path, *args: str, input: str | None = None) -> str:
    binary = localcp.build_binaries() / "kubectl"
    result = subprocess.run(
        [str(binary), f"--kubeconfig={kubeconfig}", *args], input=input, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"kubectl {' '.join(args)}: {result.stderr}")
    return result.stdout


def obj(kind: str, name: str, spec: dict[str, Any], namespace: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": "ecs-operator.dev/v1alpha1", "kind": kind, "metadata": meta, "spec": spec}


def wait(fn: Any, what: str, timeout: float = 300, interval: float = 1.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(what)


def sleep_until(moment: datetime) -> None:
    while (left := (moment - datetime.now(UTC)).total_seconds()) > 0:
        time.sleep(min(left, 1.0))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def setup(kubeconfig: Path, count: int, start: datetime) -> None:
    kubectl(kubeconfig, "create", "namespace", NAMESPACE)
    nobody = {"matchLabels": {"bench.ecs-operator.dev/none": "x"}}
    container = {"name": "main", "image": "busybox:1.37", "cpu": 16, "memory": 16}
    manifests = [
        obj("EcsCluster", CLUSTER, {"nodeSelector": nobody}),
        obj("EcsTaskDefinition", "tiny", {"containerDefinitions": [container]}, NAMESPACE),
    ]
    kubectl(
        kubeconfig,
        "apply",
        "-f",
        "-",
        input=json.dumps({"apiVersion": "v1", "kind": "List", "items": manifests}),
    )
    spec = {
        "cluster": CLUSTER,
        "scheduleExpression": "cron(* * * * ? *)",
        "startDate": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "retryPolicy": {"maximumRetryAttempts": 0},
        "target": {"taskDefinition": "tiny"},
    }
    with ThreadPoolExecutor(16) as pool:
        list(
            pool.map(
                lambda i: objects.create(
                    objects.SCHEDULED_TASKS, obj("ScheduledTask", f"s{i:04d}", spec), NAMESPACE
                ),
                range(count),
            )
        )


def floor(kubeconfig: Path, count: int) -> datetime:
    """The API server alone: `count` EcsTasks created at once by the operator's own client
    (AsyncCreator, its connections warmed up by as many creates before, as the operator's are
    after its first fire), with no operator running. Returns the instant the burst started; the
    audit log has when each create arrived and completed."""
    namespace = f"{NAMESPACE}-floor"
    kubectl(kubeconfig, "create", "namespace", namespace)
    spec = {"cluster": CLUSTER, "taskDefinition": "tiny", "startedBy": "bench"}
    payloads = [
        json.dumps(obj("EcsTask", f"floor-{i:05d}", spec, namespace)).encode() for i in range(2 * count)
    ]
    start: list[datetime] = []

    async def run() -> None:
        creator = AsyncCreator("/apis/ecs-operator.dev/v1alpha1", "ecstasks")
        try:
            await asyncio.gather(*(creator.create(namespace, p) for p in payloads[:count]))
            await asyncio.sleep(5)
            start.append(datetime.now(UTC))
            await asyncio.gather(*(creator.create(namespace, p) for p in payloads[count:]))
        finally:
            await creator.close()

    asyncio.run(run())
    return start[0]


def ready_count() -> int:
    items = objects.list_objects(objects.SCHEDULED_TASKS, NAMESPACE)
    return sum(1 for i in items if (i.get("status") or {}).get("nextScheduleTime"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--minutes", type=int, default=3, help="fires measured (one per minute)")
    parser.add_argument("--kubeconfig", type=Path, help="reuse a running local control plane")
    parser.add_argument("--keep", action="store_true", help="leave the control plane running")
    args = parser.parse_args()

    state = Path(tempfile.mkdtemp(prefix="ecs-sched-bench-"))
    plane = localcp.ControlPlane(args.kubeconfig.parent if args.kubeconfig else state)
    if args.kubeconfig is None:
        (state / "audit-policy.yaml").write_text(AUDIT_POLICY)
        plane.apiserver_extra = [
            f"--audit-policy-file={state / 'audit-policy.yaml'}",
            f"--audit-log-path={state / 'audit.log'}",
        ]
    own_plane = args.kubeconfig is None
    if own_plane:
        plane.up()
    else:
        assert plane.is_running(), f"{args.kubeconfig}: that control plane is not running"
    kubeconfig = plane.kubeconfig
    operator: subprocess.Popen[bytes] | None = None
    try:
        kubectl(kubeconfig, "apply", "--server-side", "--force-conflicts", "-f", str(ROOT / "crds"))
        kubectl(kubeconfig, "wait", "--for=condition=Established", "--timeout=60s", "crd", "--all")
        configure(str(kubeconfig))
        log = open(state / "operator.log", "ab")  # noqa: SIM115 - owned by the child
        operator = subprocess.Popen(
            [sys.executable, "-m", "ecs_operator.cli.main", "run", f"--kubeconfig={kubeconfig}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT / "operator")},
            start_new_session=True,
        )
        now = datetime.now(UTC)
        first = now.replace(second=0, microsecond=0) + timedelta(minutes=3)
        created_at = time.monotonic()
        setup(kubeconfig, args.schedules, first)
        wait(lambda: ready_count() >= args.schedules, "every schedule planned", timeout=600, interval=2)
        planned_in = time.monotonic() - created_at
        if datetime.now(UTC) > first - timedelta(seconds=40):
            raise SystemExit("setup took too long: no idle window before the first fire")

        apiserver = plane.pids()["kube-apiserver"]
        idle_start = datetime.now(UTC) + timedelta(seconds=3)
        sleep_until(idle_start)
        c0 = cpu_seconds(operator.pid)
        idle_end = first - timedelta(seconds=5)
        sleep_until(idle_end)
        idle_before = (cpu_seconds(operator.pid) - c0) / (idle_end - idle_start).total_seconds()

        load_before = Path("/proc/loadavg").read_text().split()[0]
        between: list[float] = []
        per_fire: list[float] = []
        apiserver_per_minute: list[float] = []
        for k in range(args.minutes):
            fire = first + timedelta(minutes=k)
            sleep_until(fire - timedelta(seconds=1))
            f0, a0 = cpu_seconds(operator.pid), cpu_seconds(apiserver)
            quiet_start = fire + timedelta(seconds=40)
            sleep_until(quiet_start)
            q0 = cpu_seconds(operator.pid)
            quiet_end = fire + timedelta(seconds=58)
            sleep_until(quiet_end)
            q1 = cpu_seconds(operator.pid)
            between.append((q1 - q0) / (quiet_end - quiet_start).total_seconds())
            per_fire.append(q1 - f0)
            apiserver_per_minute.append(cpu_seconds(apiserver) - a0)
        load_after = Path("/proc/loadavg").read_text().split()[0]
        time.sleep(5)

        tasks = objects.list_objects(objects.TASKS, NAMESPACE)
        fires = {first + timedelta(minutes=k) for k in range(args.minutes)}
        lags: list[float] = []
        per_fire_lags: dict[datetime, list[float]] = {fire: [] for fire in fires}
        per_occurrence: Counter[tuple[str, str]] = Counter()
        for task in tasks:
            meta = task["metadata"]
            scheduled = datetime.fromisoformat(meta["annotations"][SCHEDULED_TIME])
            if scheduled not in fires:
                continue
            per_occurrence[(meta["labels"][UID_LABEL], meta["annotations"][SCHEDULED_TIME])] += 1
            lag = (datetime.fromisoformat(meta["creationTimestamp"]) - scheduled).total_seconds()
            lags.append(lag)
            per_fire_lags[scheduled].append(lag)
        audit = lags_from(
            lambda done: fire if (fire := done.replace(second=0, microsecond=0)) in fires else None,
            audited_creates(state / "audit.log", NAMESPACE),
        )
        rss = rss_mib(operator.pid)
        os.killpg(operator.pid, signal.SIGTERM)  # the floor is measured without the operator
        operator.wait(timeout=60)
        floor_start = floor(kubeconfig, args.schedules)
        floor_lags = lags_from(
            lambda done: floor_start if done >= floor_start else None,
            audited_creates(state / "audit.log", f"{NAMESPACE}-floor"),
        )
        expected = args.schedules * args.minutes
        duplicated = sum(n - 1 for n in per_occurrence.values() if n > 1)
        missing = expected - len(per_occurrence)

        print(
            f"\nscheduled tasks end to end: {args.schedules:,} schedules cron(* * * * ? *), "
            f"{args.minutes} fires; {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"local control plane (Kubernetes {localcp_versions()}); "
            f"planning {args.schedules:,} new schedules took {planned_in:.0f} s; "
            f"machine load average {load_before} before the fires, {load_after} after\n"
        )
        print("| figure | value |")
        print("|---|---:|")
        print(f"| tasks launched / expected | {len(lags):,} / {expected:,} |")
        print(f"| missing / duplicated launches | {missing} / {duplicated} |")
        print(f"| lag to creationTimestamp p50 / p99 / max (s, whole seconds) | {fmt(lags, 1)} |")
        for k, fire in enumerate(sorted(per_fire_lags), start=1):
            print(
                f"| fire {k} ({fire:%H:%M}): lag to creationTimestamp p50 / p99 / max (s) | "
                f"{fmt(per_fire_lags[fire], 1)} |"
            )
        print(
            f"| lag to the create's response, API server audit log, p50 / p99 / max (ms; "
            f"{len(audit['done']):,} creates) | {fmt(audit['done'], 1000)} |"
        )
        print(
            f"| lag to the create's arrival, audit log, p50 / p99 / max (ms) | {fmt(audit['received'], 1000)} |"
        )
        print(
            f"| floor: the API server alone, {args.schedules:,} EcsTasks created at once by the same "
            f"client, no operator: response p50 / p99 / max (ms) | {fmt(floor_lags['done'], 1000)} |"
        )
        print(f"| floor: arrival p50 / p99 / max (ms) | {fmt(floor_lags['received'], 1000)} |")
        print(f"| operator CPU idle, schedules only (% of a core) | {idle_before * 100:.1f} |")
        print(
            f"| operator CPU idle between fires, with stopped tasks (% of a core, median) | "
            f"{statistics.median(between) * 100:.1f} |"
        )
        print(f"| operator CPU per fire (s, median) | {statistics.median(per_fire):.1f} |")
        print(f"| operator memory (RSS) at the end (MiB) | {rss:.0f} |")
        apiserver_cpu = statistics.median(apiserver_per_minute)
        print(f"| kube-apiserver CPU per minute of fires (s, median) | {apiserver_cpu:.1f} |")
    finally:
        if operator is not None and operator.poll() is None:
            os.killpg(operator.pid, signal.SIGTERM)
            try:
                operator.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(operator.pid, signal.SIGKILL)
        if own_plane and not args.keep:
            plane.down()
            shutil.rmtree(state, ignore_errors=True)
        elif not own_plane:
            for namespace in (NAMESPACE, f"{NAMESPACE}-floor"):
                subprocess.run(
                    [
                        str(localcp.build_binaries() / "kubectl"),
                        f"--kubeconfig={kubeconfig}",
                        "delete",
                        "namespace",
                        namespace,
                        "--wait=false",
                    ],
                    capture_output=True,
                )


AUDIT_POLICY = f"""\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived", "ResponseStarted", "Panic"]
rules:
  - level: Metadata
    verbs: ["create"]
    namespaces: ["{NAMESPACE}", "{NAMESPACE}-floor"]
    resources: [{{group: "ecs-operator.dev", resources: ["ecstasks"]}}]
  - level: None
"""


def audited_creates(path: Path, namespace: str) -> list[tuple[datetime, datetime]]:
    """From the API server's audit log (microseconds, unlike creationTimestamp): each create of an
    EcsTask in `namespace` that succeeded, as (arrived, response complete: the task stored)."""
    creates: list[tuple[datetime, datetime]] = []
    if not path.exists():
        return creates
    for line in path.read_text().splitlines():
        event = json.loads(line)
        if (
            event.get("stage") == "ResponseComplete"
            and (event.get("responseStatus") or {}).get("code") == 201
            and (event.get("objectRef") or {}).get("namespace") == namespace
        ):
            creates.append(
                (
                    datetime.fromisoformat(event["requestReceivedTimestamp"]),
                    datetime.fromisoformat(event["stageTimestamp"]),
                )
            )
    return creates


def lags_from(
    origin: Callable[[datetime], datetime | None], creates: list[tuple[datetime, datetime]]
) -> dict[str, list[float]]:
    """Arrival and completion lags of the creates that `origin` maps to an instant they count from."""
    lags: dict[str, list[float]] = {"received": [], "done": []}
    for received, done in creates:
        start = origin(done)
        if start is not None:
            lags["received"].append((received - start).total_seconds())
            lags["done"].append((done - start).total_seconds())
    return lags


def fmt(values: list[float], scale: float) -> str:
    if not values:
        return "n/a"
    return " / ".join(
        f"{v * scale:.0f}" for v in (statistics.median(values), percentile(values, 0.99), max(values))
    )


def localcp_versions() -> str:
    pins = (ROOT / "hack" / "controlplane" / "pins.env").read_text().splitlines()
    values = dict(line.split("=", 1) for line in pins if "=" in line and not line.startswith("#"))
    return values.get("KUBERNETES_VERSION", "?").strip('"')


if __name__ == "__main__":
    main()
