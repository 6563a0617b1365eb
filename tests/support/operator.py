"""Run `ecs-operator run` as a real subprocess against the local control plane.

Why a subprocess: it is what users run, its Kopf event loop is its own, and tests can kill and
restart it (or run two) to check that nothing is lost.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def spawn_cli(
    verb: str, args: list[str], log_path: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """`python -m ecs_operator.cli.main <verb> <args>` in its own session (so that `stop_group`
    stops it with its children), its output appended to `log_path`."""
    log = open(log_path, "ab")  # noqa: SIM115 - owned by the child process
    return subprocess.Popen(
        [sys.executable, "-m", "ecs_operator.cli.main", verb, *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )


def stop_group(proc: subprocess.Popen[bytes] | None, grace: float, kill: bool = False) -> None:
    """SIGTERM (or SIGKILL) to the process group `spawn_cli` made; SIGKILL after `grace` seconds."""
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@dataclass
class OperatorProcess:
    kubeconfig: Path
    log_path: Path
    extra_args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> OperatorProcess:
        self.proc = spawn_cli(
            "run", [f"--kubeconfig={self.kubeconfig}", *self.extra_args], self.log_path, self.env
        )
        return self

    def stop(self, kill: bool = False) -> None:
        stop_group(self.proc, 20, kill)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
