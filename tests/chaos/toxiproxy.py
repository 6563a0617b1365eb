"""Toxiproxy between the operator replicas and the API server: one proxy per replica.

Why a real proxy: the faults that matter are on the wire (a response that never comes, a reset
in the middle of a write, a watch that stalls), and only a TCP proxy produces them without
touching the operator's code. TLS passes through untouched (the API server's certificate names
127.0.0.1), so each replica gets a kubeconfig whose server is its proxy's port. Everything
listens on 127.0.0.1. The server is built by hack/chaos/build-toxiproxy.sh from its Go module.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def build() -> Path:
    """The directory of `toxiproxy-server` (built once, then cached)."""
    out = subprocess.run(
        ["bash", str(ROOT / "hack" / "chaos" / "build-toxiproxy.sh")],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return Path(out.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Toxiproxy:
    """A running toxiproxy-server and the proxies it holds (name → listen port)."""

    state_dir: Path
    upstream_port: int
    api_port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    proxies: dict[str, int] = field(default_factory=dict)

    def start(self) -> Toxiproxy:
        bin_dir = build()
        self.api_port = free_port()
        log = open(self.state_dir / "toxiproxy.log", "ab")  # noqa: SIM115 - owned by the child
        self.proc = subprocess.Popen(
            [str(bin_dir / "toxiproxy-server"), "-host", "127.0.0.1", "-port", str(self.api_port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self._call("GET", "/version")
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"toxiproxy-server exited; see {self.state_dir / 'toxiproxy.log'}"
                    ) from None
                time.sleep(0.1)
        raise RuntimeError("toxiproxy-server did not answer in 30 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.api_port}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def add_proxy(self, name: str) -> int:
        """A proxy to the API server on a free 127.0.0.1 port; returns the port."""
        port = free_port()
        self._call(
            "POST",
            "/proxies",
            {
                "name": name,
                "listen": f"127.0.0.1:{port}",
                "upstream": f"127.0.0.1:{self.upstream_port}",
                "enabled": True,
            },
        )
        self.proxies[name] = port
        return port

    def add_toxic(self, proxy: str, name: str, kind: str, attributes: dict[str, int], stream: str) -> None:
        """A toxic on one direction of a proxy (`downstream`: API server → operator)."""
        self._call(
            "POST",
            f"/proxies/{proxy}/toxics",
            {"name": name, "type": kind, "stream": stream, "toxicity": 1.0, "attributes": attributes},
        )

    def remove_toxic(self, proxy: str, name: str) -> None:
        try:
            self._call("DELETE", f"/proxies/{proxy}/toxics/{name}")
        except urllib.error.HTTPError as err:
            if err.code != 404:
                raise

    def clear(self) -> None:
        """Every toxic removed from every proxy (the end of a fault phase)."""
        for proxy in self.proxies:
            for toxic in self._call("GET", f"/proxies/{proxy}/toxics") or []:
                self.remove_toxic(proxy, toxic["name"])

    def kubeconfig(self, admin_kubeconfig: Path, proxy: str) -> Path:
        """A copy of the admin kubeconfig whose server is this proxy's port."""
        cfg = json.loads(admin_kubeconfig.read_text())  # localcp writes kubeconfigs as JSON
        for cluster in cfg["clusters"]:
            cluster["cluster"]["server"] = f"https://127.0.0.1:{self.proxies[proxy]}"
        path = self.state_dir / f"kubeconfig.{proxy}"
        path.write_text(json.dumps(cfg, indent=2))
        return path
