"""The Helm chart (deploy/helm/ecs-operator) with the real helm and kubectl from the build.

- its CRDs are byte-for-byte the repository's generated ones;
- every value is described in values.schema.json, and the schema refuses bad values;
- `helm lint --strict` passes with the defaults and with every ci/ scenario;
- every manifest `helm template` renders passes a server-side dry run (strict field validation)
  against the local control plane, and the pod passes the restricted Pod Security Standard;
- `helm install` creates the release's objects (the pod never really runs: KWOK plays the
  kubelet and there is no image; here it stays Pending on purpose, see `UNSCHEDULABLE`).

The RBAC proof (the operator running under the chart's ClusterRole) is in test_rbac.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.cluster import Kube, wait_for

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "ecs-operator"
SCENARIOS = sorted((CHART / "ci").glob("*.yaml"))
KOPF_PEERING_CRD = CHART / "crds" / "clusterkopfpeerings.kopf.dev.yaml"
# The operator pod must not land on a KWOK node: as a pod the operator does not manage, it would
# reduce that node's registered resources under other tests. No node carries this label.
UNSCHEDULABLE = "nodeSelector.ecs-operator\\.dev/helm-test=never"

# A stand-in CRD for prometheus-operator's ServiceMonitor, so that the ServiceMonitor scenario can be
# dry-run: it proves the kind and group, not the ServiceMonitor schema (which is not vendored here).
SERVICE_MONITOR_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "servicemonitors.monitoring.coreos.com"},
    "spec": {
        "group": "monitoring.coreos.com",
        "scope": "Namespaced",
        "names": {"kind": "ServiceMonitor", "plural": "servicemonitors", "singular": "servicemonitor"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                        },
                    }
                },
            }
        ],
    },
}


@dataclass(frozen=True)
class Helm:
    """The real helm against one control plane, with its own cache and config directories."""

    bin_dir: Path
    kubeconfig: Path
    home: Path

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "HELM_CACHE_HOME": str(self.home / "cache"),
            "HELM_CONFIG_HOME": str(self.home / "config"),
            "HELM_DATA_HOME": str(self.home / "data"),
        }
        cmd = [str(self.bin_dir / "helm"), f"--kubeconfig={self.kubeconfig}", *args]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=env)
        if check and res.returncode != 0:
            raise AssertionError(f"helm {' '.join(args)} failed ({res.returncode}):\n{res.stderr}")
        return res

    def template(self, release: str, namespace: str, *args: str) -> list[dict[str, Any]]:
        out = self.run("template", release, str(CHART), f"--namespace={namespace}", *args).stdout
        return [doc for doc in yaml.safe_load_all(out) if doc]


def helm_for(kube: Kube, home: Path) -> Helm:
    return Helm(kube.bin_dir, kube.kubeconfig, home)


@pytest.fixture(scope="module")
def helm(crds: Kube, tmp_path_factory: pytest.TempPathFactory) -> Helm:
    """helm on the session's control plane; the repository's CRDs are applied (session fixture)."""
    # Kopf's peering CRD and the ServiceMonitor stand-in, for the scenarios that render those kinds.
    crds.kubectl("apply", "--server-side", "-f", str(KOPF_PEERING_CRD))
    crds.kubectl("apply", "--server-side", "-f", "-", input=json.dumps(SERVICE_MONITOR_CRD))
    for crd in ("clusterkopfpeerings.kopf.dev", "servicemonitors.monitoring.coreos.com"):
        crds.kubectl("wait", "--for=condition=Established", "--timeout=60s", f"crd/{crd}")
    return helm_for(crds, tmp_path_factory.mktemp("helm"))


def scenario_id(path: Path) -> str:
    return path.stem


# ---- files ---------------------------------------------------------------------------------------


def test_chart_crds_are_the_repository_crds_byte_for_byte() -> None:
    repo = {p.name: p.read_bytes() for p in sorted((ROOT / "crds").glob("*.yaml"))}
    chart = {p.name: p.read_bytes() for p in sorted((CHART / "crds").glob("*.yaml"))}
    assert repo, "the repository has no generated CRDs"
    drifted = sorted(name for name in repo if chart.get(name) != repo[name])
    assert not drifted, (
        f"the chart's CRDs differ from the repository's: {drifted}. "
        "Sync them: cp crds/*.yaml deploy/helm/ecs-operator/crds/"
    )
    assert set(chart) - set(repo) == {KOPF_PEERING_CRD.name}


def _described(schema: dict[str, Any], path: str) -> list[str]:
    missing = [] if schema.get("description") else [path or "<root>"]
    for key, sub in (schema.get("properties") or {}).items():
        missing += _described(sub, f"{path}.{key}" if path else key)
    return missing


OPAQUE = {
    "updateStrategy",
    "resources",
    "livenessProbe",
    "readinessProbe",
    "podSecurityContext",
    "securityContext",
    "nodeSelector",
    "affinity",
    "podAnnotations",
    "podLabels",
}
"""Values that are Kubernetes objects passed through: described as a whole, their keys are Kubernetes'."""


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _value_paths(values: Any, path: str = "") -> tuple[list[str], list[str]]:
    """(every path, the paths of values proper: leaves and opaque objects)."""
    if path and (path in OPAQUE or not isinstance(values, dict) or not values):
        return [path], [path]
    groups, leaves = ([path] if path else []), []
    for key, sub in values.items():
        more_groups, more_leaves = _value_paths(sub, _join(path, key))
        groups += more_groups
        leaves += more_leaves
    return groups, leaves


