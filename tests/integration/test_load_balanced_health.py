"""Load-balanced services without a container health check (issue 12, item 1), end to end.

The most common ECS shape: a load balancer and no container health check. A task counts as healthy
once RUNNING (40 s) and its target is healthy: its pod Ready and its endpoint ready in the
Service's EndpointSlices (maintained by kube-controller-manager in the local control plane).
Before the fix the first deployment never completed, and a rollout never stopped the old tasks.
"""

from __future__ import annotations

from typing import Any

from tests.integration.test_services import create_service, endpoint_ips, running, service_status
from tests.support.cluster import Kube, wait_for
from tests.support.ecs import container, register

# No deregistration delay: this test is about health, and a rollout would wait 300 s per old task.
LOAD_BALANCER = [{"containerName": "web", "containerPort": 80, "deregistrationDelaySeconds": 0}]


def completed(kube: Kube, namespace: str, revision: str) -> dict[str, Any] | None:
    """The service once exactly one deployment is listed, of this revision, COMPLETED."""
    st = service_status(kube, namespace, "web")
    deployments = st.get("deployments") or []
    done = (
        len(deployments) == 1
        and deployments[0].get("taskDefinition") == revision
        and deployments[0].get("rolloutState") == "COMPLETED"
    )
    return st if done else None


def test_a_load_balanced_service_without_health_check_completes_and_rolls_out(
    kube: Kube, cluster: str, namespace: str
) -> None:
    register(kube, namespace, containerDefinitions=[container(portMappings=[{"containerPort": 80}])])
    create_service(kube, namespace, cluster, desiredCount=2, loadBalancers=LOAD_BALANCER)

    st = wait_for(lambda: completed(kube, namespace, "web:1"), timeout=180, what="first deployment COMPLETED")
    assert st["runningCount"] == 2
    assert any("has reached a steady state" in e["message"] for e in st["events"]), st["events"]
    # Counted healthy because their targets are: both tasks are ready endpoints of the Service.
    assert len(endpoint_ips(kube, namespace, "web")) == 2

    # A new revision: minimumHealthyPercent 100 (the default) × desired 2 = 2 RUNNING at every sample.
    register(
        kube,
        namespace,
        containerDefinitions=[container(image="nginx:1.28", portMappings=[{"containerPort": 80}])],
    )
    samples: list[int] = []

    def rolled_out() -> dict[str, Any] | None:
        samples.append(len(running(kube, namespace, "web")))
        return completed(kube, namespace, "web:2")

    st = wait_for(rolled_out, timeout=240, what="second deployment COMPLETED")
    assert min(samples) >= 2, samples
    tasks = running(kube, namespace, "web")
    assert sorted(t["status"]["taskDefinition"] for t in tasks) == ["web:2", "web:2"]
    # Newest first: the steady state is said after (above) the new deployment's completion.
    messages = [e["message"] for e in st["events"]]
    done = f"deployment {st['deployments'][0]['id']}) deployment completed."
    assert done in " ".join(messages), messages
    done_at = next(i for i, m in enumerate(messages) if done in m)
    assert any("has reached a steady state" in m for m in messages[:done_at]), messages
    wait_for(lambda: len(endpoint_ips(kube, namespace, "web")) == 2, timeout=60, what="2 endpoints of web:2")
