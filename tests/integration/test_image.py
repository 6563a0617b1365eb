"""The operator image: built from the Dockerfile, then run against a real API server.

The image is built with buildah on a Debian 12 base made by debootstrap (`hack/image/build.sh`,
what `make image` runs; cached, so a warm run takes no time). If it does not build, every test
here fails with the build's output. Then, without a container engine (buildah runs commands in
the image with chroot isolation and the host's network):

- its configuration: a numeric non-root user, the entrypoint `ecs-operator run`; its virtual
  environment holds exactly the package and the pinned runtime dependencies
  (`deploy/image/constraints.txt`), no installer, and every file of it is readable by that user;
- `ecs-operator --version` and `kubectl-ecs --help` work inside it;
- its entrypoint, run as the image's user with a kubeconfig holding only a token of the chart's
  ServiceAccount (a file only that user can read, as a Secret volume would be), registers the
  container instances and places a task that reaches RUNNING, read back through the API; its log
  has no traceback and no 403;
- `helm template` with the image's reference puts it in the operator's Deployment.

Why a control plane of its own: the session's operator would register the instances and place the
task itself, and the test would prove nothing about the image (as in test_rbac.py).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import tomllib
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import localcp  # on sys.path through tests/conftest.py
import pytest
import yaml

from tests.integration.test_helm import CHART, Helm
from tests.integration.test_rbac import (
    TASK_DEFINITION,
    Release,
    authorized,
    instances_registered,
    token_kubeconfig,
)
from tests.support.cluster import Kube, install_crds, wait_for
from tests.support.ecs import manifest, task_status
from tests.support.readme import readme_block

ROOT = Path(__file__).resolve().parents[2]
BUILDAH = ["bash", str(ROOT / "hack" / "image" / "buildah.sh")]
EC2 = {"node.ecs-operator.dev/capacity": "ec2"}
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
# The first test builds the image when the cache is cold: debootstrap, apt-get upgrade and buildah
# take about five minutes on 2 shared cores, more than pytest's default timeout leaves.
pytestmark = pytest.mark.timeout(1500)


def buildah(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    res = subprocess.run([*BUILDAH, *args], capture_output=True, text=True, timeout=300)
    if check and res.returncode != 0:
        raise AssertionError(f"buildah {' '.join(args)} failed ({res.returncode}):\n{res.stderr}")
    return res


@pytest.fixture(scope="module")
def image() -> str:
    """The image's reference; building it (or finding it in the cache) must succeed."""
    res = subprocess.run(
        ["bash", str(ROOT / "hack" / "image" / "build.sh")], capture_output=True, text=True, timeout=900
    )
    assert res.returncode == 0, f"the image did not build ({res.returncode}):\n{res.stderr[-6000:]}"
    return res.stdout.strip().splitlines()[-1]


