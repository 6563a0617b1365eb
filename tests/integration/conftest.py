"""Fixtures shared by the integration tests of tasks and services."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.cluster import Kube, wait_for
from tests.support.ecs import manifest
from tests.support.operator import OperatorProcess


@pytest.fixture
def cluster(kube: Kube, operator: OperatorProcess, unique: str) -> Iterator[str]:
    """A cluster of the six EC2 nodes, with its instances registered."""
    name = f"tasks-{unique}"
    kube.apply(
        manifest(
            "EcsCluster", name, {"nodeSelector": {"matchLabels": {"node.ecs-operator.dev/capacity": "ec2"}}}
        )
    )
    wait_for(
        lambda: (
            len(
                [
                    i
                    for i in kube.get_json("ecsci", "-l", f"ecs-operator.dev/cluster={name}")["items"]
                    if (i.get("status") or {}).get("registeredResources")
                ]
            )
            == 6
        ),
        what="instances registered",
    )
    yield name
    kube.kubectl("delete", "ecscluster", name, "--wait=false", check=False)
