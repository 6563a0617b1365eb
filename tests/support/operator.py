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


@dataclass
class OperatorProcess:
    kubeconfig: Path
    log_path: Path
    extra_args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> OperatorProcess:
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child process
        cmd = [
            sys.executable,
            "-m",
            "ecs_operator.cli.main",
            "run",
            f"--kubeconfig={self.kubeconfig}",
            *self.extra_args,
        ]
        self.proc = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
            env={**os.environ, **self.env},
            start_new_session=True,
        )
        return self

    def stop(self, kill: bool = False) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