@dataclass(frozen=True)
class Container:
    """A buildah working container of the image: commands run in it as the image's user."""

    name: str

    def run(
        self, *cmd: str, volumes: tuple[str, ...] = (), check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return buildah("run", *self.options(volumes), self.name, "--", *cmd, check=check)

    @staticmethod
    def options(volumes: tuple[str, ...]) -> list[str]:
        return ["--isolation", "chroot", "--network", "host", *(f"--volume={v}" for v in volumes)]


@pytest.fixture(scope="module")
def container(image: str) -> Iterator[Container]:
    name = f"ecs-operator-test-{uuid.uuid4().hex[:8]}"
    buildah("from", "--pull=never", "--quiet", "--name", name, image)
    try:
        yield Container(name)
    finally:
        buildah("rm", name, check=False)


def image_config(image: str) -> dict[str, object]:
    config: dict[str, object] = json.loads(buildah("inspect", "--type", "image", image).stdout)["OCIv1"][
        "config"
    ]
    return config


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# ---- the image itself -----------------------------------------------------------------------------


def test_runs_as_a_numeric_non_root_user_with_the_operator_as_entrypoint(
    image: str, container: Container
) -> None:
    config = image_config(image)
    assert config["User"] == "65532:65532"
    assert config["Entrypoint"] == ["ecs-operator", "run"]
    assert container.run("id", "-u").stdout.strip() == "65532"  # buildah run takes the image's user
    # Everything the operator loads is readable by that user.
    assert container.run("find", "/opt/ecs-operator", "!", "-readable").stdout == ""


def test_holds_exactly_the_package_and_its_pinned_runtime_dependencies(container: Container) -> None:
    listing = container.run(
        "/opt/ecs-operator/bin/python",
        "-c",
        "import importlib.metadata as m\nfor d in m.distributions(): print(f'{d.name}=={d.version}')",
    ).stdout.split()
    installed = {canonical(n): v for n, v in (line.split("==") for line in listing)}
    pinned = {
        canonical(n): v
        for n, v in (
            line.split("==")
            for line in (ROOT / "deploy" / "image" / "constraints.txt").read_text().splitlines()
            if line and not line.startswith("#")
        )
    }
    assert installed == {**pinned, "ecs-operator": VERSION}  # no pip, no setuptools, no dev tools


def test_cli_commands_work_in_the_image(container: Container) -> None:
    assert container.run("ecs-operator", "--version").stdout == f"ecs-operator {VERSION}\n"
    usage = container.run("kubectl-ecs", "--help").stdout
    assert usage.startswith("usage: kubectl ecs")
    assert "run-task" in usage and "explain-placement" in usage


def test_the_readme_lists_the_images_debian_packages(container: Container) -> None:
    """By name: versions move with Debian's updates when the base is built again on another day."""
    words = readme_block("Debian packages")
    listed = set(words[0::2])  # "name version" pairs
    installed = set(container.run("dpkg-query", "-W", "-f", "${Package}\n").stdout.split())
    assert listed == installed, "regenerate the README's lists: python3 hack/image/facts.py <reference>"


def chart_container(image: str, home: Path, *values: str) -> dict[str, Any]:
    """The operator container of the Deployment that `helm template` renders for `image`."""
    repository, tag = image.rsplit(":", 1)
    helm = Helm(localcp.build_binaries(), Path("/nonexistent"), home)
    rendered = helm.run(
        "template",
        "ecs-operator",
        str(CHART),
        "--namespace=ecs-system",
        f"--set=image.repository={repository}",
        f"--set=image.tag={tag}",
        *(f"--set={v}" for v in values),
    ).stdout
    deployment = next(d for d in yaml.safe_load_all(rendered) if d and d["kind"] == "Deployment")
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == 65532  # the image's
    (operator,) = deployment["spec"]["template"]["spec"]["containers"]
    return cast(dict[str, Any], operator)


def test_helm_template_with_the_image_reference(image: str, tmp_path: Path) -> None:
    assert chart_container(image, tmp_path)["image"] == image


# ---- the image's entrypoint against a real API server -------------------------------------------


@pytest.fixture(scope="module")
def own_plane() -> Iterator[localcp.ControlPlane]:
    state = Path(tempfile.mkdtemp(prefix="ecs-operator-image-"))
    cp = localcp.ControlPlane(state)
    try:
        cp.up()
        yield cp
    finally:
        cp.down()
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="module")
def admin(own_plane: localcp.ControlPlane) -> Kube:
    kube = Kube(own_plane.kubeconfig, localcp.build_binaries())
    install_crds(kube, ROOT / "crds")
    return kube


@pytest.fixture
def release(admin: Kube, tmp_path: Path) -> Iterator[Release]:
    """The chart installed for its ServiceAccount and ClusterRole; its own pod stays Pending."""
    unique = uuid.uuid4().hex[:6]
    name = namespace = f"image-{unique}"
    admin.kubectl("create", "namespace", namespace)
    helm = Helm(admin.bin_dir, admin.kubeconfig, tmp_path / "helm")
    helm.run(
        "install",
        name,
        str(CHART),
        f"--namespace={namespace}",
        "--skip-crds",
        "--set",
        "nodeSelector.ecs-operator\\.dev/image-test=never",
    )
    full = f"{name}-ecs-operator"
    yield Release(name, namespace, full, full)
    helm.run("uninstall", name, f"--namespace={namespace}", check=False)
    admin.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


@pytest.fixture
def credentials(admin: Kube, release: Release, image: str) -> Iterator[Path]:
    """A directory holding a self-contained kubeconfig (the CA inline, a token of the release's
    ServiceAccount) that only the image's user can read, as a Secret volume with the chart's fsGroup
    would be in a pod."""
    uid = int(str(image_config(image)["User"]).split(":")[0])
    directory = Path(tempfile.mkdtemp(prefix="ecs-operator-image-credentials-"))
    path = token_kubeconfig(admin, release, directory / "kubeconfig")
    config = json.loads(path.read_text())
    cluster = config["clusters"][0]["cluster"]
    ca = Path(cluster.pop("certificate-authority")).read_bytes()
    cluster["certificate-authority-data"] = base64.b64encode(ca).decode()
    path.write_text(json.dumps(config))
    for p, mode in ((directory, 0o500), (path, 0o400)):
        os.chown(p, uid, uid)
        p.chmod(mode)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@dataclass