def _schema_at(schema: dict[str, Any], path: str) -> dict[str, Any] | None:
    node: dict[str, Any] | None = schema
    for key in path.split("."):
        node = ((node or {}).get("properties") or {}).get(key)
    return node


def _commented_paths(text: str) -> set[str]:
    """The dotted paths of values.yaml whose key line directly follows a comment line."""
    stack: list[tuple[int, str]] = []
    out: set[str] = set()
    previous = ""
    for line in text.splitlines():
        match = re.match(r"^( *)([A-Za-z][\w.-]*):", line)
        if match:
            indent = len(match.group(1))
            while stack and stack[-1][0] >= indent:
                stack.pop()
            stack.append((indent, match.group(2)))
            if previous.startswith("#"):
                out.add(".".join(k for _, k in stack))
        if line.strip():
            previous = line.strip()
    return out


def test_every_value_is_described_in_the_schema_and_commented() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    text = (CHART / "values.yaml").read_text()
    groups, leaves = _value_paths(yaml.safe_load(text))
    assert _described(schema, "")[1:] == [], "schema properties without a description"
    assert [p for p in groups if not (_schema_at(schema, p) or {}).get("description")] == []
    assert sorted(set(leaves) - _commented_paths(text)) == [], "values.yaml values without a comment"


# ---- helm lint and schema -------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", [None, *SCENARIOS], ids=lambda p: "defaults" if p is None else p.stem)
def test_helm_lint_strict(helm: Helm, scenario: Path | None) -> None:
    args = ["lint", "--strict", str(CHART)]
    if scenario is not None:
        args += ["-f", str(scenario)]
    res = helm.run(*args)
    assert "0 chart(s) failed" in res.stdout


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (["--set", "replicas=-1"], "/replicas"),
        (["--set", "unknownKey=1"], "additional properties 'unknownKey' not allowed"),
        (["--set", "image.pullPolicy=Sometimes"], "/image/pullPolicy"),
        (["--set", "metrics.serviceMonitor.interval=soon"], "/metrics/serviceMonitor/interval"),
        (["--set", "replicas=2", "--set", "peering.enabled=true"], "peering.enabled requires replicas: 1"),
        (["--set", "webhook.timeoutSeconds=60"], "/webhook/timeoutSeconds"),
        (["--set", "webhook.certificate.secretName=mine"], "webhook.certificate.caBundle is required"),
        (
            ["--set", "metrics.enabled=false", "--set", "metrics.serviceMonitor.enabled=true"],
            "metrics.serviceMonitor.enabled requires metrics.enabled",
        ),
    ],
    ids=[
        "negative-replicas",
        "unknown-key",
        "pull-policy",
        "interval",
        "peering-replicas",
        "webhook-timeout",
        "webhook-ca-bundle",
        "monitor-metrics",
    ],
)
def test_bad_values_are_refused_with_the_reason(helm: Helm, setting: list[str], message: str) -> None:
    res = helm.run("template", "bad", str(CHART), *setting, check=False)
    assert res.returncode != 0
    assert message in res.stderr


