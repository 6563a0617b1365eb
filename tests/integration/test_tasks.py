"""Tasks end to end (issue 4): task definition revisions, RunTask, StartTask, StopTask and the
lifecycle, through the real API server with KWOK playing the kubelets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.support.cluster import Kube, wait_for
from tests.support.ecs import container, manifest, register, task_status, wait_status
from tests.support.operator import OperatorProcess


def run_task(kube: Kube, namespace: str, name: str, cluster: str, **spec: Any) -> None:
    kube.apply(manifest("EcsTask", name, {"cluster": cluster, "taskDefinition": "web", **spec}, namespace))


def claims_of(kube: Kube, instance: str) -> list[dict[str, Any]]:
    return list((kube.get_json("ecsci", instance).get("status") or {}).get("claims") or [])


def test_each_spec_change_registers_a_revision_and_deregistration_keeps_numbering(
    kube: Kube, operator: OperatorProcess, namespace: str
) -> None:
    register(kube, namespace)
    wait_for(
        lambda: kube.get_json("ecstd", "web", "-n", namespace).get("status", {}).get("revision") == 1,
        what="rev 1",
    )
    register(kube, namespace, containerDefinitions=[container(image="nginx:1.28")])
    wait_for(
        lambda: kube.get_json("ecstd", "web", "-n", namespace).get("status", {}).get("revision") == 2,
        what="rev 2",
    )
    kube.kubectl(
        "patch",
        "ecstd",
        "web",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"spec":{"deregisteredRevisions":[2]}}',
    )
    status = wait_for(
        lambda: (
            (s := kube.get_json("ecstd", "web", "-n", namespace)["status"])["revisions"][0]["status"]
            == "INACTIVE"
            and s
        ),
        what="rev 2 INACTIVE",
    )
    assert [(r["revision"], r["status"]) for r in status["revisions"]] == [(2, "INACTIVE"), (1, "ACTIVE")]
    # the snapshot of a revision is immutable
    cm = kube.get_json("configmap", "ecstd.web.1", "-n", namespace)
    assert cm["immutable"] is True
    assert json.loads(cm["data"]["taskDefinition.json"])["containerDefinitions"][0]["image"] == "nginx:1.27"
    register(kube, namespace, containerDefinitions=[container(image="nginx:1.29")])
    wait_for(
        lambda: kube.get_json("ecstd", "web", "-n", namespace)["status"].get("revision") == 3, what="rev 3"
    )


def test_invalid_task_definition_is_reported_and_registers_nothing(
    kube: Kube, operator: OperatorProcess, namespace: str
) -> None:
    register(
        kube, namespace, cpu="256", memory="4 GB", networkMode="awsvpc", requiresCompatibilities=["FARGATE"]
    )
    cond = wait_for(
        lambda: next(
            (
                c
                for c in kube.get_json("ecstd", "web", "-n", namespace)
                .get("status", {})
                .get("conditions", [])
                if c["type"] == "Ready"
            ),
            None,
        ),
        what="Ready condition",
    )
    assert cond["status"] == "False"
    assert "No Fargate configuration exists for given values: 256 CPU, 4096 memory" in cond["message"]
    events = wait_for(
        lambda: [
            e
            for e in kube.get_json("events", "-n", namespace)["items"]
            if e["reason"] == "InvalidTaskDefinition"
        ],
        what="Warning event",
    )
    assert events[0]["type"] == "Warning"
    assert "revision" not in kube.get_json("ecstd", "web", "-n", namespace)["status"]


def test_run_task_places_claims_and_runs_a_pod(kube: Kube, cluster: str, namespace: str) -> None:
    register(
        kube,
        namespace,
        networkMode="bridge",
        containerDefinitions=[container(portMappings=[{"containerPort": 80}])],
    )
    run_task(kube, namespace, "t1", cluster, startedBy="ci-job-42")
    st = wait_status(kube, namespace, "t1", "RUNNING")
    assert st["taskDefinition"] == "web:1"
    assert st["group"] == "family:web"
    assert (st["cpu"], st["memory"]) == (256, 512)
    assert st["containerInstance"].startswith(f"{cluster}.")
    assert st["availabilityZone"] in ("zone-a", "zone-b", "zone-c")
    assert st["containers"][0]["lastStatus"] == "RUNNING"
    pod = kube.get_json("pod", st["podName"], "-n", namespace)
    uid = kube.get_json("ecstask", "t1", "-n", namespace)["metadata"]["uid"]
    assert pod["metadata"]["name"].endswith(uid)
    assert pod["metadata"]["ownerReferences"][0]["kind"] == "EcsTask"
    assert pod["spec"]["nodeName"] == st["containerInstance"].split(".", 1)[1]
    assert pod["spec"]["containers"][0]["resources"] == {
        "requests": {"cpu": "250m", "memory": "512Mi"},
        "limits": {"memory": "512Mi"},
    }
    # a dynamic host port from the ephemeral range, the same in the claim and the pod
    host_port = pod["spec"]["containers"][0]["ports"][0]["hostPort"]
    assert 49153 <= host_port <= 65535
    claim = [c for c in claims_of(kube, st["containerInstance"]) if c["taskUid"] == uid]
    assert len(claim) == 1 and claim[0]["ports"] == [host_port] and claim[0]["group"] == "family:web"


def test_unplaceable_task_stops_with_failures(kube: Kube, cluster: str, namespace: str) -> None:
    register(kube, namespace, containerDefinitions=[container(memory=100000)])
    run_task(kube, namespace, "huge", cluster)
    st = wait_status(kube, namespace, "huge", "STOPPED")
    assert st["stopCode"] == "TaskFailedToStart"
    assert st["stoppedReason"] == "TaskFailedToStart: RESOURCE:MEMORY"
    assert st["failures"][0]["reason"] == "RESOURCE:MEMORY"
    assert not kube.get_json("pods", "-n", namespace)["items"]


def test_member_of_constraint_unmet_is_a_failure(kube: Kube, cluster: str, namespace: str) -> None:
    register(kube, namespace)
    run_task(
        kube,
        namespace,
        "picky",
        cluster,
        placementConstraints=[{"type": "memberOf", "expression": "attribute:ecs.instance-type == t2.nano"}],
    )
    st = wait_status(kube, namespace, "picky", "STOPPED")
    assert st["stopCode"] == "TaskFailedToStart"
    assert any(
        "memberOf" in (f.get("detail") or "") or f["reason"] == "ATTRIBUTE" or "MemberOf" in f["reason"]
        for f in st["failures"]
    ), st


def test_start_task_on_a_chosen_instance(kube: Kube, cluster: str, namespace: str) -> None:
    register(kube, namespace)
    run_task(kube, namespace, "pinned", cluster, containerInstance=f"{cluster}.worker-b1")
    st = wait_status(kube, namespace, "pinned", "RUNNING")
    assert st["containerInstance"] == f"{cluster}.worker-b1"
    # StartTask still checks resources: worker-b2 has 4 GiB
    register(kube, namespace, "big", containerDefinitions=[container(memory=8192)])
    kube.apply(
        manifest(
            "EcsTask",
            "too-big",
            {"cluster": cluster, "taskDefinition": "big", "containerInstance": f"{cluster}.worker-b2"},
            namespace,
        )
    )
    st = wait_status(kube, namespace, "too-big", "STOPPED")
    assert st["failures"] == [
        {"arn": f"{cluster}.worker-b2", "reason": "RESOURCE:MEMORY", "detail": st["failures"][0]["detail"]}
    ]
    kube.apply(
        manifest(
            "EcsTask",
            "nowhere",
            {"cluster": cluster, "taskDefinition": "web", "containerInstance": f"{cluster}.nope"},
            namespace,
        )
    )
    assert wait_status(kube, namespace, "nowhere", "STOPPED")["failures"][0]["reason"] == "MISSING"


def test_stop_task_is_user_initiated_and_releases_the_claim(kube: Kube, cluster: str, namespace: str) -> None:
    register(kube, namespace)
    run_task(kube, namespace, "stopme", cluster)
    st = wait_status(kube, namespace, "stopme", "RUNNING")
    uid = kube.get_json("ecstask", "stopme", "-n", namespace)["metadata"]["uid"]
    kube.kubectl(
        "patch",
        "ecstask",
        "stopme",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"spec":{"desiredStatus":"STOPPED","stopReason":"deploy rolled back"}}',
    )
    done = wait_status(kube, namespace, "stopme", "STOPPED")
    assert (done["stopCode"], done["stoppedReason"]) == ("UserInitiated", "deploy rolled back")
    assert done["stoppingAt"] and done["stoppedAt"]
    wait_for(
        lambda: all(c["taskUid"] != uid for c in claims_of(kube, st["containerInstance"])),
        what="claim released",
    )
    # a stopped task cannot be started again (admission)
    res = kube.kubectl(
        "patch",
        "ecstask",
        "stopme",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"spec":{"desiredStatus":"RUNNING"}}',
        check=False,
    )
    assert res.returncode != 0


def test_essential_container_exit_stops_the_task_and_a_sidecar_exit_does_not(
    kube: Kube, cluster: str, namespace: str
) -> None:
    register(
        kube,
        namespace,
        containerDefinitions=[container(), container("sidecar", essential=False, memory=64, cpu=0)],
    )
    run_task(kube, namespace, "pair", cluster)
    st = wait_status(kube, namespace, "pair", "RUNNING")
    kube.kubectl("annotate", "pod", st["podName"], "-n", namespace, "kwok.ecs-operator.dev/exit.sidecar=3")
    wait_for(
        lambda: (
            next(
                (c for c in task_status(kube, namespace, "pair")["containers"] if c["name"] == "sidecar"), {}
            ).get("exitCode")
            == 3
        ),
        what="sidecar exit recorded",
    )
    assert task_status(kube, namespace, "pair")["lastStatus"] == "RUNNING"
    kube.kubectl(
        "annotate",
        "pod",
        st["podName"],
        "-n",
        namespace,
        "kwok.ecs-operator.dev/exited=1",
        "kwok.ecs-operator.dev/phase=Failed",
        "kwok.ecs-operator.dev/exit.web=137",
    )
    done = wait_status(kube, namespace, "pair", "STOPPED")
    assert done["stopCode"] == "EssentialContainerExited"
    assert done["stoppedReason"] == "Essential container in task exited"
    web = next(c for c in done["containers"] if c["name"] == "web")
    assert web["exitCode"] == 137


def test_a_stopped_task_is_deleted_after_its_retention_period(
    kube: Kube, cluster: str, namespace: str, operator: OperatorProcess, tmp_path: Path
) -> None:
    """ECS keeps a stopped task for a while, then it is gone. An operator with a 15-second
    retention (ECS_OPERATOR_STOPPED_TASK_RETENTION) deletes it; the task still RUNNING stays."""
    short = OperatorProcess(
        operator.kubeconfig, tmp_path / "short.log", env={"ECS_OPERATOR_STOPPED_TASK_RETENTION": "15"}
    ).start()
    try:
        register(kube, namespace)
        run_task(kube, namespace, "keep", cluster)
        run_task(kube, namespace, "done", cluster)
        wait_status(kube, namespace, "done", "RUNNING")
        kube.kubectl(
            "patch",
            "ecstask",
            "done",
            "-n",
            namespace,
            "--type=merge",
            "-p",
            '{"spec":{"desiredStatus":"STOPPED"}}',
        )
        stopped_at = datetime.fromisoformat(wait_status(kube, namespace, "done", "STOPPED")["stoppedAt"])

        def gone() -> bool:
            names = {t["metadata"]["name"] for t in kube.get_json("ecstask", "-n", namespace)["items"]}
            return "done" not in names

        wait_for(gone, timeout=90, what="the stopped task deleted")
        assert datetime.now(UTC) - stopped_at >= timedelta(seconds=15)
        assert wait_status(kube, namespace, "keep", "RUNNING")
        assert short.alive()
    finally:
        short.stop()
