#!/usr/bin/env python3
"""The local Kubernetes control plane: real etcd, kube-apiserver, kube-controller-manager,
kube-scheduler, and KWOK as the kubelets, all on 127.0.0.1 with no container runtime.

Why it exists: the operator's correctness rests on the API server's semantics (resourceVersion
and 409 Conflict, watches, structural schemas, CEL admission, RBAC), so the tests and the README's
run command use a real one, built from the official Go modules by build.sh (testing.md).

Usage::

    localcp.py up   [--state-dir DIR] [--topology FILE]   # start, write DIR/kubeconfig, return
    localcp.py down [--state-dir DIR]                     # stop every process, remove nothing else
    localcp.py status [--state-dir DIR]

Security is real: the API server serves TLS with a certificate from a CA made for this run and
authenticates clients by certificate (admin is in system:masters; the controller manager and the
scheduler use their own identities) and RBAC is the only authorizer. It needs only the standard
library and PyYAML. Nodes come from a topology file
(default: topology.yaml beside this file) and are managed by KWOK (annotation kwok.x-k8s.io/node).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_STATE = Path(os.environ.get("ECS_OPERATOR_STATE", Path(tempfile.gettempdir()) / "ecs-operator-local"))
COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")


def log(msg: str) -> None:
    print(f"[localcp] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_ports(names: tuple[str, ...]) -> dict[str, int]:
    """One free port per name, all distinct: each socket stays bound until all are chosen (calls of
    `free_port` in a row may return the same port twice, and two components then fight for it)."""
    sockets = [socket.socket() for _ in names]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return {name: int(s.getsockname()[1]) for name, s in zip(names, sockets, strict=True)}
    finally:
        for s in sockets:
            s.close()


def build_binaries() -> Path:
    """Run build.sh (a no-op when the cache is warm) and return the directory of the binaries."""
    out = subprocess.run(["bash", str(HERE / "build.sh")], check=True, stdout=subprocess.PIPE, text=True)
    return Path(out.stdout.strip().splitlines()[-1])


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@dataclass
class Pki:
    """A CA and the certificates of one run, in DIR/pki."""

    dir: Path

    def make(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        d = self.dir
        openssl(
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(d / "ca.key"),
            "-out",
            str(d / "ca.crt"),
            "-days",
            "3650",
            "-subj",
            "/CN=ecs-operator-local-ca",
        )
        self.issue(
            "apiserver",
            "/CN=kube-apiserver",
            "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,"
            "DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local",
        )
        self.issue("admin", "/O=system:masters/CN=admin")
        self.issue("controller-manager", "/CN=system:kube-controller-manager")
        self.issue("scheduler", "/CN=system:kube-scheduler")
        self.issue("kwok", "/O=system:masters/CN=kwok")
        openssl("genrsa", "-out", str(d / "sa.key"), "2048")

    def issue(self, name: str, subject: str, san: str | None = None) -> None:
        d = self.dir
        req = [
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(d / f"{name}.key"),
            "-out",
            str(d / f"{name}.csr"),
            "-subj",
            subject,
        ]
        if san:
            req += ["-addext", san]
        openssl(*req)
        sign = [
            "x509",
            "-req",
            "-in",
            str(d / f"{name}.csr"),
            "-CA",
            str(d / "ca.crt"),
            "-CAkey",
            str(d / "ca.key"),
            "-CAcreateserial",
            "-out",
            str(d / f"{name}.crt"),
            "-days",
            "3650",
        ]
        if san:
            sign += ["-copy_extensions", "copyall"]
        openssl(*sign)


@dataclass
class ControlPlane:
    """One running local control plane; its state (pki, etcd data, logs, pids) lives in state_dir."""

    state_dir: Path
    topology: Path = HERE / "topology.yaml"
    ports: dict[str, int] = field(default_factory=dict)
    apiserver_extra: list[str] = field(default_factory=list)  # e.g. a benchmark's audit log flags
    etcd_extra: list[str] = field(default_factory=list)  # e.g. the chaos suite's short compaction
    kcm_extra: list[str] = field(default_factory=list)  # e.g. the benchmark's node grace period
    kwok_config: Path = HERE / "kwok-stages.yaml"  # the benchmark writes one without node leases

    @property
    def kubeconfig(self) -> Path:
        return self.state_dir / "kubeconfig"

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.ports['apiserver']}"

    # ---- lifecycle -------------------------------------------------------------------------

    def up(self) -> Path:
        if self.is_running():
            log(f"already running: {self.kubeconfig}")
            return self.kubeconfig
        self.down()
        bin_dir = build_binaries()
        for sub in ("pki", "etcd", "logs"):
            (self.state_dir / sub).mkdir(parents=True, exist_ok=True)
        Pki(self.state_dir / "pki").make()
        start = time.monotonic()
        try:
            for attempt in range(1, 4):
                # A port chosen free may be taken by another process before etcd or the API server
                # binds it ("address already in use"): start again on new ports, at most three times.
                self.ports = free_ports(("etcd", "etcd-peer", "apiserver", "kcm", "scheduler", "kwok"))
                (self.state_dir / "ports.json").write_text(json.dumps(self.ports))
                self.write_kubeconfigs()
                self.spawn("etcd", bin_dir, self.etcd_args())
                self.spawn("kube-apiserver", bin_dir, self.apiserver_args())
                try:
                    self.wait_ready()
                    break
                except RuntimeError as exc:
                    if attempt == 3 or not self._port_taken():
                        raise
                    log(f"a port was taken before it was bound ({exc}); starting again on new ports")
                    self.down()
                    shutil.rmtree(self.state_dir / "etcd", ignore_errors=True)
                    (self.state_dir / "etcd").mkdir(parents=True, exist_ok=True)
            self.spawn("kube-controller-manager", bin_dir, self.kcm_args())
            self.spawn("kube-scheduler", bin_dir, self.scheduler_args())
            self.spawn("kwok", bin_dir, self.kwok_args())
            self.create_nodes(bin_dir)
        except BaseException:
            self.down()  # never leave half a control plane running
            raise
        log(f"control plane up in {time.monotonic() - start:.1f}s; KUBECONFIG={self.kubeconfig}")
        return self.kubeconfig

    def down(self) -> None:
        """Stop every process this state dir started (SIGTERM, then SIGKILL); idempotent."""
        pids = self.pids()
        for name in reversed(COMPONENTS):
            pid = pids.get(name)
            if pid is not None:
                _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for pid in pids.values():
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive(pid):
                _signal_group(pid, signal.SIGKILL)
        (self.state_dir / "pids.json").unlink(missing_ok=True)

    def stop(self, name: str, sig: signal.Signals = signal.SIGTERM, timeout: float = 30) -> None:
        """Stop one component and wait for it to exit (the fault-injection suite stops etcd or
        kube-apiserver, then starts it again with `start`); SIGKILL if it outlives `timeout`."""
        pid = self.pids().get(name)
        if pid is None:
            raise KeyError(f"{name} was not started from {self.state_dir}")
        _signal_group(pid, sig)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            _signal_group(pid, signal.SIGKILL)
        log(f"stopped {name} (pid {pid}, {sig.name})")

    def start(self, name: str) -> None:
        """Start one stopped component again with the same flags, ports and data; for the API
        server, wait until it is ready."""
        args = {
            "etcd": self.etcd_args,
            "kube-apiserver": self.apiserver_args,
            "kube-controller-manager": self.kcm_args,
            "kube-scheduler": self.scheduler_args,
            "kwok": self.kwok_args,
        }[name]()
        pid = self.pids().get(name)
        if pid is not None and _alive(pid):
            raise RuntimeError(f"{name} is still running (pid {pid})")
        self.spawn(name, build_binaries(), args)
        if name == "kube-apiserver":
            self.wait_ready()

    def is_running(self) -> bool:
        pids = self.pids()
        if not pids or not all(_alive(p) for p in pids.values()):
            return False
        self.ports = json.loads((self.state_dir / "ports.json").read_text())
        try:
            self.get("/readyz")
        except OSError:
            return False
        return True

    def pids(self) -> dict[str, int]:
        path = self.state_dir / "pids.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def spawn(self, name: str, bin_dir: Path, args: list[str]) -> None:
        binary = bin_dir / name
        logf = open(self.state_dir / "logs" / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        proc = subprocess.Popen(
            [str(binary), *args],
            stdout=logf,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        pids = self.pids()
        pids[name] = proc.pid
        (self.state_dir / "pids.json").write_text(json.dumps(pids))
        log(f"started {name} (pid {proc.pid})")

    # ---- component flags -------------------------------------------------------------------

    def pki(self, name: str) -> str:
        return str(self.state_dir / "pki" / name)

    def etcd_args(self) -> list[str]:
        client = f"http://127.0.0.1:{self.ports['etcd']}"
        peer = f"http://127.0.0.1:{self.ports['etcd-peer']}"
        return [
            "--name=default",
            f"--data-dir={self.state_dir / 'etcd'}",
            f"--listen-client-urls={client}",
            f"--advertise-client-urls={client}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=default={peer}",
            "--unsafe-no-fsync=true",
            "--quota-backend-bytes=4294967296",
            "--log-level=warn",
            *self.etcd_extra,
        ]

    def apiserver_args(self) -> list[str]:
        issuer = "https://kubernetes.default.svc.cluster.local"
        return [
            f"--etcd-servers=http://127.0.0.1:{self.ports['etcd']}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={self.ports['apiserver']}",
            f"--tls-cert-file={self.pki('apiserver.crt')}",
            f"--tls-private-key-file={self.pki('apiserver.key')}",
            f"--client-ca-file={self.pki('ca.crt')}",
            "--authorization-mode=RBAC",
            f"--service-account-issuer={issuer}",
            f"--api-audiences={issuer}",
            f"--service-account-key-file={self.pki('sa.key')}",
            f"--service-account-signing-key-file={self.pki('sa.key')}",
            "--service-cluster-ip-range=10.96.0.0/16",
            "--endpoint-reconciler-type=none",
            "--allow-privileged=true",
            "--max-requests-inflight=2000",
            "--max-mutating-requests-inflight=1000",
            "--profiling=false",
            "--v=1",
            *self.apiserver_extra,
        ]

    def kcm_args(self) -> list[str]:
        kc = str(self.state_dir / "controller-manager.kubeconfig")
        return [
            f"--kubeconfig={kc}",
            f"--authentication-kubeconfig={kc}",
            f"--authorization-kubeconfig={kc}",
            "--leader-elect=false",
            "--use-service-account-credentials=true",
            f"--service-account-private-key-file={self.pki('sa.key')}",
            f"--root-ca-file={self.pki('ca.crt')}",
            "--bind-address=127.0.0.1",
            f"--secure-port={self.ports['kcm']}",
            "--controllers=*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-route",
            "--concurrent-gc-syncs=20",
            "--kube-api-qps=200",
            "--kube-api-burst=400",
            "--v=1",
            *self.kcm_extra,
        ]

    def scheduler_args(self) -> list[str]:
        kc = str(self.state_dir / "scheduler.kubeconfig")
        return [
            f"--kubeconfig={kc}",
            f"--authentication-kubeconfig={kc}",
            f"--authorization-kubeconfig={kc}",
            "--leader-elect=false",
            "--bind-address=127.0.0.1",
            f"--secure-port={self.ports['scheduler']}",
            "--v=1",
        ]

    def kwok_args(self) -> list[str]:
        return [
            f"--kubeconfig={self.state_dir / 'kwok.kubeconfig'}",
            f"--config={self.kwok_config}",
            "--manage-all-nodes=false",
            "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
            f"--server-address=127.0.0.1:{self.ports['kwok']}",
            "--cidr=10.0.0.1/16",
            "--node-ip=10.255.0.1",
        ]

    # ---- kubeconfigs, readiness, nodes -------------------------------------------------------

    def write_kubeconfigs(self) -> None:
        for name, user in (
            ("kubeconfig", "admin"),
            ("controller-manager.kubeconfig", "controller-manager"),
            ("scheduler.kubeconfig", "scheduler"),
            ("kwok.kubeconfig", "kwok"),
        ):
            cfg = {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "ecs-operator-local",
                "clusters": [
                    {
                        "name": "ecs-operator-local",
                        "cluster": {"server": self.server, "certificate-authority": self.pki("ca.crt")},
                    }
                ],
                "users": [
                    {
                        "name": user,
                        "user": {
                            "client-certificate": self.pki(f"{user}.crt"),
                            "client-key": self.pki(f"{user}.key"),
                        },
                    }
                ],
                "contexts": [
                    {
                        "name": "ecs-operator-local",
                        "context": {"cluster": "ecs-operator-local", "user": user, "namespace": "default"},
                    }
                ],
            }
            (self.state_dir / name).write_text(json.dumps(cfg, indent=2))

    def get(self, path: str, timeout: float = 5) -> bytes:
        ctx = ssl.create_default_context(cafile=self.pki("ca.crt"))
        ctx.load_cert_chain(self.pki("admin.crt"), self.pki("admin.key"))
        with urllib.request.urlopen(self.server + path, context=ctx, timeout=timeout) as resp:
            return bytes(resp.read())

    def _port_taken(self) -> bool:
        logs = self.state_dir / "logs"
        return any(
            "address already in use" in (logs / f"{name}.log").read_text(errors="replace")
            for name in ("etcd", "kube-apiserver")
            if (logs / f"{name}.log").exists()
        )

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, pid in self.pids().items():
                if not _alive(pid):
                    raise RuntimeError(f"{name} exited; see {self.state_dir / 'logs' / (name + '.log')}")
            try:
                if self.get("/readyz") == b"ok":
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"kube-apiserver not ready after {timeout}s; see {self.state_dir / 'logs'}")

    def create_nodes(self, bin_dir: Path) -> None:
        manifest = self.state_dir / "nodes.json"
        manifest.write_text(
            json.dumps({"apiVersion": "v1", "kind": "List", "items": node_objects(self.topology)})
        )
        kubectl = [str(bin_dir / "kubectl"), f"--kubeconfig={self.kubeconfig}"]
        for _ in range(60):  # the default namespace and RBAC bootstrap may lag /readyz briefly
            res = subprocess.run([*kubectl, "apply", "-f", str(manifest)], capture_output=True, text=True)
            if res.returncode == 0:
                break
            time.sleep(0.5)
        else:
            raise RuntimeError(f"could not create nodes: {res.stderr}")
        time.sleep(0.5)
        for name, pid in self.pids().items():
            if not _alive(pid):
                raise RuntimeError(f"{name} exited; see {self.state_dir / 'logs' / (name + '.log')}")
        names = {str(n["metadata"]["name"]) for n in node_objects(self.topology)}
        # One LIST per poll rather than `kubectl wait node/...`, which watches the nodes one by one
        # and runs out of time at a benchmark's thousand nodes.
        ready_path = '{range .items[*]}{.metadata.name}{" "}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}'
        deadline = time.monotonic() + max(120, len(names) // 5)
        missing = names
        while time.monotonic() < deadline:
            res = subprocess.run(
                [*kubectl, "get", "nodes", "-o", f"jsonpath={ready_path}"], capture_output=True, text=True
            )
            if res.returncode == 0:
                ready = {ln.split()[0] for ln in res.stdout.splitlines() if ln.endswith(" True")}
                missing = names - ready
                if not missing:
                    break
            time.sleep(1 if len(names) < 500 else 5)
        else:
            raise RuntimeError(f"{len(missing)} nodes did not become Ready, e.g. {sorted(missing)[:5]}")
        log(f"{len(names)} nodes Ready (KWOK)")


def node_objects(topology: Path) -> list[dict[str, object]]:
    """Node objects for the topology file, labelled as a cloud provider would label them."""
    data = _load_yaml(topology)
    defaults = data.get("defaults", {})
    nodes = []
    for spec in data["nodes"]:
        os_name = spec.get("os", defaults.get("os", "linux"))
        arch = spec.get("arch", defaults.get("arch", "amd64"))
        labels = {
            "kubernetes.io/hostname": spec["name"],
            "kubernetes.io/os": os_name,
            "kubernetes.io/arch": arch,
            "topology.kubernetes.io/zone": spec["zone"],
            "topology.kubernetes.io/region": spec.get("region", "local"),
            "node.kubernetes.io/instance-type": spec["instanceType"],
            "type": "kwok",
            **spec.get("labels", {}),
        }
        resources = {
            "cpu": str(spec["cpu"]),
            "memory": str(spec["memory"]),
            "pods": str(spec.get("pods", defaults.get("pods", "110"))),
        }
        nodes.append(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": spec["name"],
                    "labels": labels,
                    "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
                },
                "spec": {},
                "status": {"allocatable": resources, "capacity": resources},
            }
        )
    return nodes


def _load_yaml(path: Path) -> dict[str, object]:
    import yaml  # PyYAML: run this script with the project's virtual environment

    loaded = yaml.safe_load(path.read_text())
    if not isinstance(loaded, dict):
        raise SystemExit(f"{path}: expected a mapping with a 'nodes' list")
    return loaded


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours counts as dead
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE)
    parser.add_argument("--topology", type=Path, default=HERE / "topology.yaml")
    args = parser.parse_args(argv)
    cp = ControlPlane(args.state_dir, args.topology)
    if args.command == "up":
        print(cp.up())
    elif args.command == "down":
        cp.down()
        log("stopped")
    else:
        running = cp.is_running()
        print("running" if running else "stopped")
        return 0 if running else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
