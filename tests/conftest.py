"""Session fixtures: one real local control plane per test session, one namespace per test.

The control plane is built (or taken from the cache) and started on first use; tests never skip
because it is missing. Set ECS_OPERATOR_KUBECONFIG to reuse one that is already running
(`make up`), which keeps the edit-test loop short.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "hack" / "controlplane"))

import localcp  # noqa: E402

from tests.support.cluster import Kube, install_crds, wait_for  # noqa: E402
from tests.support.operator import OperatorProcess  # noqa: E402


@pytest.fixture(scope="session")
def control_plane() -> Iterator[localcp.ControlPlane]:
    reuse = os.environ.get("ECS_OPERATOR_KUBECONFIG")
    if reuse:
        state = Path(reuse).parent
        cp = localcp.ControlPlane(state)
        assert cp.is_running(), f"ECS_OPERATOR_KUBECONFIG={reuse} but that control plane is not running"
        yield cp
        return
    state = Path(tempfile.mkdtemp(prefix="ecs-operator-test-"))
    cp = localcp.ControlPlane(state)
    try:
        cp.up()
        yield cp
    finally:
        cp.down()
        shutil.rmtree(state / "etcd", ignore_errors=True)  # the logs stay, for a failure's post-mortem


@pytest.fixture(scope="session")
def kube(control_plane: localcp.ControlPlane) -> Kube:
    return Kube(control_plane.kubeconfig, localcp.build_binaries())


@pytest.fixture(scope="session")
def crds(kube: Kube) -> Kube:
    """The project's CRDs, applied with the real kubectl and Established."""
    install_crds(kube, ROOT / "crds")
    return kube


@pytest.fixture
def namespace(kube: Kube, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace per test, with its default ServiceAccount ready (pods need it)."""
    base = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:40].strip("-")
    name = f"{base}-{uuid.uuid4().hex[:6]}"
    kube.kubectl("create", "namespace", name)
    wait_for(
        lambda: kube.kubectl("get", "serviceaccount", "default", "-n", name, check=False).returncode == 0,
        what="default service account",
    )
    yield name
    kube.kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture
def unique() -> str:
    """A short unique suffix for cluster-scoped object names."""
    return uuid.uuid4().hex[:6]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in item.nodeid.split("::")[0]:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def operator(crds: Kube, control_plane: localcp.ControlPlane) -> Iterator[OperatorProcess]:
    """One operator for the whole session (tests use their own namespaces and cluster names).

    It serves the validating admission webhook (self-signed, on 127.0.0.1), so tests see what a
    user sees: a bad query or schedule expression refused at `kubectl apply`. Tests of the status
    backstop opt their namespace out (`tests.support.cluster.opt_out_of_webhook`).
    """
    proc = OperatorProcess(
        control_plane.kubeconfig,
        control_plane.state_dir / "operator.log",
        extra_args=[f"--webhook-port={localcp.free_port()}", "--webhook-configuration=ecs-operator.dev"],
    ).start()
    try:
        wait_for(
            lambda: (
                crds.kubectl(
                    "get", "validatingwebhookconfiguration", "ecs-operator.dev", check=False
                ).returncode
                == 0
            ),
            timeout=60,
            what="the operator's admission webhook registered",
        )
        yield proc
    finally:
        proc.stop()
        print(f"\n--- operator log tail ---\n{proc.log_tail()}")
