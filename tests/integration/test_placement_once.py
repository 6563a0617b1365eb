"""One placement per task (architecture.md §2, `reconcile.ledger`), against the real API server.

The reproduction from the issue that made the protocol: two operator replicas and nothing else, a
60-task service filled from scratch and then 30 RunTasks, used to leave tasks with claims on two
instances and pods off their claims. Here the invariants of `ecs_operator.invariants` are checked
while the work runs (the always-true ones) and once it has settled (all of them). The sweep is
shown releasing claims that no task wants: one of a deleted task, one of a STOPPED task, one of a
task placed elsewhere.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from ecs_operator.invariants import Violation, check
from tests.support.cluster import Kube, wait_for
from tests.support.ecs import container, manifest, register
from tests.support.operator import OperatorProcess


def state(kube: Kube, cluster: str, namespace: str) -> tuple[list[Any], list[Any], list[Any]]:
    instances = kube.get_json("ecsci", "-l", f"ecs-operator.dev/cluster={cluster}")["items"]
    tasks = kube.get_json("ecstasks", "-n", namespace)["items"]
    pods = kube.get_json("pods", "-n", namespace)["items"]
    return instances, tasks, pods


def violations(kube: Kube, cluster: str, namespace: str, settled: bool) -> list[Violation]:
    return check(*state(kube, cluster, namespace), settled=settled)


def settle(kube: Kube, cluster: str, namespace: str, timeout: float = 120) -> None:
    """Wait until no invariant is broken (the sweep runs every 30 s), then assert it stays so."""
    last: list[list[Violation]] = [[]]

    def clean() -> bool:
        last[0] = violations(kube, cluster, namespace, settled=True)
        return not last[0]

    try:
        wait_for(clean, timeout=timeout, interval=2, what="every invariant to hold")
    except AssertionError:
        raise AssertionError("invariants broken:\n" + "\n".join(map(str, last[0]))) from None
    assert violations(kube, cluster, namespace, settled=True) == []


def test_two_replicas_place_each_task_once(
    kube: Kube, control_plane: Any, cluster: str, namespace: str
) -> None:
    register(kube, namespace, containerDefinitions=[container(cpu=128, memory=256)])
    wait_for(
        lambda: kube.get_json("ecstd", "web", "-n", namespace).get("status", {}).get("revision"), what="rev"
    )
    second = OperatorProcess(control_plane.kubeconfig, control_plane.state_dir / "operator-once.log")
    second.extra_args = ["--metrics-port=0"]
    second.start()
    try:
        service = {
            "cluster": cluster,
            "taskDefinition": "web",
            "desiredCount": 60,
            "deploymentConfiguration": {"minimumHealthyPercent": 50, "maximumPercent": 150},
        }
        kube.apply(manifest("EcsService", "app", service, namespace))

        def filled() -> bool:
            # While the work runs, the always-true invariants hold at every read.
            assert violations(kube, cluster, namespace, settled=False) == []
            tasks = kube.get_json("ecstasks", "-n", namespace, "-l", "ecs-operator.dev/service=app")["items"]
            return sum((t.get("status") or {}).get("lastStatus") == "RUNNING" for t in tasks) >= 60

        wait_for(filled, timeout=300, interval=2, what="60 service tasks RUNNING")
        runtasks = [
            manifest("EcsTask", f"run-{i}", {"cluster": cluster, "taskDefinition": "web"}, namespace)
            for i in range(30)
        ]
        kube.apply("\n---\n".join(runtasks), namespace=namespace)
        wait_for(
            lambda: all(
                (kube.get_json("ecstask", f"run-{i}", "-n", namespace).get("status") or {}).get("lastStatus")
                in ("RUNNING", "STOPPED")
                for i in range(30)
            ),
            timeout=180,
            interval=2,
            what="30 RunTasks RUNNING or STOPPED",
        )
        settle(kube, cluster, namespace)
        service_status = kube.get_json("ecsservice", "app", "-n", namespace)["status"]
        assert service_status["runningCount"] == 60
    finally:
        second.stop()


def add_claims(kube: Kube, instance: str, claims: list[dict[str, Any]]) -> list[Any]:
    """Write claims into an instance's ledger as crashed schedulers would have left them, with the
    resourceVersion read (the operator writes the instance too: a 409 means read again); the ledger
    as written."""
    for _ in range(20):
        obj = kube.get_json("ecsci", instance)
        ledger = [*(obj["status"].get("claims") or []), *claims]
        body = {
            "metadata": {"resourceVersion": obj["metadata"]["resourceVersion"]},
            "status": {"claims": ledger},
        }
        out = kube.kubectl(
            "patch",
            "ecsci",
            instance,
            "--subresource=status",
            "--type=merge",
            "-p",
            json.dumps(body),
            "-o",
            "json",
            check=False,
        )
        if out.returncode == 0:
            return list(json.loads(out.stdout)["status"]["claims"])
        assert "Conflict" in out.stderr, out.stderr
    raise AssertionError(f"{instance}: still conflicting after 20 attempts")


def test_the_sweep_releases_claims_no_task_wants(kube: Kube, cluster: str, namespace: str) -> None:
    register(kube, namespace)
    wait_for(
        lambda: kube.get_json("ecstd", "web", "-n", namespace).get("status", {}).get("revision"), what="rev"
    )
    kube.apply(manifest("EcsTask", "live", {"cluster": cluster, "taskDefinition": "web"}, namespace))
    live = wait_for(
        lambda: (
            (t := kube.get_json("ecstask", "live", "-n", namespace)).get("status", {}).get("lastStatus")
            == "RUNNING"
            and t
        ),
        what="live task RUNNING",
    )
    kube.apply(
        manifest(
            "EcsTask",
            "done",
            {"cluster": cluster, "taskDefinition": "web", "desiredStatus": "STOPPED"},
            namespace,
        )
    )
    done = wait_for(
        lambda: (
            (t := kube.get_json("ecstask", "done", "-n", namespace)).get("status", {}).get("lastStatus")
            == "STOPPED"
            and t
        ),
        what="done task STOPPED",
    )
    home = live["status"]["containerInstance"]
    elsewhere = next(
        i["metadata"]["name"]
        for i in kube.get_json("ecsci", "-l", f"ecs-operator.dev/cluster={cluster}")["items"]
        if i["metadata"]["name"] != home
    )
    orphans = {
        "gone": {"taskUid": str(uuid.uuid4()), "task": f"{namespace}/never-was"},
        "stopped": {"taskUid": done["metadata"]["uid"], "task": f"{namespace}/done"},
        "elsewhere": {"taskUid": live["metadata"]["uid"], "task": f"{namespace}/live"},
    }
    extra = {"group": "family:web", "cpu": 1, "memory": 1, "ports": [], "portsUdp": []}
    written = add_claims(kube, elsewhere, [{**c, **extra} for c in orphans.values()])
    assert {c["taskUid"] for c in orphans.values()} <= {c["taskUid"] for c in written}
    settle(kube, cluster, namespace, timeout=90)
    # The live task's own claim, on the instance it names, is untouched.
    held = kube.get_json("ecsci", home)["status"]["claims"]
    assert [c["taskUid"] for c in held if c["taskUid"] == live["metadata"]["uid"]] == [
        live["metadata"]["uid"]
    ]
