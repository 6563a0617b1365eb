"""The ECS API server (`ecs-operator api`) as a subprocess, and boto3 driven from `.venv-aws`.

`aws_python()` makes the boto3 virtual environment on first use (pinned boto3 and awscli from the
package index, like `make venv`), so the tests never skip for want of it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.operator import spawn_cli, stop_group

AWS_VENV = Path(__file__).resolve().parents[2] / ".venv-aws"
AWS_PINS = ("boto3==1.44.8", "botocore==1.44.8", "awscli==1.46.3")
RUNNER = Path(__file__).with_name("boto3_runner.py")


def aws_python() -> Path:
    python = AWS_VENV / "bin" / "python"
    stamp = AWS_VENV / ".installed"
    if not stamp.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(AWS_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *AWS_PINS], check=True)
        stamp.write_text(" ".join(AWS_PINS))
    return python


@dataclass
class ApiServer:
    kubeconfig: Path
    namespace: str
    log_path: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None
    args: list[str] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> ApiServer:
        self.proc = spawn_cli(
            "api",
            [
                f"--kubeconfig={self.kubeconfig}",
                f"--port={self.port}",
                f"--namespace={self.namespace}",
                f"--keys-namespace={self.namespace}",
                *self.args,
            ],
            self.log_path,
        )
        import ssl

        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        for _ in range(300):
            assert self.proc.poll() is None, f"ecs-operator api exited:\n{self.log_tail()}"
            try:
                with urllib.request.urlopen(f"{self.endpoint}/healthz", context=context, timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"ecs-operator api did not answer:\n{self.log_tail()}")

    def stop(self) -> None:
        stop_group(self.proc, 10)

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def boto3_calls(endpoint: str, key: str, secret: str, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run `calls` through boto3 (see boto3_runner); one result per call. (``-P``: the runner's
    folder must not shadow the standard library: tests/support holds an ``operator.py``.)"""
    job = {"endpoint": endpoint, "region": "us-east-1", "key": key, "secret": secret, "calls": calls}
    done = subprocess.run(
        [str(aws_python()), "-P", str(RUNNER)],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"boto3 runner failed:\n{done.stderr}"
    return list(json.loads(done.stdout))


def access_key_secret(name: str, key_id: str, secret: str, user: str) -> str:
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "labels": {"ecs-operator.dev/access-key-id": key_id}},
            "stringData": {"secretAccessKey": secret, "user": user},
        }
    )
