"""`kubectl ecs` end to end: the installed console script (`.venv/bin/kubectl-ecs`), and the same
through the real kubectl's plugin mechanism (`kubectl ecs ...` with kubectl-ecs on PATH), against
the local control plane with the session's operator doing the work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.cluster import Kube, wait_for
from tests.support.ecs import manifest
from tests.support.operator import OperatorProcess

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "kubectl-ecs"
EC2 = {"node.ecs-operator.dev/capacity": "ec2"}
NOT_ACTIVE = "A container instance can't be changed to DRAINING until it has reached an ACTIVE status."


def plugin(kube: Kube, namespace: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The console script, with kubectl's connection flags."""
    cmd = [str(SCRIPT), f"--kubeconfig={kube.kubeconfig}", "-n", namespace, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def kubectl_ecs(kube: Kube, *args: str) -> subprocess.CompletedProcess[str]:
    """`kubectl ecs ...`: kubectl finds kubectl-ecs on PATH; the kubeconfig comes from $KUBECONFIG."""
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(SCRIPT.parent), str(kube.bin_dir), os.environ.get("PATH", "")]),
        "KUBECONFIG": str(kube.kubeconfig),
    }
    cmd = [str(kube.bin_dir / "kubectl"), "ecs", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)


def ok(res: subprocess.CompletedProcess[str]) -> str:
    assert res.returncode == 0, f"exit {res.returncode}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}"
    return res.stdout


def instances(kube: Kube, cluster: str) -> dict[str, dict[str, Any]]:
    items = kube.get_json("ecsci", "-l", f"ecs-operator.dev/cluster={cluster}")["items"]
    return {i["spec"]["nodeName"]: i for i in items}


@pytest.fixture
def cluster(kube: Kube, operator: OperatorProcess, unique: str) -> Iterator[str]:
    name = f"plugin-{unique}"
    kube.apply(manifest("EcsCluster", name, {"nodeSelector": {"matchLabels": EC2}}))
    wait_for(
        lambda: (
            len(
                [
                    i
                    for i in instances(kube, name).values()
                    if (i.get("status") or {}).get("registeredResources")
                ]
            )
            == 6
        ),
        what="six container instances",
    )
    yield name
    kube.kubectl("delete", "ecscluster", name, "--wait=false", check=False)


def register(kube: Kube, namespace: str, family: str, memory: int, **extra: Any) -> None:
    container = {"name": "app", "image": "nginx:1.27", "cpu": 128, "memory": memory, **extra}
    kube.apply(manifest("EcsTaskDefinition", family, {"containerDefinitions": [container]}, namespace))
    wait_for(
        lambda: (kube.get_json("ecstd", family, "-n", namespace).get("status") or {}).get("revision") == 1,
        what=f"{family}:1 registered",
    )


def attribute(status: dict[str, Any], name: str) -> str | None:
    return next((a.get("value") for a in status.get("attributes") or [] if a["name"] == name), None)


