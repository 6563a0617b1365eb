"""Credentials chosen the way kubectl chooses them: --kubeconfig, $KUBECONFIG (merged), --context,
and the context's namespace (no API call: loading a kubeconfig only parses it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecs_operator.kube import plugin
from ecs_operator.kube.client import clients
from ecs_operator.kube.errors import KubeError


def kubeconfig(path: Path, current: str, contexts: dict[str, str | None], server: str) -> Path:
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": current,
                "clusters": [{"name": "c", "cluster": {"server": server}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [
                    {
                        "name": name,
                        "context": {"cluster": "c", "user": "u", **({"namespace": ns} if ns else {})},
                    }
                    for name, ns in contexts.items()
                ],
            }
        )
    )
    return path


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return kubeconfig(
        tmp_path / "a", "dev", {"dev": "team-a", "prod": "team-b", "bare": None}, "https://a:6443"
    )


def test_the_current_context_and_its_namespace(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    assert plugin.configure(str(config_file)) == "team-a"
    assert clients().api.configuration.host == "https://a:6443"


@pytest.mark.parametrize(("context", "namespace"), [("prod", "team-b"), ("bare", "default")])
def test_an_explicit_context(config_file: Path, context: str, namespace: str) -> None:
    assert plugin.configure(str(config_file), context) == namespace


def test_kubeconfig_variable_with_several_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = kubeconfig(tmp_path / "first", "one", {"one": "ns-one"}, "https://one:6443")
    second = kubeconfig(tmp_path / "second", "two", {"two": "ns-two"}, "https://two:6443")
    monkeypatch.setenv("KUBECONFIG", f"{first}:{second}")
    assert plugin.configure() == "ns-one"  # the first file's current-context wins, as in kubectl
    assert plugin.configure(context="two") == "ns-two"


def test_an_unknown_context_is_an_error(config_file: Path) -> None:
    with pytest.raises(KubeError, match="cannot load the kubeconfig"):
        plugin.configure(str(config_file), "nope")
