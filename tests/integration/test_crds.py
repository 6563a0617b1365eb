"""The generated CRDs on a real API server: applied with kubectl, explained, and enforcing the
schema and CEL rules at admission with the field path in the error."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.support.cluster import Kube

DATA = Path(__file__).resolve().parents[1] / "data"
INVALID = sorted(DATA.glob("invalid/*/*.yaml"))
VALID = sorted(DATA.glob("valid/*.yaml"))


def expectations(path: Path) -> list[str]:
    return [
        line.split(":", 1)[1].strip()
        for line in path.read_text().splitlines()
        if line.startswith("# expect:")
    ]


def test_every_crd_is_established(crds: Kube) -> None:
    names = crds.kubectl(
        "get", "crd", "-l", "app.kubernetes.io/part-of=ecs-operator", "-o", "name"
    ).stdout.split()
    assert sorted(n.split("/")[1] for n in names) == [
        "ecscapacityproviders.ecs-operator.dev",
        "ecsclusters.ecs-operator.dev",
        "ecscontainerinstances.ecs-operator.dev",
        "ecsservices.ecs-operator.dev",
        "ecstaskdefinitions.ecs-operator.dev",
        "ecstasks.ecs-operator.dev",
        "scheduledtasks.ecs-operator.dev",
    ]


@pytest.mark.parametrize(
    "field",
    [
        "ecsservice.spec.placementStrategy",
        "ecstask.spec.containerInstance",
        "ecscontainerinstance.status.claims",
    ],
)
def test_kubectl_explain_describes_fields(crds: Kube, field: str) -> None:
    out = crds.kubectl("explain", field).stdout
    assert "DESCRIPTION" in out
    assert "<empty>" not in out.split("DESCRIPTION", 1)[1].split("FIELDS", 1)[0]


def test_category_lists_every_kind(crds: Kube, namespace: str) -> None:
    res = crds.kubectl("get", "ecs", "-n", namespace)
    assert res.returncode == 0


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_examples_are_admitted(crds: Kube, namespace: str, path: Path) -> None:
    res = crds.kubectl("apply", "--dry-run=server", "-n", namespace, "-f", str(path), check=False)
    assert res.returncode == 0, res.stderr


def needs_webhook(path: Path) -> bool:
    """Cases CEL cannot refuse (an expression that does not parse): the operator's webhook does."""
    return any(line.startswith("# admission: webhook") for line in path.read_text().splitlines())


@pytest.mark.parametrize("path", INVALID, ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_invalid_objects_are_refused_with_the_field_path(
    crds: Kube, namespace: str, path: Path, request: pytest.FixtureRequest
) -> None:
    if needs_webhook(path):
        request.getfixturevalue("operator")  # the session's operator serves the admission webhook
    expected = expectations(path)
    assert expected, f"{path} has no '# expect:' line"
    assert yaml.safe_load(path.read_text())["kind"]
    res = crds.kubectl("apply", "--dry-run=server", "-n", namespace, "-f", str(path), check=False)
    assert res.returncode != 0, f"{path.name} was admitted"
    for text in expected:
        assert text in res.stderr, f"expected {text!r} in:\n{res.stderr}"


TRANSITIONS = sorted(DATA.glob("invalid-transitions/*/*.yaml"))


@pytest.mark.parametrize("path", TRANSITIONS, ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_invalid_updates_are_refused_with_the_field_path(crds: Kube, namespace: str, path: Path) -> None:
    """Immutable fields: the first document is created, the second (an update) must be refused."""
    first, second = (yaml.safe_dump(d) for d in yaml.safe_load_all(path.read_text()))
    crds.apply(first, namespace=namespace)
    try:
        res = crds.apply(second, namespace=namespace, check=False)
        assert res.returncode != 0, f"{path.name}: the update was admitted"
        for text in expectations(path):
            assert text in res.stderr, f"expected {text!r} in:\n{res.stderr}"
    finally:
        crds.kubectl("delete", "-n", namespace, "-f", "-", "--wait=false", input=first, check=False)


EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "deploy" / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_deploy_examples_are_admitted(crds: Kube, path: Path) -> None:
    res = crds.kubectl("apply", "--dry-run=server", "-f", str(path), check=False)
    assert res.returncode == 0, res.stderr
