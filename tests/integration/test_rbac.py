"""The chart's RBAC is enough, and only just: the operator runs under the chart's ServiceAccount.

The chart is installed with the real helm; a token of its ServiceAccount is minted with
`kubectl create token`; the operator runs on this machine with a kubeconfig holding only that
token. With the chart's ClusterRole it does the whole job (container instances, a task definition
revision, a task RUNNING with its pod, StopTask, a service, a schedule, deletion through Kopf's
finalizers) and its log holds no 403; with `create` on pods taken out of the role, a task is
placed but never gets a pod, and the log says why (403 Forbidden).

Why a control plane of its own: the session's operator (admin credentials, watching every
cluster-scoped object) would do the work for any object created here and hide a missing verb. This
module starts its own local control plane, where the only operator is the one under test.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import localcp  # on sys.path through tests/conftest.py
import pytest
import yaml

from tests.integration.test_helm import CHART, Helm
from tests.support.cluster import Kube, install_crds, wait_for
from tests.support.ecs import manifest, task_status
from tests.support.operator import OperatorProcess

ROOT = Path(__file__).resolve().parents[2]
EC2 = {"node.ecs-operator.dev/capacity": "ec2"}
FARGATE = {"node.ecs-operator.dev/capacity": "fargate"}


@pytest.fixture(scope="module")
def own_plane() -> Iterator[localcp.ControlPlane]:
    state = Path(tempfile.mkdtemp(prefix="ecs-operator-rbac-"))
    cp = localcp.ControlPlane(state)
    try:
        cp.up()
        yield cp
    finally:
        cp.down()
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="module")
def admin(own_plane: localcp.ControlPlane) -> Kube:
    """kubectl as admin on the module's control plane, with the repository's CRDs Established."""
    kube = Kube(own_plane.kubeconfig, localcp.build_binaries())
    install_crds(kube, ROOT / "crds")
    return kube


@dataclass(frozen=True)
class Release:
    name: str
    namespace: str
    service_account: str
    cluster_role: str


@pytest.fixture
def release(admin: Kube, tmp_path: Path) -> Iterator[Release]:
    """The chart installed (CRDs skipped: already applied) in a namespace of its own."""
    unique = uuid.uuid4().hex[:6]
    name, namespace = f"rbac-{unique}", f"rbac-{unique}"
    admin.kubectl("create", "namespace", namespace)
    helm = Helm(admin.bin_dir, admin.kubeconfig, tmp_path / "helm")
    # The operator pod itself stays Pending (no node matches): this test runs the operator here.
    helm.run(
        "install",
        name,
        str(CHART),
        f"--namespace={namespace}",
        "--skip-crds",
        "--set",
        "nodeSelector.ecs-operator\\.dev/rbac-test=never",
    )
    full = f"{name}-ecs-operator"
    yield Release(name, namespace, full, full)
    helm.run("uninstall", name, f"--namespace={namespace}", check=False)
    admin.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


def token_kubeconfig(admin: Kube, release: Release, path: Path) -> Path:
    """A kubeconfig that authenticates only with a fresh token of the release's ServiceAccount."""
    token = admin.kubectl(
        "create", "token", release.service_account, f"--namespace={release.namespace}", "--duration=1h"
    ).stdout.strip()
    source = yaml.safe_load(admin.kubeconfig.read_text())
    cluster = source["clusters"][0]["cluster"]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "operator",
        "clusters": [{"name": "local", "cluster": cluster}],
        "users": [{"name": "operator", "user": {"token": token}}],
        "contexts": [
            {
                "name": "operator",
                "context": {"cluster": "local", "user": "operator", "namespace": release.namespace},
            }
        ],
    }
    path.write_text(json.dumps(config))
    return path


TASK_DEFINITION = {
    "containerDefinitions": [{"name": "app", "image": "nginx:1.27", "cpu": 128, "memory": 128}]
}


@pytest.fixture
def operator_as(admin: Kube, tmp_path: Path) -> Iterator[list[OperatorProcess]]:
    started: list[OperatorProcess] = []
    yield started
    for proc in started:
        proc.stop()
        print(f"\n--- operator (chart RBAC) log tail ---\n{proc.log_tail(40)}")


