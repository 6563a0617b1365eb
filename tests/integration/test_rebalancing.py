"""AZ rebalancing (issue 12, item 4), end to end: a zone drains, comes back, and the service moves
tasks back to it, one at a time, start first, with ECS's service events."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from tests.integration.test_services import create_service, running, service_status
from tests.support.cluster import Kube, wait_for
from tests.support.ecs import register

ZONE_C = ("worker-c1", "worker-c2")


def zones(kube: Kube, namespace: str) -> dict[str, int]:
    return dict(Counter(t["status"]["availabilityZone"] for t in running(kube, namespace, "web")))


def set_status(kube: Kube, cluster: str, node: str, value: str) -> None:
    patch = json.dumps({"spec": {"status": value}})
    kube.kubectl("patch", "ecsci", f"{cluster}.{node}", "--type=merge", "-p", patch)


def test_tasks_move_back_to_a_zone_that_returns(kube: Kube, cluster: str, namespace: str) -> None:
    register(kube, namespace)
    create_service(kube, namespace, cluster, desiredCount=6)
    balanced = {"zone-a": 2, "zone-b": 2, "zone-c": 2}
    wait_for(lambda: zones(kube, namespace) == balanced, timeout=120, what="2/2/2")

    for node in ZONE_C:
        set_status(kube, cluster, node, "DRAINING")
    wait_for(
        lambda: zones(kube, namespace) == {"zone-a": 3, "zone-b": 3},
        timeout=240,
        what="3/3/0 after the drain",
    )

    samples: list[int] = []

    def moved_back() -> dict[str, Any] | None:
        samples.append(len(running(kube, namespace, "web")))
        return service_status(kube, namespace, "web") if zones(kube, namespace) == balanced else None

    for node in ZONE_C:
        set_status(kube, cluster, node, "ACTIVE")
    wait_for(moved_back, timeout=300, what="2/2/2 after zone-c returned")
    # start first: the service never had fewer than its 6 tasks RUNNING while tasks moved
    assert min(samples) >= 6, samples
    messages = wait_for(
        lambda: (
            (m := [e["message"] for e in service_status(kube, namespace, "web").get("events") or []])
            and any("is AZ balanced" in x for x in m)
            and m
        ),
        timeout=120,
        what="the rebalancing completed event",
    )
    assert (
        "service (web) is not AZ balanced with 3 tasks in zone-a, 3 in zone-b, and 0 in zone-c. "
        in " ".join(messages)
    ), messages
    assert (
        "service (web) is AZ balanced with 2 tasks in zone-a, 2 tasks in zone-b, and 2 tasks in zone-c."
        in messages
    )
    assert any("due to AZ rebalancing" in x for x in messages), messages
