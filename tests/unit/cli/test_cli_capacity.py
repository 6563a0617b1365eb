"""kubectl ecs describe-capacity-providers and put-cluster-capacity-providers (pure parts)."""

from __future__ import annotations

from ecs_operator.cli.capacity import cluster_patch, provider_view
from ecs_operator.cli.kubectl_ecs import build_parser


def test_put_cluster_capacity_providers_replaces_both_lists() -> None:
    patch = cluster_patch(
        ["od", "spot"], ["capacityProvider=od,base=1,weight=1", "capacityProvider=spot,weight=3"]
    )
    assert patch == {
        "spec": {
            "capacityProviders": ["od", "spot"],
            "defaultCapacityProviderStrategy": [
                {"capacityProvider": "od", "base": 1, "weight": 1},
                {"capacityProvider": "spot", "base": 0, "weight": 3},
            ],
        }
    }


def test_empty_lists_remove_the_providers_and_the_default_strategy() -> None:
    assert cluster_patch([], []) == {
        "spec": {"capacityProviders": None, "defaultCapacityProviderStrategy": None}
    }


def test_provider_view_has_ecs_defaults() -> None:
    view = provider_view({"metadata": {"name": "od"}, "spec": {"nodeSelector": {"matchLabels": {"p": "od"}}}})
    assert view == {
        "name": "od",
        "status": "ACTIVE",
        "nodeSelector": {"matchLabels": {"p": "od"}},
        "managedScaling": {"status": "DISABLED", "targetCapacity": 100},
        "managedTerminationProtection": "DISABLED",
    }


def test_the_verbs_parse_as_aws_ecs_spells_them() -> None:
    args = build_parser().parse_args(
        [
            "put-cluster-capacity-providers",
            "--cluster",
            "prod",
            "--capacity-providers",
            "od",
            "FARGATE",
            "--default-capacity-provider-strategy",
            "capacityProvider=od,weight=1",
        ]
    )
    assert (args.cluster, args.capacity_providers, args.default_capacity_provider_strategy) == (
        "prod",
        ["od", "FARGATE"],
        ["capacityProvider=od,weight=1"],
    )
    assert build_parser().parse_args(["describe-capacity-providers"]).capacity_providers == []