# ---- rendering against the API server -------------------------------------------------------------


def kinds(docs: list[dict[str, Any]]) -> list[str]:
    return sorted(d["kind"] for d in docs)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_id)
def test_every_rendered_manifest_passes_a_server_side_dry_run(
    helm: Helm, kube: Kube, namespace: str, scenario: Path
) -> None:
    docs = helm.template(f"dry-{scenario.stem}"[:40], namespace, "-f", str(scenario))
    expected = ["ClusterRole", "ClusterRoleBinding", "Deployment", "Role", "RoleBinding", "Service"]
    expected.append("ServiceAccount")
    expected += ["Secret", "Service", "ValidatingWebhookConfiguration"]  # the admission webhook
    if "peering" in scenario.stem:
        expected.append("ClusterKopfPeering")
    else:
        expected.append("NetworkPolicy")
    if "servicemonitor" in scenario.stem:
        expected.append("ServiceMonitor")
    if "ecsapi" in scenario.stem:  # the ECS API server: its own account, RBAC, Deployment and Service
        expected += ["ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"]
        expected += ["Deployment", "Service"]
    assert kinds(docs) == sorted(expected)
    manifest = "\n---\n".join(yaml.safe_dump(d) for d in docs)
    # --validate=strict: the API server refuses unknown or duplicated fields instead of dropping them.
    res = kube.kubectl(
        "apply",
        "--dry-run=server",
        "--validate=strict",
        f"--namespace={namespace}",
        "-f",
        "-",
        input=manifest,
    )
    assert res.stdout.count("(server dry run)") == len(docs), res.stdout


