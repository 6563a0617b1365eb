"""The faults of one run, planned from its seed, and the replicas they hit.

Why these faults (testing.md "Faults"): each breaks one assumption a scheduler might make without
noticing. SIGKILL ends a replica between any two of its writes (and the crash points end it
exactly between a claim and the placement record, the record and the pod, or a schedule's
creates); stopping kube-apiserver drops every watch (a restarted API server answers old
resourceVersions with 410 Gone, as does the short etcd compaction); stopping etcd makes the API
server fail writes it accepted; Toxiproxy delays responses (latency), drops them and closes the
connection (timeout), resets connections (reset_peer) and stalls them until the fault ends (a
`timeout` toxic of 0: bytes vanish and nothing is closed).

Every run gets each kind once at a seeded moment, plus `extra` more of seeded kinds, so a short
run still covers every kind; the operator replicas are supervised like a Deployment would: a dead
replica is started again after a short seeded delay.
"""

from __future__ import annotations

import random
import re
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.chaos.toxiproxy import Toxiproxy
from tests.support.operator import OperatorProcess

KINDS = ("sigkill", "kube-apiserver", "etcd", "latency", "timeout", "reset_peer", "stall")
TOXICS = {"latency", "timeout", "reset_peer", "stall"}
CRASH_EXIT = 137  # ecs_operator.crashpoints.EXIT_CODE


@dataclass(frozen=True)
class Fault:
    """One fault: when (seconds into the fault phase), what, for how long, on which replicas."""

    at: float
    kind: str
    duration: float
    targets: tuple[str, ...] = ()
    attributes: dict[str, int] = field(default_factory=dict)
    stream: str = "downstream"
    hard: bool = False  # kube-apiserver / etcd: SIGKILL rather than SIGTERM

    def describe(self) -> str:
        where = f" on {','.join(self.targets)}" if self.targets else ""
        attrs = f" {self.attributes}" if self.attributes else ""
        how = " (SIGKILL)" if self.hard else ""
        return f"t+{self.at:.1f}s {self.kind}{how}{where}{attrs} for {self.duration:.1f}s"


def plan(rng: random.Random, phase: float, replicas: list[str], extra: int) -> list[Fault]:
    """Every kind once, plus `extra` seeded ones, at seeded moments in [5%, 85%] of the phase."""
    kinds = [*KINDS, *(rng.choice(KINDS) for _ in range(extra))]
    out = []
    for kind in kinds:
        at = rng.uniform(0.05, 0.85) * phase
        targets = tuple(rng.sample(replicas, k=rng.randint(1, len(replicas))))
        if kind == "sigkill":
            out.append(Fault(at, kind, rng.uniform(0.5, 3.0), (rng.choice(replicas),)))
        elif kind in ("kube-apiserver", "etcd"):
            out.append(Fault(at, kind, rng.uniform(1.0, 5.0), hard=rng.random() < 0.5))
        elif kind == "latency":
            attrs = {"latency": rng.randint(300, 1500), "jitter": rng.randint(0, 300)}
            out.append(
                Fault(
                    at, kind, rng.uniform(5.0, 15.0), targets, attrs, rng.choice(["downstream", "upstream"])
                )
            )
        elif kind == "timeout":
            attrs = {"timeout": rng.randint(500, 2000)}
            out.append(
                Fault(at, kind, rng.uniform(3.0, 8.0), targets, attrs, rng.choice(["downstream", "upstream"]))
            )
        elif kind == "reset_peer":
            attrs = {"timeout": rng.randint(0, 300)}
            out.append(Fault(at, kind, rng.uniform(2.0, 5.0), targets, attrs, "upstream"))
        else:  # stall
            out.append(Fault(at, kind, rng.uniform(3.0, 10.0), targets, {"timeout": 0}, "downstream"))
    return sorted(out, key=lambda f: f.at)


def toxic_type(kind: str) -> str:
    return "timeout" if kind == "stall" else kind


def add_toxics(proxy: Toxiproxy, fault: Fault, ident: int) -> list[tuple[str, str]]:
    """Put the fault's toxic on each target's proxy; returns (proxy, toxic) to remove later."""
    added = []
    for target in fault.targets:
        name = f"{fault.kind}-{ident}"
        proxy.add_toxic(target, name, toxic_type(fault.kind), fault.attributes, fault.stream)
        added.append((target, name))
    return added


