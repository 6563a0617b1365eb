"""The seeded workload of one run: what a team does with ECS while things break.

Why these steps: each one exercises a path whose writes can be cut in half by a fault. Services
fill (many placements at once, two or three replicas racing), roll to a new revision (starts and
stops interleaved), scale in; RunTask bursts; StartTask from the example custom scheduler (a third
scheduler committing claims); a schedule firing every minute (creates that must happen once);
nodes cordoned, set DRAINING and added (tasks moving); a service and stopped tasks deleted
(finalizers). The sizes are modest (2 cores are shared): about 40 tasks on 5–6 KWOK nodes.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kubernetes.client.exceptions import ApiException

from tests.chaos.api import Api
from tests.chaos.checks import LABEL_SCHEDULE_UID, Expected

ROOT = Path(__file__).resolve().parents[2]
CAPACITY_LABEL = "node.ecs-operator.dev/capacity"
ZONES = ("zone-a", "zone-b", "zone-c")
# name, zone, cores, memory: the run's nodes (more room than the workload needs with two drained)
NODES = (
    ("chaos-a1", "zone-a", 4, "8Gi"),
    ("chaos-b1", "zone-b", 4, "8Gi"),
    ("chaos-c1", "zone-c", 4, "8Gi"),
    ("chaos-a2", "zone-a", 2, "4Gi"),
    ("chaos-b2", "zone-b", 2, "4Gi"),
)


def topology(path: Path) -> Path:
    lines = ['defaults: {os: linux, arch: amd64, pods: "110"}', "nodes:"]
    for name, zone, cores, memory in NODES:
        lines.append(
            f'  - {{name: {name}, zone: {zone}, instanceType: m5.chaos, cpu: "{cores}", memory: {memory},'
            f" labels: {{{CAPACITY_LABEL}: ec2}}}}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def container(name: str, cpu: int, memory: int, **extra: object) -> dict[str, object]:
    return {"name": name, "image": "nginx:1.27", "cpu": cpu, "memory": memory, **extra}


@dataclass
class Workload:
    """The run's objects and steps; every choice comes from `rng` (the run's seed)."""

    api: Api
    admin_kubeconfig: Path
    rng: random.Random
    log: Callable[[str], None]
    namespace: str = "chaos"
    cluster: str = "chaos"
    expected: Expected = field(init=False)
    counts: dict[str, int] = field(default_factory=dict)
    burst1: list[str] = field(default_factory=list)
    web_desired: int = 0
    stop_count: int = 0
    burst_sizes: dict[str, int] = field(default_factory=dict)
    cordoned: str = ""
    drained: str = ""
    added_zone: str = ""
    scheduler_zone: str = ""
    tick_start: datetime | None = None

    def __post_init__(self) -> None:
        self.expected = Expected(self.namespace, self.cluster, schedule_task_count=2)
        self.web_desired = self.rng.randint(8, 12)
        self.stop_count = self.rng.randint(1, 3)
        self.burst_sizes = {"b1": self.rng.randint(5, 8), "b2": self.rng.randint(5, 8)}
        self.cordoned = self.rng.choice([n[0] for n in NODES])
        self.drained = self.rng.choice([n[0] for n in NODES])
        self.added_zone = self.rng.choice(ZONES)
        self.scheduler_zone = self.rng.choice(ZONES)

    def _count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    # ---- before the faults -----------------------------------------------------------------

    def setup(self) -> None:
        """Namespace, cluster and task definitions, registered (the operators are running)."""
        self.api.core.create_namespace({"metadata": {"name": self.namespace}}, _request_timeout=15)
        wait(
            lambda: _exists(lambda: self.api.core.read_namespaced_service_account("default", self.namespace))
        )
        self.api.create(
            "EcsCluster",
            "ecsclusters",
            self.cluster,
            {"nodeSelector": {"matchLabels": {CAPACITY_LABEL: "ec2"}}},
        )
        for family, cpu, memory in (
            ("web", 128, 256),
            ("batch", 256, 512),
            ("cron", 64, 128),
            ("custom", 64, 128),
        ):
            env = [{"name": "VERSION", "value": "1"}] if family == "web" else []
            spec = {"containerDefinitions": [container(family, cpu, memory, environment=env)]}
            self.api.create("EcsTaskDefinition", "ecstaskdefinitions", family, spec, self.namespace)
        for family in ("web", "batch", "cron", "custom"):
            wait(lambda f=family: self._revision(f) == 1, what=f"task definition {family} registered")
        wait(lambda: len(self._registered()) == len(NODES), what="container instances registered")

    def _revision(self, family: str) -> int | None:
        return (self.api.get("ecstaskdefinitions", family, self.namespace).get("status") or {}).get(
            "revision"
        )

    def _registered(self) -> list[str]:
        items = self.api.items("ecscontainerinstances", selector=f"ecs-operator.dev/cluster={self.cluster}")
        return [i["metadata"]["name"] for i in items if (i.get("status") or {}).get("registeredResources")]

    # ---- the steps -------------------------------------------------------------------------

    def steps(self) -> list[tuple[float, str, Callable[[], None]]]:
        """(fraction of the fault phase, name, action), jittered by the seed."""
        plan = [
            (0.0, "services and schedule", self.start),
            (0.12, "RunTask burst", lambda: self.run_tasks("b1")),
            (0.25, "new revision (rollout)", self.rollout),
            (0.35, "StartTask (custom scheduler)", self.start_tasks),
            (0.45, "cordon a node", self.cordon),
            (0.5, "RunTask burst, StopTask", self.burst_and_stop),
            (0.55, "delete a service", self.delete_service),
            (0.6, "add a node", self.add_node),
            (0.7, "scale in, instance DRAINING", self.scale_in_and_drain),
            (0.8, "delete stopped tasks", self.delete_stopped),
        ]
        return [(max(0.0, f + (self.rng.uniform(-0.03, 0.03) if f else 0.0)), n, a) for f, n, a in plan]

    def start(self) -> None:
        """Steps may be retried (the API server may be down): creates are idempotent (409 is done)."""
        services = {
            "web": {
                "desiredCount": self.web_desired,
                "deploymentConfiguration": {"minimumHealthyPercent": 50, "maximumPercent": 150},
                "placementStrategy": [
                    {"type": "spread", "field": "attribute:ecs.availability-zone"},
                    {"type": "binpack", "field": "memory"},
                ],
            },
            "api": {
                "desiredCount": 3,
                "placementConstraints": [{"type": "distinctInstance"}],
                "placementStrategy": [{"type": "spread", "field": "attribute:ecs.availability-zone"}],
            },
            "tmp": {"desiredCount": 2},
        }
        for name, extra in services.items():
            spec = {"cluster": self.cluster, "taskDefinition": "batch" if name == "tmp" else "web", **extra}
            self.api.create("EcsService", "ecsservices", name, spec, self.namespace)
            self.expected.services.add(name)
        # A cron schedule, every minute from startDate: each occurrence must be launched once.
        if self.tick_start is None:  # the next whole minute at least 5 s away
            self.tick_start = (datetime.now(UTC) + timedelta(seconds=65)).replace(second=0, microsecond=0)
        start = self.tick_start
        spec = {
            "cluster": self.cluster,
            "scheduleExpression": "cron(* * * * ? *)",
            "startDate": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "target": {"taskDefinition": "cron", "taskCount": 2},
        }
        self.api.create("ScheduledTask", "scheduledtasks", "tick", spec, self.namespace)
        self.expected.schedules["tick"] = start

    def run_tasks(self, prefix: str) -> list[str]:
        names = [f"batch-{prefix}-{i}" for i in range(self.burst_sizes[prefix])]
        for i, name in enumerate(names):
            spec: dict[str, object] = {"cluster": self.cluster, "taskDefinition": "batch"}
            if i % 2:
                spec["placementStrategy"] = [{"type": "binpack", "field": "cpu"}]
            if self.api.create("EcsTask", "ecstasks", name, spec, self.namespace):
                self._count("RunTask")
        if prefix == "b1":
            self.burst1 = names
        return names

    def rollout(self) -> None:
        env = [{"name": "VERSION", "value": "2"}]
        spec = {"containerDefinitions": [container("web", 128, 256, environment=env)]}
        self.api.patch_spec("ecstaskdefinitions", "web", spec, self.namespace)

    def start_tasks(self) -> None:
        """The example custom scheduler, run as a user would (straight to the API server); a run
        that failed before creating anything is an error, so the step is tried again."""
        proc = subprocess.run(
            [
                sys.executable,
                str(ROOT / "examples" / "custom_scheduler.py"),
                f"--cluster={self.cluster}",
                f"--namespace={self.namespace}",
                "--task-definition=custom",
                "--count=3",
                f"--zone={self.scheduler_zone}",
                f"--kubeconfig={self.admin_kubeconfig}",
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
        created = proc.stdout.count(" -> ")
        self._count("StartTask", created)
        if proc.returncode != 0 and not created:
            raise RuntimeError(f"custom scheduler exited {proc.returncode}: {proc.stderr.strip()[-300:]}")

    def cordon(self) -> None:
        node = self.cordoned
        self.api.core.patch_node(node, {"spec": {"unschedulable": True}}, _request_timeout=15)
        self.log(f"cordoned {node}")

    def burst_and_stop(self) -> None:
        self.run_tasks("b2")
        for name in self.burst1[: self.stop_count]:
            spec = {"desiredStatus": "STOPPED", "stopReason": "stopped by the chaos workload"}
            self.api.patch_spec("ecstasks", name, spec, self.namespace)
            self._count("StopTask")

    def delete_service(self) -> None:
        self.api.delete("ecsservices", "tmp", self.namespace)
        self.expected.services.discard("tmp")
        self.expected.deleted_services.add("tmp")

    def add_node(self) -> None:
        zone = self.added_zone
        resources = {"cpu": "2", "memory": "4Gi", "pods": "110"}
        labels = {
            CAPACITY_LABEL: "ec2",
            "topology.kubernetes.io/zone": zone,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "node.kubernetes.io/instance-type": "m5.chaos",
            "type": "kwok",
        }
        body = {
            "metadata": {"name": "chaos-x1", "labels": labels, "annotations": {"kwok.x-k8s.io/node": "fake"}},
            "status": {"allocatable": resources, "capacity": dict(resources)},
        }
        try:
            self.api.core.create_node(body, _request_timeout=15)
        except ApiException as err:
            if err.status != 409:
                raise

    def scale_in_and_drain(self) -> None:
        self.api.patch_spec("ecsservices", "web", {"desiredCount": self.web_desired - 3}, self.namespace)
        node = self.drained
        self.api.patch_spec("ecscontainerinstances", f"{self.cluster}.{node}", {"status": "DRAINING"})
        self.log(f"instance {self.cluster}.{node} DRAINING")

    def delete_stopped(self) -> None:
        for task in self.api.items("ecstasks", self.namespace):
            if LABEL_SCHEDULE_UID in (task["metadata"].get("labels") or {}):
                continue  # a schedule's tasks are its memory of what it launched (checks.schedules_once)
            if (task.get("status") or {}).get("lastStatus") == "STOPPED":
                self.api.delete("ecstasks", task["metadata"]["name"], self.namespace)
                self._count("deleted")


def _exists(read: Callable[[], object]) -> bool:
    try:
        read()
    except ApiException as err:
        if err.status == 404:
            return False
        raise
    return True


def wait(fn: Callable[[], object], timeout: float = 90, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if fn():
                return
        except ApiException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"setup: timed out after {timeout}s waiting for {what}")
