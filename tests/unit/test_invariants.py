"""The invariant checker (`ecs_operator.invariants`) finds each violation it names, and no other."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_operator.invariants import check


def instance(
    name: str, node: str, *claims: dict[str, Any], cpu: int = 1024, memory: int = 2048
) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {"nodeName": node},
        "status": {
            "registeredResources": {"cpu": cpu, "memory": memory, "ports": [22], "portsUdp": []},
            "claims": list(claims),
        },
    }


def claim(uid: str, cpu: int = 256, memory: int = 512, ports: tuple[int, ...] = ()) -> dict[str, Any]:
    return {"taskUid": uid, "task": f"ns/{uid}", "cpu": cpu, "memory": memory, "ports": list(ports)}


def task(uid: str, last: str = "RUNNING", instance: str | None = "c.a", **status: Any) -> dict[str, Any]:
    st = {"lastStatus": last, "desiredStatus": "RUNNING" if last != "STOPPED" else "STOPPED", **status}
    if instance:
        st["containerInstance"] = instance
    return {"metadata": {"name": uid, "namespace": "ns", "uid": uid}, "spec": {}, "status": st}


def pod(uid: str, node: str = "n-a") -> dict[str, Any]:
    return {
        "metadata": {"name": f"p-{uid}", "namespace": "ns", "labels": {"ecs-operator.dev/task-uid": uid}},
        "spec": {"nodeName": node},
    }


HEALTHY = ([instance("c.a", "n-a", claim("t1")), instance("c.b", "n-b")], [task("t1")], [pod("t1")])


def test_a_healthy_ledger_has_no_violation() -> None:
    assert check(*HEALTHY, settled=True) == []


@pytest.mark.parametrize(
    ("instances", "tasks", "pods", "settled", "expected"),
    [
        pytest.param(
            [instance("c.a", "n-a", claim("t1", cpu=800), claim("t2", cpu=800))],
            [task("t1"), task("t2")],
            [pod("t1"), pod("t2")],
            False,
            ["I1"],
            id="over-commit",
        ),
        pytest.param(
            [instance("c.a", "n-a", claim("t1", ports=(22,)))],
            [task("t1")],
            [pod("t1")],
            False,
            ["I1"],
            id="reserved-port-claimed",
        ),
        pytest.param(
            [instance("c.a", "n-a", claim("t1"))],
            [task("t1")],
            [pod("t1"), {**pod("t1"), "metadata": {**pod("t1")["metadata"], "name": "other"}}],
            False,
            ["I2"],
            id="two-pods",
        ),
        pytest.param(
            [instance("c.a", "n-a", claim("t1")), instance("c.b", "n-b")],
            [task("t1")],
            [pod("t1", node="n-b")],
            False,
            ["I6"],
            id="pod-off-its-instance",
        ),
        pytest.param(
            [instance("c.a", "n-a", claim("t1")), instance("c.b", "n-b", claim("t1"))],
            [task("t1")],
            [pod("t1")],
            True,
            ["I2", "I4"],
            id="claims-on-two-instances",
        ),
        pytest.param(
            [instance("c.a", "n-a", claim("t1"))],
            [task("t1", "STOPPED", stoppedReason="x")],
            [],
            True,
            ["I4"],
            id="stopped-task-keeps-claim",
        ),
        pytest.param(
            [instance("c.a", "n-a", claim("gone"))], [], [], True, ["I4"], id="claim-of-a-deleted-task"
        ),
        pytest.param(
            [instance("c.a", "n-a")], [task("t1")], [pod("t1")], True, ["I6"], id="pod-without-claim"
        ),
        pytest.param(
            [instance("c.a", "n-a", claim("t1"))], [task("t1")], [], True, ["I6"], id="claim-without-pod"
        ),
        pytest.param(
            [instance("c.a", "n-a")],
            [task("t1", "PENDING", instance=None)],
            [],
            True,
            ["I3"],
            id="task-left-pending",
        ),
        pytest.param(
            [instance("c.a", "n-a")],
            [task("t1", "STOPPED", instance=None)],
            [],
            True,
            ["I3"],
            id="stopped-without-reason",
        ),
    ],
)
def test_each_violation_is_found(
    instances: list[dict[str, Any]],
    tasks: list[dict[str, Any]],
    pods: list[dict[str, Any]],
    settled: bool,
    expected: list[str],
) -> None:
    assert sorted(v.invariant for v in check(instances, tasks, pods, settled=settled)) == expected


def test_transient_states_are_not_violations_until_settled() -> None:
    # A claim committed by a scheduler that will lose the race, and a task not yet RUNNING.
    instances = [instance("c.a", "n-a", claim("t1")), instance("c.b", "n-b", claim("t1"))]
    assert check(instances, [task("t1", "PENDING")], [], settled=False) == []


def test_distinct_instance_is_checked_per_group() -> None:
    tasks = [task(u, group="service:web") for u in ("t1", "t2")]
    for t in tasks:
        t["spec"]["placementConstraints"] = [{"type": "distinctInstance"}]
    found = check(
        [instance("c.a", "n-a", claim("t1"), claim("t2"))], tasks, [pod("t1"), pod("t2")], settled=False
    )
    assert [v.invariant for v in found] == ["I5"]


def test_deleting_objects_are_reported_once_settled() -> None:
    t = task("t1")
    t["metadata"]["deletionTimestamp"] = "2026-12-02T00:00:00Z"
    assert [v.invariant for v in check(HEALTHY[0], [t], HEALTHY[2], settled=True)] == ["I7"]