# ---- the replicas ---------------------------------------------------------------------------


@dataclass
class Replica:
    name: str
    kubeconfig: Path
    log_path: Path
    env: dict[str, str]
    args: list[str] = field(default_factory=list)
    proc: OperatorProcess | None = None
    restart_at: float | None = None
    starts: int = 0


@dataclass
class Replicas:
    """Two or three `ecs-operator run`, each through its own proxy, restarted when they die."""

    rng: random.Random
    members: list[Replica]
    deaths: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    last_restart: float = 0.0

    def start(self, replica: Replica) -> None:
        replica.starts += 1
        env = dict(replica.env)
        if "ECS_OPERATOR_CRASHPOINTS" in env:  # another sequence of dice after each restart
            env["ECS_OPERATOR_CRASH_SEED"] = f"{env['ECS_OPERATOR_CRASH_SEED']}{replica.starts}"
        replica.proc = OperatorProcess(
            replica.kubeconfig, replica.log_path, ["--metrics-port=0"], env
        ).start()
        replica.restart_at = None

    def start_all(self) -> None:
        for replica in self.members:
            self.start(replica)

    def by_name(self, name: str) -> Replica:
        return next(r for r in self.members if r.name == name)

    def kill(self, name: str, restart_after: float | None) -> None:
        """SIGKILL now; started again after `restart_after` seconds (None: not by the supervisor)."""
        replica = self.by_name(name)
        if replica.proc is not None and replica.proc.alive():
            replica.proc.stop(kill=True)
        replica.restart_at = time.monotonic() + restart_after if restart_after is not None else float("inf")

    def tick(self) -> None:
        """Notice replicas that died by themselves (crash points), start those whose delay is over."""
        now = time.monotonic()
        for replica in self.members:
            proc = replica.proc
            if proc is None:
                continue
            if not proc.alive() and replica.restart_at is None:
                rc = proc.proc.returncode if proc.proc is not None else None
                if rc == CRASH_EXIT:
                    self.deaths["crashpoint"] += 1
                elif rc not in (-signal.SIGKILL, -signal.SIGTERM, 0):
                    self.unexpected.append(f"{replica.name} exited {rc}: {proc.log_tail(5)}")
                replica.restart_at = now + self.rng.uniform(0.5, 3.0)
            if replica.restart_at is not None and replica.restart_at <= now and not proc.alive():
                self.start(replica)
                self.last_restart = now

    def settle(self) -> None:
        """The end of the fault phase: crash points disarmed (the armed replica is stopped with
        SIGTERM and started without them), every dead replica started now."""
        self.tick()
        for replica in self.members:
            if "ECS_OPERATOR_CRASHPOINTS" in replica.env:
                replica.env = {k: v for k, v in replica.env.items() if not k.startswith("ECS_OPERATOR_CRASH")}
                if replica.proc is not None:
                    replica.proc.stop()
                self.start(replica)
            elif replica.proc is None or not replica.proc.alive():
                self.start(replica)
        self.last_restart = time.monotonic()

    def stop_all(self) -> None:
        for replica in self.members:
            if replica.proc is not None:
                replica.proc.stop()

    def pid_of(self, name: str) -> int | None:
        proc = self.by_name(name).proc
        return proc.proc.pid if proc is not None and proc.proc is not None else None

    def crashpoints_fired(self) -> Counter[str]:
        """Which crash points ended a replica, from the lines they print before exiting."""
        out: Counter[str] = Counter()
        for replica in self.members:
            try:
                text = replica.log_path.read_text(errors="replace")
            except OSError:
                continue
            out.update(re.findall(r"crashpoint (\S+): exiting", text))
        return out


def replica_env(name: str, armed: bool, seed: int, crashpoints: str) -> dict[str, str]:
    """A replica's environment: its identity (for Lease holders) and, on one replica, crash points."""
    env: dict[str, Any] = {"POD_ID": name, "POD_NAME": name, "PYTHONUNBUFFERED": "1"}
    if armed and crashpoints:
        env["ECS_OPERATOR_CRASHPOINTS"] = crashpoints
        env["ECS_OPERATOR_CRASH_SEED"] = str(seed)
    return {k: str(v) for k, v in env.items()}