def set_state(
    kube: Kube, cluster: str, instance: str, status: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    """`kubectl ecs update-container-instances-state` for one instance."""
    return kubectl_ecs(
        kube,
        "update-container-instances-state",
        "--cluster",
        cluster,
        "--container-instances",
        instance,
        "--status",
        status,
        *extra,
    )


def test_the_console_script_is_installed_and_kubectl_finds_it(kube: Kube) -> None:
    assert SCRIPT.exists()
    res = kubectl_ecs(kube, "--help")
    assert "update-container-instances-state" in ok(res)
    listed = subprocess.run(
        [str(kube.bin_dir / "kubectl"), "plugin", "list"],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{SCRIPT.parent}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    assert "kubectl-ecs" in listed.stdout


def test_put_attributes_reach_the_instance_status(kube: Kube, cluster: str, namespace: str) -> None:
    out = ok(
        kubectl_ecs(
            kube,
            "put-attributes",
            "--cluster",
            cluster,
            "--attributes",
            "name=stack,value=prod,targetId=worker-a1",
            f"name=gpu,targetId={cluster}.worker-a1",
            "-o",
            "json",
        )
    )
    assert json.loads(out)["attributes"] == [
        {
            "name": "stack",
            "value": "prod",
            "targetType": "container-instance",
            "targetId": f"{cluster}.worker-a1",
        },
        {"name": "gpu", "targetType": "container-instance", "targetId": f"{cluster}.worker-a1"},
    ]
    status = wait_for(
        lambda: (
            (s := instances(kube, cluster)["worker-a1"].get("status") or {})
            and attribute(s, "stack") == "prod"
            and s
        ),
        what="the custom attribute in status",
    )
    assert any(a["name"] == "gpu" for a in status["attributes"])
    assert attribute(status, "ecs.availability-zone") == "zone-a"  # the built-ins stay
    # memberOf on the custom attribute now selects that instance alone.
    register(kube, namespace, "app", 256)
    explained = ok(
        plugin(
            kube,
            namespace,
            "explain-placement",
            "--cluster",
            cluster,
            "--task-definition",
            "app",
            "--placement-constraints",
            'type=memberOf,expression="attribute:stack == prod"',
            "-o",
            "json",
        )
    )
    assert json.loads(explained)["wouldPlaceOn"] == f"{cluster}.worker-a1"
    # ECS's rules are enforced before anything is written.
    refused = plugin(
        kube,
        namespace,
        "put-attributes",
        "--cluster",
        cluster,
        "--attributes",
        "name=ecs.x,targetId=worker-a1",
    )
    assert refused.returncode == 1 and "reserved for the built-in attributes" in refused.stderr
    # DeleteAttributes.
    ok(
        plugin(
            kube,
            namespace,
            "delete-attributes",
            "--cluster",
            cluster,
            "--attributes",
            "name=stack,targetId=worker-a1",
        )
    )
    wait_for(
        lambda: attribute(instances(kube, cluster)["worker-a1"].get("status") or {}, "stack") is None,
        what="the attribute gone",
    )


def test_draining_and_draining_again_is_refused_with_ecs_message(kube: Kube, cluster: str) -> None:
    out = ok(set_state(kube, cluster, "worker-c2", "DRAINING"))
    assert f"{cluster}.worker-c2" in out and "DRAINING" in out
    wait_for(
        lambda: (instances(kube, cluster)["worker-c2"].get("status") or {}).get("status") == "DRAINING",
        what="DRAINING in status",
    )
    again = set_state(kube, cluster, "worker-c2", "DRAINING", "-o", "json")
    assert again.returncode == 1
    assert NOT_ACTIVE in again.stderr
    assert json.loads(again.stdout)["failures"][0]["reason"] == NOT_ACTIVE
    missing = set_state(kube, cluster, "nope", "ACTIVE")
    assert missing.returncode == 1 and "MISSING" in missing.stderr
    ok(set_state(kube, cluster, "worker-c2", "ACTIVE"))
    wait_for(
        lambda: (instances(kube, cluster)["worker-c2"].get("status") or {}).get("status") == "ACTIVE",
        what="ACTIVE again",
    )


def test_explain_placement_names_every_instance_and_why_a_task_cannot_fit(
    kube: Kube, cluster: str, namespace: str
) -> None:
    register(kube, namespace, "huge", 20000)  # more memory than any node has
    out = ok(plugin(kube, namespace, "explain-placement", "--cluster", cluster, "--task-definition", "huge"))
    lines = out.splitlines()
    assert lines[0] == f"cluster {cluster}, task definition huge:1"
    for node in ("worker-a1", "worker-a2", "worker-b1", "worker-b2", "worker-c1", "worker-c2"):
        line = next(x for x in lines if f"{cluster}.{node} " in x)
        assert "RESOURCE:MEMORY at memory: needs 20000 MiB" in line, line
    assert lines[-1] == "TaskFailedToStart: RESOURCE:MEMORY"
    doc = yaml.safe_load(
        ok(
            plugin(
                kube,
                namespace,
                "explain-placement",
                "--cluster",
                cluster,
                "--task-definition",
                "huge",
                "-o",
                "yaml",
            )
        )
    )
    assert doc["wouldPlaceOn"] is None and doc["stoppedReason"] == "TaskFailedToStart: RESOURCE:MEMORY"
    assert len(doc["instances"]) == 6

    # An existing task: the same engine, seeded like the operator; it names the instance it used.
    register(kube, namespace, "small", 256)
    ok(plugin(kube, namespace, "run-task", "--cluster", cluster, "--task-definition", "small"))
    (task,) = kube.get_json("ecstask", "-n", namespace)["items"]
    name = task["metadata"]["name"]
    placed = wait_for(
        lambda: (kube.get_json("ecstask", name, "-n", namespace).get("status") or {}).get(
            "containerInstance"
        ),
        what="placed",
    )
    out = ok(plugin(kube, namespace, "explain-placement", "--task", name))
    assert f"already placed on {placed}" in out
    assert all(f"{cluster}.{n}" in out for n in ("worker-a1", "worker-c2"))


def test_run_task_count_three_reaches_running_and_the_task_verbs(
    kube: Kube, cluster: str, namespace: str
) -> None:
    register(kube, namespace, "web", 256)
    out = ok(
        plugin(
            kube,
            namespace,
            "run-task",
            "--cluster",
            cluster,
            "--task-definition",
            "web",
            "--count",
            "3",
            "--started-by",
            "ci-42",
            "-o",
            "json",
        )
    )
    created = json.loads(out)["tasks"]
    assert len(created) == 3 and json.loads(out)["failures"] == []
    names = [t["taskArn"].split("/", 1)[1] for t in created]
    assert all(n.startswith("web-") for n in names)

    def running() -> list[dict[str, Any]]:
        items = [kube.get_json("ecstask", n, "-n", namespace) for n in names]
        return [t for t in items if (t.get("status") or {}).get("lastStatus") == "RUNNING"]

    tasks = wait_for(lambda: len(r := running()) == 3 and r, timeout=90, what="three tasks RUNNING")
    for t in tasks:
        kube.kubectl("get", "pod", t["status"]["podName"], "-n", namespace)

    # list-tasks (table, like kubectl) and describe-tasks (YAML, ECS's field names).
    table = ok(
        kubectl_ecs(kube, "list-tasks", "-n", namespace, "--cluster", cluster, "--started-by", "ci-42")
    )
    assert table.splitlines()[0].split()[:4] == ["NAME", "TASK", "DEFINITION", "LAST"]
    assert sorted(line.split()[0] for line in table.splitlines()[1:]) == sorted(names)
    # Like `kubectl get a b`: what exists is printed, what does not is an error (exit 1).
    res = plugin(kube, namespace, "describe-tasks", "--tasks", *names, "missing-task")
    assert res.returncode == 1 and f"{namespace}/missing-task: MISSING" in res.stderr
    described = yaml.safe_load(res.stdout)
    assert sorted(t["taskArn"] for t in described["tasks"]) == sorted(f"{namespace}/{n}" for n in names)
    assert all(t["lastStatus"] == "RUNNING" and t["taskDefinitionArn"] == "web:1" for t in described["tasks"])
    assert described["failures"] == [{"arn": f"{namespace}/missing-task", "reason": "MISSING"}]

    # stop-task: STOPPED with the user's reason; list-tasks (desired RUNNING by default) drops it.
    ok(
        plugin(
            kube, namespace, "stop-task", "--cluster", cluster, "--task", names[0], "--reason", "rolled back"
        )
    )
    stopped = wait_for(
        lambda: (
            (s := kube.get_json("ecstask", names[0], "-n", namespace).get("status") or {}).get("lastStatus")
            == "STOPPED"
            and s
        ),
        timeout=90,
        what="STOPPED",
    )
    assert stopped["stopCode"] == "UserInitiated"
    assert stopped["stoppedReason"] == "rolled back"
    arns = json.loads(ok(plugin(kube, namespace, "list-tasks", "--cluster", cluster, "-o", "json")))[
        "taskArns"
    ]
    assert sorted(arns) == sorted(f"{namespace}/{n}" for n in names[1:])
    stopped_arns = json.loads(
        ok(plugin(kube, namespace, "list-tasks", "--desired-status", "STOPPED", "-o", "json"))
    )["taskArns"]
    assert stopped_arns == [f"{namespace}/{names[0]}"]


def test_unknown_task_definition_and_cluster_are_refused_at_once(
    kube: Kube, cluster: str, namespace: str
) -> None:
    res = plugin(kube, namespace, "run-task", "--cluster", cluster, "--task-definition", "nope")
    assert res.returncode == 1 and "TaskDefinition not found: nope" in res.stderr
    res = plugin(kube, namespace, "run-task", "--cluster", f"{cluster}-x", "--task-definition", "nope")
    assert res.returncode == 1 and "ClusterNotFoundException" in res.stderr
    res = plugin(
        kube, namespace, "run-task", "--cluster", cluster, "--task-definition", "web", "--count", "11"
    )
    assert res.returncode == 1 and "count must be between 1 and 10" in res.stderr
    assert kube.get_json("ecstask", "-n", namespace)["items"] == []


def test_run_task_answers_with_each_task_instance_or_the_failures(
    kube: Kube, cluster: str, namespace: str
) -> None:
    """RunTask's response (issue 12, item 9): the command waits for the operator's placement and
    prints each task's container instance; what fits nowhere comes back as failures[]."""
    register(kube, namespace, "small", 256)
    out = ok(
        plugin(
            kube, namespace, "run-task", "--cluster", cluster, "--task-definition", "small", "--count", "2"
        )
    )
    header, *rows = out.splitlines()
    assert header.split() == ["NAME", "TASK", "DEFINITION", "CLUSTER", "INSTANCE", "AZ", "LAST", "STATUS"]
    assert len(rows) == 2, out
    for row in rows:
        name, revision, in_cluster, instance, zone, _ = row.split()
        status = kube.get_json("ecstask", name, "-n", namespace)["status"]
        assert (revision, in_cluster) == ("small:1", cluster)
        assert instance == status["containerInstance"] and instance.startswith(f"{cluster}.worker-"), out
        assert zone == status["availabilityZone"], out

    # -o json: RunTask's document, with the instance of each task.
    doc = json.loads(
        ok(
            plugin(
                kube, namespace, "run-task", "--cluster", cluster, "--task-definition", "small", "-o", "json"
            )
        )
    )
    (task,) = doc["tasks"]
    assert doc["failures"] == [] and task["containerInstanceArn"].startswith(f"{cluster}.worker-")

    # StartTask: the instance the caller chose, once the operator has committed the claim there.
    out = ok(
        plugin(
            kube,
            namespace,
            "start-task",
            "--cluster",
            cluster,
            "--task-definition",
            "small",
            "--container-instances",
            "worker-b1",
        )
    )
    (row,) = out.splitlines()[1:]
    name, _, _, instance, zone, _ = row.split()
    assert (instance, zone) == (f"{cluster}.worker-b1", "zone-b"), out
    assert kube.get_json("ecstask", name, "-n", namespace)["status"]["containerInstance"] == instance

    # --no-wait answers at once, before any placement.
    out = ok(
        plugin(kube, namespace, "run-task", "--cluster", cluster, "--task-definition", "small", "--no-wait")
    )
    assert out.splitlines()[1].split()[3] == "<none>", out

    # Nothing fits: no task, ECS's failures (reason RESOURCE:MEMORY, the instances in detail), exit 1.
    register(kube, namespace, "huge", 100000)
    res = plugin(kube, namespace, "run-task", "--cluster", cluster, "--task-definition", "huge", "-o", "json")
    assert res.returncode == 1, res
    doc = json.loads(res.stdout)
    assert doc["tasks"] == []
    (failure,) = doc["failures"]
    assert failure["reason"] == "RESOURCE:MEMORY"
    assert failure["arn"].startswith(f"{namespace}/huge-")
    assert (
        failure["detail"].startswith("6 container instances:") and f"{cluster}.worker-" in failure["detail"]
    )
    assert f"error: {failure['arn']}: RESOURCE:MEMORY (6 container instances:" in res.stderr
    res = plugin(kube, namespace, "run-task", "--cluster", cluster, "--task-definition", "huge")
    assert res.returncode == 1 and res.stdout == "", res
    assert ": RESOURCE:MEMORY (" in res.stderr, res
