"""Placement in batches per cluster (issue 15 item 2), against the real API server: a burst of
RunTasks on one cluster is committed with fewer writes of container instances than tasks, and
the ledger still holds exactly one claim per task, within every instance's resources.

The burst is the tasks and their task definition applied together, the definition last (`kubectl
apply -f dir/`): the tasks wait for its registration, then all want placing at once. They ask
for binpack on memory, so a batch lands on one instance and costs one write there (with the
default random strategy a batch of k tasks costs up to min(k, instances) writes).

The writes are the API server's own count (`apiserver_request_total`, PATCH of the
`ecscontainerinstances` status subresource), read before and after the burst. Every other
writer of instances (registration, agent connectivity) is counted too, so the bound is loose:
without batching each task costs one claim write by itself.
"""

from __future__ import annotations

from typing import Any

from ecs_operator.invariants import check
from tests.support.cluster import Kube, wait_for
from tests.support.ecs import container, manifest

BURST = 30


def instance_status_patches(control_plane: Any) -> int:
    total = 0
    for line in control_plane.get("/metrics").decode().splitlines():
        if (
            line.startswith("apiserver_request_total{")
            and 'resource="ecscontainerinstances"' in line
            and 'subresource="status"' in line
            and 'verb="PATCH"' in line
        ):
            total += int(float(line.rsplit(" ", 1)[1]))
    return total


def test_a_burst_of_run_tasks_is_committed_with_fewer_instance_writes_than_tasks(
    kube: Kube, control_plane: Any, cluster: str, namespace: str
) -> None:
    before = instance_status_patches(control_plane)
    spec = {
        "cluster": cluster,
        "taskDefinition": "web",
        "placementStrategy": [{"type": "binpack", "field": "memory"}],
    }
    burst = [manifest("EcsTask", f"burst-{i}", spec, namespace) for i in range(BURST)]
    definition = {"containerDefinitions": [container(cpu=64, memory=64)]}
    burst.append(manifest("EcsTaskDefinition", "web", definition, namespace))
    kube.apply("\n---\n".join(burst), namespace=namespace)

    def placed() -> list[dict[str, Any]] | None:
        tasks = kube.get_json("ecstasks", "-n", namespace)["items"]
        done = [t for t in tasks if (t.get("status") or {}).get("containerInstance")]
        return tasks if len(done) == BURST else None

    tasks = wait_for(placed, timeout=180, interval=1, what=f"{BURST} tasks placed")
    writes = instance_status_patches(control_plane) - before
    assert writes < BURST, f"{writes} instance writes for {BURST} tasks"

    instances = kube.get_json("ecsci", "-l", f"ecs-operator.dev/cluster={cluster}")["items"]
    claims = [c for i in instances for c in (i.get("status") or {}).get("claims") or []]
    assert sorted(c["taskUid"] for c in claims) == sorted(t["metadata"]["uid"] for t in tasks)
    pods = kube.get_json("pods", "-n", namespace)["items"]
    assert [v for v in check(instances, tasks, pods, settled=False)] == []
