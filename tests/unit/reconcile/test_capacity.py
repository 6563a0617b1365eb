"""reconcile.capacity: the strategy in effect, the provider's instances, a group's counts."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_operator.placement.capacity import StrategyItem
from ecs_operator.reconcile.capacity import (
    associated,
    counts_of,
    effective_strategy,
    launch_type_of,
    provider_launch_type,
    serves,
    termination_protection,
)

OWN = [{"capacityProvider": "spot", "base": 0, "weight": 1}]
DEFAULT = [{"capacityProvider": "ondemand", "base": 2, "weight": 1}]
CLUSTER = {"capacityProviders": ["ondemand", "spot", "FARGATE"], "defaultCapacityProviderStrategy": DEFAULT}


@pytest.mark.parametrize(
    ("spec", "cluster", "expected"),
    [
        pytest.param({"capacityProviderStrategy": OWN}, CLUSTER, ("spot",), id="own-strategy-wins"),
        pytest.param({}, CLUSTER, ("ondemand",), id="cluster-default-without-launch-type"),
        pytest.param({"launchType": "EC2"}, CLUSTER, None, id="launch-type-opts-out-of-default"),
        pytest.param({}, {}, None, id="no-default-no-strategy"),
        pytest.param({}, None, None, id="cluster-unknown"),
    ],
)
def test_effective_strategy(
    spec: dict[str, Any], cluster: dict[str, Any] | None, expected: tuple[str, ...] | None
) -> None:
    found = effective_strategy(spec, cluster)
    assert (found.providers if found else None) == expected


def test_default_strategy_items_keep_base_and_weight() -> None:
    found = effective_strategy({}, CLUSTER)
    assert found is not None and found.items == (StrategyItem("ondemand", 2, 1),)


@pytest.mark.parametrize(
    ("spec", "items", "expected"),
    [
        pytest.param({"launchType": "FARGATE"}, None, "FARGATE", id="launch-type"),
        pytest.param(
            {}, [{"capacityProvider": "FARGATE_SPOT", "weight": 1}], "FARGATE", id="fargate-providers"
        ),
        pytest.param({}, OWN, "EC2", id="instance-providers"),
        pytest.param({}, None, "EC2", id="default-ec2"),
    ],
)
def test_launch_type_of(spec: dict[str, Any], items: list[dict[str, Any]] | None, expected: str) -> None:
    strategy = effective_strategy({"capacityProviderStrategy": items}, None) if items else None
    assert launch_type_of(spec, strategy) == expected


SPOT = {"karpenter.sh/capacity-type": "spot", "pool": "spot"}
ONDEMAND = {"pool": "ondemand"}


@pytest.mark.parametrize(
    ("provider", "selector", "kind", "labels", "expected"),
    [
        pytest.param(
            "ondemand", {"matchLabels": {"pool": "ondemand"}}, "EC2", ONDEMAND, True, id="selector-match"
        ),
        pytest.param(
            "ondemand", {"matchLabels": {"pool": "ondemand"}}, "EC2", SPOT, False, id="selector-miss"
        ),
        pytest.param(
            "ondemand", {"matchLabels": {"pool": "ondemand"}}, "FARGATE", ONDEMAND, False, id="not-fargate"
        ),
        pytest.param("ondemand", {}, "EC2", SPOT, True, id="empty-selector-all-ec2"),
        pytest.param("FARGATE", None, "FARGATE", ONDEMAND, True, id="fargate"),
        pytest.param("FARGATE", None, "FARGATE", SPOT, False, id="fargate-not-on-spot"),
        pytest.param("FARGATE_SPOT", None, "FARGATE", SPOT, True, id="fargate-spot"),
        pytest.param("FARGATE_SPOT", None, "EC2", SPOT, False, id="fargate-spot-not-ec2"),
    ],
)
def test_serves(
    provider: str, selector: dict[str, Any] | None, kind: str, labels: dict[str, str], expected: bool
) -> None:
    assert serves(provider, selector, kind, labels) is expected


def task(provider: str | None = None, assigned: str | None = None, last: str = "RUNNING") -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if assigned:
        spec["capacityProviderStrategy"] = [{"capacityProvider": assigned, "weight": 1}]
    return {"spec": spec, "status": {"lastStatus": last, "capacityProviderName": provider}}


def test_counts_of_counts_recorded_and_assigned_providers_of_live_tasks() -> None:
    tasks = [
        task("ondemand"),
        task("spot"),
        task(None, assigned="spot"),  # assigned by the service, not placed yet
        task("spot", last="STOPPED"),
        task(None),  # no provider at all (launch type)
    ]
    assert counts_of(tasks) == {"ondemand": 1, "spot": 2}


def test_association_and_launch_type_of_a_provider() -> None:
    assert associated("spot", CLUSTER) and not associated("FARGATE_SPOT", CLUSTER)
    assert [provider_launch_type(p) for p in ("FARGATE", "FARGATE_SPOT", "spot")] == [
        "FARGATE",
        "FARGATE",
        "EC2",
    ]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param(
            {"managedTerminationProtection": "ENABLED"},
            {
                "cluster-autoscaler.kubernetes.io/safe-to-evict": "false",
                "karpenter.sh/do-not-disrupt": "true",
            },
            id="enabled",
        ),
        pytest.param({"managedTerminationProtection": "DISABLED"}, {}, id="disabled"),
        pytest.param({}, {}, id="default"),
        pytest.param(None, {}, id="no-provider"),
    ],
)
def test_termination_protection_marks_the_pods(spec: dict[str, Any] | None, expected: dict[str, str]) -> None:
    assert termination_protection(spec) == expected


def test_start_task_ignores_the_cluster_default_strategy() -> None:
    assert effective_strategy({"containerInstance": "prod.worker-a1"}, CLUSTER) is None
