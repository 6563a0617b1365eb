"""Services end to end (issue 5): REPLICA scale out/in, rolling deployments, DAEMON, events."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from typing import Any

from tests.support.cluster import Kube, wait_for
from tests.support.ecs import container, manifest, register, wait_status


def service_status(kube: Kube, namespace: str, name: str) -> dict[str, Any]:
    return kube.get_json("ecsservice", name, "-n", namespace).get("status") or {}


def service_tasks(kube: Kube, namespace: str, name: str) -> list[dict[str, Any]]:
    return list(kube.get_json("ecstasks", "-n", namespace, "-l", f"ecs-operator.dev/service={name}")["items"])


def running(kube: Kube, namespace: str, name: str) -> list[dict[str, Any]]:
    return [
        t
        for t in service_tasks(kube, namespace, name)
        if (t.get("status") or {}).get("lastStatus") == "RUNNING"
        and (t.get("status") or {}).get("desiredStatus") != "STOPPED"
    ]


def create_service(kube: Kube, namespace: str, cluster: str, name: str = "web", **spec: Any) -> None:
    body = {"cluster": cluster, "taskDefinition": "web", "desiredCount": 3, **spec}
    kube.apply(manifest("EcsService", name, body, namespace))


def test_replica_service_reaches_desired_count_spread_across_zones(
    kube: Kube, cluster: str, namespace: str
) -> None:
    register(kube, namespace)
    create_service(kube, namespace, cluster)
    tasks = wait_for(
        lambda: (r := running(kube, namespace, "web")) and len(r) == 3 and r, timeout=90, what="3 running"
    )
    assert sorted(t["status"]["availabilityZone"] for t in tasks) == ["zone-a", "zone-b", "zone-c"]
    assert {t["spec"]["group"] for t in tasks} == {"service:web"}
    st = wait_for(
        lambda: (s := service_status(kube, namespace, "web")).get("runningCount") == 3 and s,
        what="runningCount 3",
    )
    assert st["status"] == "ACTIVE"
    primary = st["deployments"][0]
    assert primary["status"] == "PRIMARY" and primary["taskDefinition"] == "web:1"
    assert {t["spec"]["startedBy"] for t in tasks} == {primary["id"]}
    # scale out and in
    kube.kubectl(
        "patch", "ecsservice", "web", "-n", namespace, "--type=merge", "-p", '{"spec":{"desiredCount":5}}'
    )
    wait_for(lambda: len(running(kube, namespace, "web")) == 5, timeout=90, what="5 running")
    kube.kubectl(
        "patch", "ecsservice", "web", "-n", namespace, "--type=merge", "-p", '{"spec":{"desiredCount":2}}'
    )
    kept = wait_for(
        lambda: (r := running(kube, namespace, "web")) and len(r) == 2 and r, timeout=90, what="2 running"
    )
    # The RUNNING count falls as soon as the scheduler marks the scaled-in tasks desired STOPPED;
    # their pods then take a moment to stop. Wait for every other task to be STOPPED.
    kept_names = {t["metadata"]["name"] for t in kept}
    seen: list[tuple[str, Any, Any, Any]] = []

    def scaled_in_stopped() -> list[dict[str, Any]] | None:
        tasks = service_tasks(kube, namespace, "web")
        seen[:] = [
            (
                t["metadata"]["name"],
                *(t.get("status", {}).get(k) for k in ("lastStatus", "desiredStatus", "stopCode")),
            )
            for t in tasks
        ]
        others = [t for t in tasks if t["metadata"]["name"] not in kept_names]
        done = others and all((t.get("status") or {}).get("lastStatus") == "STOPPED" for t in others)
        return others if done else None

    try:
        stopped = wait_for(scaled_in_stopped, timeout=90, what="the scaled-in tasks STOPPED")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nkept {sorted(kept_names)}; tasks {seen}") from exc
    assert len(stopped) == 3
    assert all(t["status"]["stopCode"] == "ServiceSchedulerInitiated" for t in stopped)


def test_a_stopped_task_is_replaced(kube: Kube, cluster: str, namespace: str) -> None:
    register(kube, namespace)
    create_service(kube, namespace, cluster, desiredCount=2)
    tasks = wait_for(
        lambda: (r := running(kube, namespace, "web")) and len(r) == 2 and r, timeout=90, what="2 running"
    )
    victim = tasks[0]
    kube.kubectl(
        "annotate",
        "pod",
        victim["status"]["podName"],
        "-n",
        namespace,
        "kwok.ecs-operator.dev/phase=Failed",
        "kwok.ecs-operator.dev/exit.web=1",
    )
    wait_for(
        lambda: (
            kube.get_json("ecstask", victim["metadata"]["name"], "-n", namespace)["status"]["lastStatus"]
            == "STOPPED"
        ),
        what="victim stopped",
    )
    replacement = wait_for(
        lambda: (
            (r := running(kube, namespace, "web"))
            and len(r) == 2
            and victim["metadata"]["name"] not in {t["metadata"]["name"] for t in r}
            and r
        ),
        timeout=90,
        what="replacement running",
    )
    assert len(replacement) == 2


def test_new_revision_rolls_out_a_deployment(kube: Kube, cluster: str, namespace: str) -> None:
    register(kube, namespace)
    create_service(kube, namespace, cluster, desiredCount=2)
    wait_for(lambda: len(running(kube, namespace, "web")) == 2, timeout=90, what="2 running")
    register(kube, namespace, containerDefinitions=[container(image="nginx:1.28")])
    wait_for(
        lambda: (
            (r := running(kube, namespace, "web"))
            and len(r) == 2
            and all(t["status"]["taskDefinition"] == "web:2" for t in r)
        ),
        timeout=180,
        what="2 tasks of web:2",
    )
    st = wait_for(
        lambda: (
            (s := service_status(kube, namespace, "web"))["deployments"][0].get("rolloutState") == "COMPLETED"
            and s
        ),
        timeout=120,
        what="deployment completed",
    )
    assert st["deployments"][0]["taskDefinition"] == "web:2"
    messages = [e["message"] for e in st["events"]]
    assert any("has reached a steady state" in m for m in messages), messages


def test_daemon_service_runs_one_task_per_instance(kube: Kube, cluster: str, namespace: str) -> None:
    register(kube, namespace, containerDefinitions=[container(cpu=64, memory=64)])
    kube.apply(
        manifest(
            "EcsService",
            "agent",
            {"cluster": cluster, "taskDefinition": "web", "schedulingStrategy": "DAEMON"},
            namespace,
        )
    )
    tasks = wait_for(
        lambda: (r := running(kube, namespace, "agent")) and len(r) == 6 and r,
        timeout=120,
        what="6 daemon tasks",
    )
    assert len({t["status"]["containerInstance"] for t in tasks}) == 6
    # a DRAINING instance loses its daemon task, last: after the other tasks there have stopped
    # (a standalone task is left alone by draining, so it holds the daemon until it is stopped)
    target = f"{cluster}.worker-c2"
    body = {"cluster": cluster, "taskDefinition": "web", "containerInstance": target}
    kube.apply(manifest("EcsTask", "pinned", body, namespace))
    wait_status(kube, namespace, "pinned", "RUNNING")
    kube.kubectl("patch", "ecsci", target, "--type=merge", "-p", json.dumps({"spec": {"status": "DRAINING"}}))
    wait_for(
        lambda: (kube.get_json("ecsci", target).get("status") or {}).get("status") == "DRAINING",
        what="instance DRAINING",
    )
    deadline = time.monotonic() + 25  # two service ticks (10 s) and the task events in between
    while time.monotonic() < deadline:
        here = [t for t in running(kube, namespace, "agent") if t["status"]["containerInstance"] == target]
        assert len(here) == 1, "the daemon task stopped before the other task on its draining instance"
        time.sleep(2)
    kube.kubectl(
        "patch",
        "ecstask",
        "pinned",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"spec":{"desiredStatus":"STOPPED"}}',
    )
    wait_for(
        lambda: (
            {t["status"]["containerInstance"] for t in running(kube, namespace, "agent")}
            == {t["status"]["containerInstance"] for t in tasks} - {target}
        ),
        timeout=120,
        what="daemon task stopped on the draining instance",
    )


def test_deleting_a_service_stops_its_tasks(kube: Kube, cluster: str, namespace: str) -> None:
    register(kube, namespace)
    create_service(kube, namespace, cluster, desiredCount=2)
    wait_for(lambda: len(running(kube, namespace, "web")) == 2, timeout=90, what="2 running")
    kube.kubectl("delete", "ecsservice", "web", "-n", namespace, "--wait=false")
    wait_for(
        lambda: kube.kubectl("get", "ecsservice", "web", "-n", namespace, check=False).returncode != 0,
        timeout=120,
        what="service gone",
    )
    wait_for(lambda: not kube.get_json("pods", "-n", namespace)["items"], timeout=120, what="pods gone")


def endpoint_ips(kube: Kube, namespace: str, service: str) -> set[str]:
    slices = kube.get_json("endpointslices", "-n", namespace, "-l", f"kubernetes.io/service-name={service}")[
        "items"
    ]
    return {
        addr
        for s in slices
        for ep in s.get("endpoints") or []
        if (ep.get("conditions") or {}).get("ready")
        for addr in ep.get("addresses") or []
    }


DELAY = 8
"""A short deregistration delay for the load balancer test (ECS's default is 300 s)."""


def test_load_balancer_holds_exactly_the_running_tasks(kube: Kube, cluster: str, namespace: str) -> None:
    register(kube, namespace, containerDefinitions=[container(portMappings=[{"containerPort": 80}])])
    create_service(
        kube,
        namespace,
        cluster,
        desiredCount=2,
        loadBalancers=[{"containerName": "web", "containerPort": 80, "deregistrationDelaySeconds": DELAY}],
    )
    tasks = wait_for(
        lambda: (r := running(kube, namespace, "web")) and len(r) == 2 and r, timeout=90, what="2 running"
    )
    svc = kube.get_json("service", "web", "-n", namespace)
    assert svc["metadata"]["ownerReferences"][0]["kind"] == "EcsService"
    assert svc["spec"]["ports"][0]["port"] == 80

    def pod_ips() -> set[str] | None:
        """The IPs of the RUNNING tasks' pods; None while one of them has none (or is gone: the
        task was stopped between the two reads), so a wait goes on instead of failing."""
        ips = {
            p["metadata"]["name"]: (p.get("status") or {}).get("podIP")
            for p in kube.get_json("pods", "-n", namespace)["items"]
        }
        wanted = [ips.get(t["status"]["podName"]) for t in running(kube, namespace, "web")]
        return None if not all(wanted) else {str(ip) for ip in wanted}

    def endpoints_are_the_running_pods(count: int) -> bool:
        ips = pod_ips()
        return ips is not None and len(ips) == count and endpoint_ips(kube, namespace, "web") == ips

    wait_for(lambda: endpoints_are_the_running_pods(2), timeout=90, what="2 endpoints")
    kube.kubectl(
        "patch", "ecsservice", "web", "-n", namespace, "--type=merge", "-p", '{"spec":{"desiredCount":1}}'
    )
    wait_for(lambda: len(running(kube, namespace, "web")) == 1, timeout=90, what="1 running")
    wait_for(lambda: endpoints_are_the_running_pods(1), timeout=90, what="1 endpoint")
    assert len(tasks) == 2
    # The scaled-in task left the load balancer first: DEACTIVATING, its endpoint gone, its pod
    # still there; stopped only after the deregistration delay (timestamps from its own status).
    gone = [
        t
        for t in service_tasks(kube, namespace, "web")
        if (t.get("status") or {}).get("desiredStatus") == "STOPPED"
    ]
    assert len(gone) == 1
    name, pod = gone[0]["metadata"]["name"], gone[0]["status"]["podName"]
    st = wait_for(
        lambda: (s := kube.get_json("ecstask", name, "-n", namespace)["status"]).get("deregisteredAt") and s,
        what="deregisteredAt recorded",
    )
    res = kube.kubectl("get", "pod", pod, "-n", namespace, "-o", "json", check=False)
    if st["lastStatus"] == "DEACTIVATING" and res.returncode == 0:  # inside the delay: unregistered
        live = json.loads(res.stdout)
        assert live["metadata"]["labels"].get("ecs-operator.dev/target") != "registered"
    st = wait_for(
        lambda: (
            (s := kube.get_json("ecstask", name, "-n", namespace)["status"]).get("lastStatus") == "STOPPED"
            and s
        ),
        timeout=90,
        what="scaled-in task STOPPED after the delay",
    )
    left, stopping = (
        datetime.fromisoformat(st[k].replace("Z", "+00:00")) for k in ("deregisteredAt", "stoppingAt")
    )
    assert stopping - left >= timedelta(seconds=DELAY), (st["deregisteredAt"], st["stoppingAt"])


def test_kubectl_ecs_update_service_and_describe_services(kube: Kube, cluster: str, namespace: str) -> None:
    from tests.integration.test_kubectl_ecs import ok, plugin

    register(kube, namespace)
    create_service(kube, namespace, cluster, desiredCount=1)
    wait_for(lambda: len(running(kube, namespace, "web")) == 1, timeout=90, what="1 running")
    ok(
        plugin(
            kube,
            namespace,
            "update-service",
            "--cluster",
            cluster,
            "--service",
            "web",
            "--desired-count",
            "2",
        )
    )
    wait_for(lambda: len(running(kube, namespace, "web")) == 2, timeout=90, what="2 running")
    first = service_status(kube, namespace, "web")["deployments"][0]["id"]
    ok(plugin(kube, namespace, "update-service", "--service", "web", "--force-new-deployment"))
    # Describe once the new deployment has completed: while it rolls out the old one is listed too
    # (ACTIVE), after it only the new one (the old one is INACTIVE, and ECS does not list it).
    new = wait_for(
        lambda: (
            (d := service_status(kube, namespace, "web")["deployments"])
            and d[0]["id"] != first
            and d[0].get("rolloutState") == "COMPLETED"
            and d[0]
        ),
        timeout=120,
        what="the new deployment completed",
    )
    out = ok(
        plugin(kube, namespace, "describe-services", "--cluster", cluster, "--services", "web", "-o", "json")
    )
    doc = json.loads(out)
    assert doc["services"][0]["serviceName"] == "web"
    assert doc["services"][0]["desiredCount"] == 2
    listed = [(d["id"], d["status"], d.get("rolloutState")) for d in doc["services"][0]["deployments"]]
    assert listed == [(new["id"], "PRIMARY", "COMPLETED")]
    assert new["forceNewDeployment"]
    missing = plugin(kube, namespace, "describe-services", "--services", "nope", "-o", "json")
    assert missing.returncode == 1 and json.loads(missing.stdout)["failures"][0]["reason"] == "MISSING"