class Running:
    proc: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        """SIGTERM to the process group `buildah run` leads (the operator in the image is in it)."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


@pytest.fixture
def running(tmp_path: Path) -> Iterator[list[Running]]:
    started: list[Running] = []
    yield started
    for r in started:
        r.stop()
        print(f"\n--- operator (in the image) log tail ---\n{r.log.read_text(errors='replace')[-4000:]}")


def http_get(port: int, path: str) -> tuple[int, str] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as res:
            return res.status, res.read().decode()
    except OSError:
        return None


def test_the_entrypoint_with_the_charts_arguments_registers_instances_and_places_a_task(
    image: str,
    container: Container,
    admin: Kube,
    release: Release,
    credentials: Path,
    tmp_path: Path,
    running: list[Running],
) -> None:
    kubeconfig = credentials / "kubeconfig"
    authorized(admin, kubeconfig, (True, "list", "nodes"), (True, "create", "pods"))
    # What the chart's Deployment runs, with free ports (the host's network is shared) and no webhook
    # (its certificate comes from a Secret): the image's entrypoint, the chart's arguments and env.
    health, metrics = localcp.free_port(), localcp.free_port()
    chart = chart_container(
        image,
        tmp_path / "helm",
        f"operator.healthPort={health}",
        f"metrics.port={metrics}",
        "webhook.enabled=false",
    )
    env = {e["name"]: e.get("value", "") for e in chart["env"]}
    env.update(POD_ID=f"{release.name}-0", POD_NAMESPACE=release.namespace)  # the chart's fieldRefs
    command = [
        *cast(list[str], image_config(image)["Entrypoint"]),
        *chart["args"],
        "--kubeconfig=/credentials/kubeconfig",
    ]
    log = tmp_path / "operator.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                *BUILDAH,
                "run",
                *Container.options((f"{credentials}:/credentials:ro",)),
                *(f"--env={k}={v}" for k, v in env.items()),
                container.name,
                "--",
                *command,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    operator = Running(proc, log)
    running.append(operator)
    ns, cluster = release.namespace, f"img-{release.name}"

    admin.apply(manifest("EcsCluster", cluster, {"nodeSelector": {"matchLabels": EC2}}))
    wait_for(
        lambda: not operator.alive() or instances_registered(admin, cluster) >= 6,
        timeout=120,
        what="the container instances registered by the operator in the image",
    )
    assert operator.alive(), f"the operator in the image exited ({proc.returncode})"
    admin.apply(manifest("EcsTaskDefinition", "app", TASK_DEFINITION, ns))
    admin.apply(manifest("EcsTask", "app-1", {"cluster": cluster, "taskDefinition": "app"}, ns))
    status = wait_for(
        lambda: (s := task_status(admin, ns, "app-1")).get("lastStatus") == "RUNNING" and s,
        timeout=120,
        what="the task RUNNING",
    )
    node = status["containerInstance"].split(".", 1)[1]
    assert admin.get_json("pod", status["podName"], "-n", ns)["spec"]["nodeName"] == node
    uid = admin.get_json("ecstask", "app-1", "-n", ns)["metadata"]["uid"]
    claims = admin.get_json("ecsci", status["containerInstance"])["status"]["claims"]
    assert [c["taskUid"] for c in claims] == [uid]
    # The chart's probes and its metrics Service reach the endpoints the image serves.
    liveness = http_get(health, "/healthz")
    assert liveness is not None and liveness[0] == 200
    scraped = http_get(metrics, "/metrics")
    assert scraped is not None and scraped[0] == 200 and "ecs_operator_" in scraped[1]
    # The operator held the cluster's Lease under the identity the chart gives it (POD_ID).
    lease = admin.get_json("lease", f"ecs-operator-cluster-{cluster}", "-n", ns)
    assert lease["spec"]["holderIdentity"] == f"{release.name}-0"

    admin.kubectl("delete", "ecstask", "app-1", "-n", ns, "--timeout=60s")
    admin.kubectl("delete", "ecscluster", cluster, "--timeout=60s")
    assert operator.alive(), f"the operator in the image exited ({proc.returncode})"
    text = log.read_text(errors="replace")
    assert "Traceback" not in text
    assert [line for line in text.splitlines() if "forbidden" in line.lower()] == []