def deployment_of(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """The operator's Deployment (the ECS API server's, when enabled, is another component)."""
    return next(
        d
        for d in docs
        if d["kind"] == "Deployment"
        and d["metadata"]["labels"].get("app.kubernetes.io/component") != "ecs-api"
    )


@pytest.mark.parametrize("scenario", SCENARIOS, ids=scenario_id)
def test_operator_pod_passes_the_restricted_pod_security_standard(
    helm: Helm, kube: Kube, namespace: str, scenario: Path
) -> None:
    kube.kubectl("label", "namespace", namespace, "pod-security.kubernetes.io/enforce=restricted")
    template = deployment_of(helm.template("pss", namespace, "-f", str(scenario)))["spec"]["template"]
    spec = dict(template["spec"])
    # Admission checks beside Pod Security that a dry run cannot satisfy without the release: the
    # ServiceAccount must exist, and so must the PriorityClass.
    spec["serviceAccountName"] = "default"
    spec.pop("priorityClassName", None)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pss-check"}, "spec": spec}
    res = kube.kubectl(
        "create",
        "--dry-run=server",
        f"--namespace={namespace}",
        "-f",
        "-",
        input=json.dumps(pod),
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert "Warning" not in res.stderr, res.stderr


def test_the_deployment_runs_the_operator_as_the_design_says(helm: Helm) -> None:
    deployment = deployment_of(helm.template("shape", "ecs-system"))
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert deployment["spec"]["replicas"] == 2
    assert container["args"][:3] == [
        "--liveness=http://0.0.0.0:8080/healthz",
        "--metrics-port=9090",
        "--leases=on",
    ]
    env = {e["name"]: e.get("valueFrom") for e in container["env"]}
    assert env["POD_NAMESPACE"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {
        "health": 8080,
        "metrics": 9090,
        "webhook": 9443,
    }
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["resources"]["requests"] and container["resources"]["limits"]
    assert container["image"] == "ecs-operator:0.1.0"


def test_metrics_disabled_turns_the_endpoint_off(helm: Helm) -> None:
    docs = helm.template("quiet", "ecs-system", "--set", "metrics.enabled=false")
    (container,) = deployment_of(docs)["spec"]["template"]["spec"]["containers"]
    assert "--metrics-port=0" in container["args"]
    assert [p["name"] for p in container["ports"]] == ["health", "webhook"]
    assert [d["metadata"]["name"] for d in docs if d["kind"] == "Service"] == ["quiet-ecs-operator-webhook"]


def test_the_webhook_is_installed_by_the_chart_and_never_blocks_the_api(helm: Helm) -> None:
    docs = helm.template("hook", "ecs-system")
    (config,) = [d for d in docs if d["kind"] == "ValidatingWebhookConfiguration"]
    (webhook,) = config["webhooks"]
    assert webhook["failurePolicy"] == "Ignore"
    assert webhook["timeoutSeconds"] == 5
    assert webhook["clientConfig"]["service"] == {
        "name": "hook-ecs-operator-webhook",
        "namespace": "ecs-system",
        "path": "/validate-spec",
        "port": 443,
    }
    (secret,) = [d for d in docs if d["kind"] == "Secret"]
    assert webhook["clientConfig"]["caBundle"] == secret["data"]["ca.crt"]
    assert sorted(webhook["rules"][0]["resources"]) == [
        "ecsservices",
        "ecstaskdefinitions",
        "ecstasks",
        "scheduledtasks",
    ]
    (container,) = deployment_of(docs)["spec"]["template"]["spec"]["containers"]
    # The chart owns the configuration: the operator writes none (and needs no RBAC for it).
    assert "--webhook-configuration=" in container["args"]
    assert "--webhook-port=9443" in container["args"]
    off = helm.template("nohook", "ecs-system", "--set", "webhook.enabled=false")
    assert not {"Secret", "ValidatingWebhookConfiguration"} & set(kinds(off))
    (plain,) = deployment_of(off)["spec"]["template"]["spec"]["containers"]
    assert not [a for a in plain["args"] if a.startswith("--webhook")]


def test_the_network_policy_admits_health_metrics_and_webhook_and_reaches_the_api_server_and_dns(
    helm: Helm,
) -> None:
    docs = helm.template("np", "ecs-system")
    policy = next(d for d in docs if d["kind"] == "NetworkPolicy")["spec"]
    assert policy["podSelector"]["matchLabels"] == deployment_of(docs)["spec"]["selector"]["matchLabels"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert [rule["ports"] for rule in policy["ingress"]] == [
        [{"port": 8080, "protocol": "TCP"}],
        [{"port": 9090, "protocol": "TCP"}],
        [{"port": 9443, "protocol": "TCP"}],  # the API server calls the admission webhook
    ]
    nohook = helm.template("np", "ecs-system", "--set", "webhook.enabled=false")
    ingress = next(d for d in nohook if d["kind"] == "NetworkPolicy")["spec"]["ingress"]
    assert [{"port": 9443, "protocol": "TCP"}] not in [rule["ports"] for rule in ingress]
    assert all("from" not in rule for rule in policy["ingress"])  # metricsFrom empty: any source
    assert [rule["ports"] for rule in policy["egress"]] == [
        [{"port": 443, "protocol": "TCP"}, {"port": 6443, "protocol": "TCP"}],
        [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
    ]
    role = next(d for d in docs if d["kind"] == "Role")
    assert role["metadata"]["namespace"] == "ecs-system"
    assert role["rules"] == [
        {
            "apiGroups": ["coordination.k8s.io"],
            "resources": ["leases"],
            "verbs": ["list", "create", "update", "delete"],
        }
    ]


def test_leases_and_the_network_policy_can_be_turned_off(helm: Helm) -> None:
    docs = helm.template(
        "off", "ecs-system", "--set", "networkPolicy.enabled=false", "--set", "leases.enabled=false"
    )
    (container,) = deployment_of(docs)["spec"]["template"]["spec"]["containers"]
    assert "--leases=off" in container["args"]
    assert "NetworkPolicy" not in kinds(docs)


# ---- helm install ----------------------------------------------------------------------------------


@pytest.fixture
def release(helm: Helm, namespace: str, unique: str) -> Iterator[str]:
    name = f"helm-{unique}"
    yield name
    helm.run("uninstall", name, f"--namespace={namespace}", "--wait", check=False)


def test_helm_install_creates_the_release_objects(
    helm: Helm, kube: Kube, namespace: str, release: str
) -> None:
    # A namespace that enforces the restricted Pod Security Standard: the ReplicaSet can only create
    # the pod if it complies.
    kube.kubectl("label", "namespace", namespace, "pod-security.kubernetes.io/enforce=restricted")
    helm.run(
        "install", release, str(CHART), f"--namespace={namespace}", "--skip-crds", "--set", UNSCHEDULABLE
    )
    full = f"{release}-ecs-operator"
    status = json.loads(helm.run("status", release, f"--namespace={namespace}", "-o", "json").stdout)
    assert status["info"]["status"] == "deployed"
    assert "kubectl ecs run-task" in status["info"]["notes"]
    for kind, name in (
        ("deployment", full),
        ("serviceaccount", full),
        ("service", f"{full}-metrics"),
    ):
        kube.kubectl("get", kind, name, f"--namespace={namespace}")
    for kind in ("role", "rolebinding", "networkpolicy"):
        kube.kubectl("get", kind, full, f"--namespace={namespace}")
    for kind in ("clusterrole", "clusterrolebinding", "validatingwebhookconfiguration"):
        kube.kubectl("get", kind, full)
    binding = kube.get_json("clusterrolebinding", full)
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": full, "namespace": namespace}]
    service = kube.get_json("service", f"{full}-metrics", f"--namespace={namespace}")
    assert service["spec"]["ports"][0] == {
        "name": "metrics",
        "port": 9090,
        "protocol": "TCP",
        "targetPort": "metrics",
    }
    # The Deployment's pod is created (so it passed the restricted Pod Security admission) and
    # stays Pending: no node matches UNSCHEDULABLE, and there is no image to run anyway.
    pods = wait_for(
        lambda: kube.get_json(
            "pods", f"--namespace={namespace}", "-l", f"app.kubernetes.io/instance={release}"
        )["items"],
        what="the operator pod",
    )
    assert pods[0]["spec"]["serviceAccountName"] == full
    helm.run("uninstall", release, f"--namespace={namespace}", "--wait")
    assert kube.kubectl("get", "clusterrole", full, check=False).returncode != 0
    assert kube.kubectl("get", "validatingwebhookconfiguration", full, check=False).returncode != 0


def test_the_ecs_api_server_may_only_impersonate_the_mapped_identities(helm: Helm, kube: Kube) -> None:
    docs = helm.template("ecsapi", "ecs-system", "-f", str(CHART / "ci" / "ecsapi-values.yaml"))
    api = [d for d in docs if d["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "ecs-api"]
    role = next(d for d in api if d["kind"] == "ClusterRole")
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"], "resourceNames": ["ci-bot"]},
        {
            "apiGroups": [""],
            "resources": ["serviceaccounts"],
            "verbs": ["impersonate"],
            "resourceNames": ["deployer"],
        },
    ]
    secrets = next(d for d in api if d["kind"] == "Role")
    assert secrets["rules"] == [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]
    deployment = next(d for d in api if d["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["ecs-operator", "api"]
    assert "--keys-namespace=ecs-system" in container["args"]
    service = next(d for d in api if d["kind"] == "Service")
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "ecs-api"
    # no selector of the operator's picks up the API server's pods
    operator_services = [d for d in docs if d["kind"] == "Service" and d not in api]
    assert all(
        s["spec"]["selector"].get("app.kubernetes.io/component") != "ecs-api" for s in operator_services
    )