def can(as_sa: Kube, verb: str, resource: str, *extra: str) -> bool:
    res = as_sa.kubectl("auth", "can-i", verb, resource, *extra, check=False)
    return res.stdout.strip() == "yes"


def authorized(admin: Kube, kubeconfig: Path, *expect: tuple[bool, str, str]) -> None:
    """Wait until the API server's authorizer sees the release's role as expected: it reads RBAC
    objects from a watch cache, so a binding just created (or a role just replaced) takes a moment
    to apply, and an operator started before that would log a 403 that no missing verb caused."""
    as_sa = Kube(kubeconfig, admin.bin_dir)
    wait_for(
        lambda: all(can(as_sa, verb, res) == allowed for allowed, verb, res in expect), what="RBAC in effect"
    )


def start_operator(kubeconfig: Path, log: Path, started: list[OperatorProcess]) -> OperatorProcess:
    # No metrics server: the session's operator may hold the default port on this machine.
    proc = OperatorProcess(kubeconfig, log, extra_args=["--metrics-port=0"]).start()
    started.append(proc)
    return proc


def instances_registered(admin: Kube, cluster: str) -> int:
    items = admin.get_json("ecsci", "-l", f"ecs-operator.dev/cluster={cluster}")["items"]
    return len([i for i in items if (i.get("status") or {}).get("registeredResources")])


def test_the_token_has_exactly_the_chart_role(admin: Kube, release: Release, tmp_path: Path) -> None:
    kubeconfig = token_kubeconfig(admin, release, tmp_path / "kubeconfig")
    authorized(admin, kubeconfig, (True, "list", "nodes"))
    as_sa = Kube(kubeconfig, admin.bin_dir)

    assert (
        can(as_sa, "create", "pods")
        and can(as_sa, "delete", "pods")
        and can(as_sa, "patch", "ecscontainerinstances", "--subresource=status")
    )
    assert (
        can(as_sa, "create", "configmaps") and can(as_sa, "list", "nodes") and can(as_sa, "create", "events")
    )
    # A revision's ConfigMap is never updated; it is deleted when DeleteTaskDefinitions' purge ends it.
    assert can(as_sa, "delete", "configmaps") and not can(as_sa, "update", "configmaps")
    # The Leases, in the release namespace only (the Role); namespace labels, read-only.
    assert can(as_sa, "update", "leases") and can(as_sa, "create", "leases") and can(as_sa, "list", "leases")
    assert not can(as_sa, "update", "leases", "--namespace=default")
    assert can(as_sa, "watch", "namespaces") and not can(as_sa, "patch", "namespaces")
    # EndpointSlices (target health), read-only.
    assert can(as_sa, "list", "endpointslices.discovery.k8s.io")
    assert not can(as_sa, "create", "endpointslices.discovery.k8s.io")
    # Nothing beyond what the code uses: no secrets, no updates, no writes to nodes, no CRD changes.
    assert not can(as_sa, "get", "secrets")
    assert not can(as_sa, "update", "ecstasks")
    assert not can(as_sa, "patch", "ecscontainerinstances")  # spec belongs to people (PutAttributes)
    assert not can(as_sa, "patch", "nodes")
    assert not can(as_sa, "create", "customresourcedefinitions")


