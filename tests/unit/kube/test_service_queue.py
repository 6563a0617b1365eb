"""The service pass queue (`handlers.services.reconcile_service`) and the reads a pass makes
(`handlers.service_reads`): a burst of requests while a pass runs makes exactly one more pass;
passes of one service never overlap; a pass that only observes reads no object from the API
server, and the service it reads is this process's own last write while the watch still shows
the version that write replaced."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from ecs_operator.handlers import service_reads, services
from ecs_operator.handlers.service_reads import Reads, compact


class Index(dict[Any, list[dict[str, Any]]]):
    """Stands in for a kopf.Index: key → the stored values."""


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setattr(services, "MIN_INTERVAL", 0.0)
    monkeypatch.setattr(services, "_dirty", set())
    monkeypatch.setattr(services, "_running", set())
    monkeypatch.setattr(services, "_last_start", {})
    monkeypatch.setattr(services, "_latest", {})
    gate, started, done = threading.Event(), threading.Semaphore(0), threading.Semaphore(0)
    state: dict[str, Any] = {"calls": [], "active": 0, "overlap": False, "gate": gate}
    lock = threading.Lock()

    def one_pass(namespace: str, name: str, instances_of: Any, reads: Any) -> None:
        with lock:
            state["active"] += 1
            state["overlap"] |= state["active"] > 1
            state["calls"].append(name)
        started.release()
        gate.wait()
        with lock:
            state["active"] -= 1
        done.release()

    monkeypatch.setattr(services, "_one_pass", one_pass)
    state["started"], state["done"] = started, done
    return state


def watched() -> Reads:
    """The watch shows both services live (not deleted: no deletion re-check)."""
    live = {
        ("team", n): [{"metadata": {"name": n, "namespace": "team", "resourceVersion": "1"}}]
        for n in ("web", "api")
    }
    return Reads(Index(live), Index())  # type: ignore[arg-type]


def idle(key: tuple[str, str]) -> bool:
    with services._guard:
        return key not in services._running


def test_requests_during_a_pass_make_one_more_pass(queue: dict[str, Any]) -> None:
    services.reconcile_service("team", "web", lambda c: [], watched())
    assert queue["started"].acquire(timeout=30)  # the first pass runs (and waits on the gate)
    for _ in range(50):
        services.reconcile_service("team", "web", lambda c: [], watched())
    queue["gate"].set()
    assert queue["done"].acquire(timeout=30) and queue["done"].acquire(timeout=30)
    services._executor.submit(lambda: None).result(timeout=30)
    for _ in range(100):
        if idle(("team", "web")):
            break
        threading.Event().wait(0.05)
    assert queue["calls"] == ["web", "web"]
    assert not queue["overlap"]


def test_services_pass_independently(queue: dict[str, Any]) -> None:
    services.reconcile_service("team", "web", lambda c: [], watched())
    services.reconcile_service("team", "api", lambda c: [], watched())
    assert queue["started"].acquire(timeout=30) and queue["started"].acquire(timeout=30)
    queue["gate"].set()
    assert queue["done"].acquire(timeout=30) and queue["done"].acquire(timeout=30)
    assert sorted(queue["calls"]) == ["api", "web"]


def body(rv: str, **status: Any) -> dict[str, Any]:
    return {
        "metadata": {
            "name": "web",
            "namespace": "team",
            "uid": "u1",
            "resourceVersion": rv,
            "managedFields": [{"manager": "kubectl"}],
            "annotations": {
                "kopf.ecs-operator.dev/last-handled-configuration": "{...}",
                "ecs-operator.dev/deregistration-delay": "5",
            },
        },
        "spec": {"cluster": "prod"},
        "status": status,
    }


def test_compact_view_keeps_what_a_pass_reads() -> None:
    assert compact(body("7", runningCount=1)) == {
        "metadata": {
            "name": "web",
            "namespace": "team",
            "uid": "u1",
            "resourceVersion": "7",
            "annotations": {"ecs-operator.dev/deregistration-delay": "5"},
        },
        "spec": {"cluster": "prod"},
        "status": {"runningCount": 1},
    }


@pytest.mark.parametrize(
    ("watched", "expected"),
    [
        pytest.param("7", "8", id="watch-behind-the-write: read-own-write"),
        pytest.param("8", "8", id="watch-caught-up"),
        pytest.param("9", "9", id="watch-past-the-write"),
    ],
)
def test_a_pass_reads_its_own_status_write(
    watched: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_reads, "_written", {})
    key = ("team", "web")
    services_index = Index({key: [compact(body(watched))]})
    tasks_index = Index({key: [compact(body("3"))]})
    service_reads.wrote(compact(body("7")), body("8", runningCount=2))
    reads = Reads(services_index, tasks_index)  # type: ignore[arg-type]
    read = reads.service("team", "web")
    assert read is not None and read["metadata"]["resourceVersion"] == expected
    assert [t["metadata"]["resourceVersion"] for t in reads.tasks_of("team", "web")] == ["3"]
    assert reads.tasks_of("team", "other") == []
