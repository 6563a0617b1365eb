"""describe-services and describe-tasks show capacity providers as ECS does."""

from __future__ import annotations

from ecs_operator.cli.services import service_view
from ecs_operator.cli.tasks import task_view

META = {"name": "web", "namespace": "ns"}
STRATEGY = [{"capacityProvider": "ondemand", "base": 1, "weight": 1}]


def test_a_service_shows_its_strategy_instead_of_a_launch_type() -> None:
    view = service_view({"metadata": META, "spec": {"cluster": "prod", "capacityProviderStrategy": STRATEGY}})
    assert view["capacityProviderStrategy"] == STRATEGY and "launchType" not in view
    plain = service_view({"metadata": META, "spec": {"cluster": "prod"}})
    assert plain["launchType"] == "EC2" and "capacityProviderStrategy" not in plain


def test_a_task_shows_its_capacity_provider_and_the_launch_type_it_runs_on() -> None:
    task = {"metadata": META, "spec": {"cluster": "prod"}, "status": {"capacityProviderName": "FARGATE_SPOT"}}
    view = task_view(task)
    assert (view["capacityProviderName"], view["launchType"]) == ("FARGATE_SPOT", "FARGATE")