def test_operator_does_the_job_with_the_chart_role_and_no_403(
    admin: Kube, release: Release, tmp_path: Path, operator_as: list[OperatorProcess]
) -> None:
    log = tmp_path / "operator.log"
    kubeconfig = token_kubeconfig(admin, release, tmp_path / "kubeconfig")
    authorized(admin, kubeconfig, (True, "list", "nodes"), (True, "create", "pods"))
    start_operator(kubeconfig, log, operator_as)
    ns, cluster = release.namespace, f"ok-{release.name}"

    # EcsCluster → one EcsContainerInstance per EC2 node, with status (create, status patch) and the
    # cluster's counts (ecsclusters/status through Kopf).
    fargate = {"nodeSelector": {"matchLabels": FARGATE}}
    admin.apply(manifest("EcsCluster", cluster, {"nodeSelector": {"matchLabels": EC2}, "fargate": fargate}))
    wait_for(lambda: instances_registered(admin, cluster) >= 6, what="the container instances")
    wait_for(
        lambda: (
            (
                (admin.get_json("ecscluster", cluster).get("status") or {}).get(
                    "registeredContainerInstancesCount"
                )
                or 0
            )
            >= 6
        ),
        what="cluster counts",
    )
    # EcsTaskDefinition → revision 1 (ConfigMap create, status patch).
    admin.apply(manifest("EcsTaskDefinition", "app", TASK_DEFINITION, ns))
    wait_for(
        lambda: (admin.get_json("ecstd", "app", "-n", ns).get("status") or {}).get("revision") == 1,
        what="revision 1",
    )
    admin.kubectl("get", "configmap", "ecstd.app.1", "-n", ns)
    # EcsTask → placed, claim committed, pod created, RUNNING.
    admin.apply(manifest("EcsTask", "app-1", {"cluster": cluster, "taskDefinition": "app"}, ns))
    status = wait_for(
        lambda: (s := task_status(admin, ns, "app-1")).get("lastStatus") == "RUNNING" and s,
        timeout=90,
        what="task RUNNING",
    )
    pod = admin.get_json("pod", status["podName"], "-n", ns)
    assert pod["spec"]["nodeName"] == status["containerInstance"].split(".", 1)[1]
    # It placed that task holding the cluster's Lease, kept in the release namespace (its kubeconfig
    # context's namespace) beside its member lease.
    leases = {i["metadata"]["name"] for i in admin.get_json("leases", "-n", ns)["items"]}
    assert f"ecs-operator-cluster-{cluster}" in leases
    assert any(name.startswith("ecs-operator-member-") for name in leases)
    # Kubernetes Events are posted (events: create). Only Warning events reach the API (the
    # operator sets Kopf's posting level to WARNING), so provoke one: a revision that does not exist.
    admin.apply(manifest("EcsTask", "missing", {"cluster": cluster, "taskDefinition": "app:9"}, ns))
    wait_for(
        lambda: any(
            e.get("reason") == "TaskFailedToStart" for e in admin.get_json("events", "-n", ns)["items"]
        ),
        what="a TaskFailedToStart event",
    )
    # A FARGATE task: the cluster's Fargate settings (get), its own NetworkPolicy, then its pod.
    sized = {"cpu": "256", "memory": "512", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"]}
    admin.apply(manifest("EcsTaskDefinition", "fg", {**sized, **TASK_DEFINITION}, ns))
    wait_for(
        lambda: (admin.get_json("ecstd", "fg", "-n", ns).get("status") or {}).get("revision"), what="fg:1"
    )
    admin.apply(
        manifest("EcsTask", "fg-1", {"cluster": cluster, "taskDefinition": "fg", "launchType": "FARGATE"}, ns)
    )
    fg = wait_for(
        lambda: (s := task_status(admin, ns, "fg-1")).get("lastStatus") == "RUNNING" and s,
        timeout=90,
        what="the Fargate task RUNNING",
    )
    admin.kubectl("get", "networkpolicy", fg["podName"], "-n", ns)
    # EcsService with a load balancer → the service scheduler creates its task, writes the service's
    # status, creates the Service and registers the task's pod as a target (pod label patch);
    # deleting it goes through Kopf's finalizer while the service drains.
    balancer = [{"containerName": "app", "containerPort": 80, "deregistrationDelaySeconds": 2}]
    service = {"cluster": cluster, "taskDefinition": "app", "desiredCount": 1, "loadBalancers": balancer}
    admin.apply(manifest("EcsService", "svc", service, ns))
    wait_for(
        lambda: (admin.get_json("ecsservice", "svc", "-n", ns).get("status") or {}).get("runningCount") == 1,
        timeout=90,
        what="the service's task RUNNING",
    )
    assert admin.get_json("service", "svc", "-n", ns)["spec"]["ports"][0]["port"] == 80
    targets = "ecs-operator.dev/service=svc,ecs-operator.dev/target=registered"
    wait_for(lambda: admin.get_json("pods", "-n", ns, "-l", targets)["items"], what="the pod registered")
    admin.kubectl("delete", "ecsservice", "svc", "-n", ns, "--timeout=90s")
    # ScheduledTask → its daemon writes the next schedule time (status patch; Kopf's finalizer).
    schedule = {"cluster": cluster, "scheduleExpression": "rate(1 hour)", "target": {"taskDefinition": "app"}}
    admin.apply(manifest("ScheduledTask", "hourly", schedule, ns))
    wait_for(
        lambda: (admin.get_json("scheduledtask", "hourly", "-n", ns).get("status") or {}).get(
            "nextScheduleTime"
        ),
        what="the schedule's next time",
    )
    admin.kubectl("delete", "scheduledtask", "hourly", "-n", ns, "--timeout=60s")
    # StopTask → the pod is deleted, the task STOPPED.
    admin.kubectl(
        "patch", "ecstask", "app-1", "-n", ns, "--type=merge", "-p", '{"spec":{"desiredStatus":"STOPPED"}}'
    )
    wait_for(
        lambda: task_status(admin, ns, "app-1").get("lastStatus") == "STOPPED", timeout=90, what="STOPPED"
    )
    wait_for(
        lambda: admin.kubectl("get", "pod", status["podName"], "-n", ns, check=False).returncode != 0,
        what="the pod deleted",
    )
    # Deletion goes through Kopf's finalizers (patch) on tasks and clusters.
    admin.kubectl("delete", "ecstask", "app-1", "fg-1", "missing", "-n", ns, "--timeout=60s")
    admin.kubectl("delete", "ecscluster", cluster, "--timeout=60s")

    text = log.read_text(errors="replace")
    # Every refusal reads "Forbidden" (Kopf's APIForbiddenError, our "403 Forbidden: ..."); a bare
    # "403" would also match the milliseconds of a timestamp.
    denied = [line for line in text.splitlines() if "forbidden" in line.lower()]
    assert denied == []


def test_a_role_missing_create_on_pods_fails_visibly(
    admin: Kube, release: Release, tmp_path: Path, operator_as: list[OperatorProcess]
) -> None:
    role = admin.get_json("clusterrole", release.cluster_role)
    for rule in role["rules"]:
        if rule.get("resources") == ["pods"]:
            rule["verbs"] = [v for v in rule["verbs"] if v != "create"]
    admin.kubectl("replace", "-f", "-", input=json.dumps(role))

    log = tmp_path / "operator.log"
    kubeconfig = token_kubeconfig(admin, release, tmp_path / "kubeconfig")
    authorized(admin, kubeconfig, (True, "list", "nodes"), (False, "create", "pods"))
    start_operator(kubeconfig, log, operator_as)
    ns, cluster = release.namespace, f"no-{release.name}"
    admin.apply(manifest("EcsCluster", cluster, {"nodeSelector": {"matchLabels": EC2}}))
    wait_for(lambda: instances_registered(admin, cluster) == 6, what="six container instances")
    admin.apply(manifest("EcsTaskDefinition", "app", TASK_DEFINITION, ns))
    admin.apply(manifest("EcsTask", "app-1", {"cluster": cluster, "taskDefinition": "app"}, ns))

    # Placement works (the claim is committed: instances' status is writable) ...
    wait_for(lambda: task_status(admin, ns, "app-1").get("containerInstance"), what="placed")
    # ... but the pod cannot be created, and the log says so.
    text = wait_for(
        lambda: (t := log.read_text(errors="replace")) and "403 Forbidden" in t and t,
        what="a 403 in the operator log",
    )
    assert "pods is forbidden" in text
    assert f"system:serviceaccount:{ns}:{release.service_account}" in text
    assert "cannot create resource" in text
    status = task_status(admin, ns, "app-1")
    # the pod's name is decided with the placement (one status write), but no pod of it exists
    assert status.get("lastStatus") != "RUNNING"
    assert admin.get_json("pods", "-n", ns, "-l", "ecs-operator.dev/task-uid")["items"] == []
    admin.kubectl("delete", "ecstask", "app-1", "-n", ns, "--timeout=60s")
    admin.kubectl("delete", "ecscluster", cluster, "--timeout=60s")
