"""Test-side access to the local control plane: kubectl, namespaces, polling.

Why: integration tests drive the real API server the way a user would (kubectl for applying
manifests, the API for assertions), and every test gets its own namespace and uniquely named
cluster-scoped objects so that tests never see each other's state.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Kube:
    """The real kubectl against one control plane."""

    kubeconfig: Path
    bin_dir: Path

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin_dir / "kubectl"), f"--kubeconfig={self.kubeconfig}", *args]
        res = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=120)
        if check and res.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({res.returncode}):\n{res.stderr}")
        return res

    def get_json(self, *args: str) -> Any:
        return json.loads(self.kubectl("get", *args, "-o", "json").stdout)

    def apply(
        self, manifest: str, namespace: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        ns = [f"--namespace={namespace}"] if namespace else []
        return self.kubectl("apply", *ns, "-f", "-", input=manifest, check=check)


def wait_for(
    fn: Callable[[], T | None], timeout: float = 60, interval: float = 0.25, what: str = "condition"
) -> T:
    """Poll fn until it returns something truthy; fail with the last value seen."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")


def fake_node(
    name: str, labels: dict[str, str], zone: str = "zone-c", cpu: str = "8", memory: str = "32Gi"
) -> str:
    """A Node manifest KWOK plays the kubelet of (8 CPUs, 32 GiB unless told), with `labels`, in `zone`."""
    resources = {"cpu": cpu, "memory": memory, "pods": "110"}
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": name,
                "annotations": {"kwok.x-k8s.io/node": "fake"},
                "labels": {**labels, "topology.kubernetes.io/zone": zone, "kubernetes.io/os": "linux"},
            },
            "status": {"allocatable": resources, "capacity": dict(resources)},
        }
    )


def install_crds(kube: Kube, crds: Path) -> None:
    """The project's CRDs applied with the real kubectl (server-side), and waited for Established."""
    kube.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(crds))
    kube.kubectl(
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "crd",
        "-l",
        "app.kubernetes.io/part-of=ecs-operator",
    )


WEBHOOK_OPT_OUT = "ecs-operator.dev/admission-webhook=disabled"


def opt_out_of_webhook(kube: Kube, namespace: str) -> None:
    """Objects of `namespace` skip the admission webhook: tests of the status backstop use it."""
    kube.kubectl("label", "namespace", namespace, WEBHOOK_OPT_OUT, "--overwrite")
