"""run-task/start-task wait for the operator's placement, bounded (issue 12, item 9): the API is
replaced by a script of successive reads, time by a fake clock, so no test waits or times."""

from __future__ import annotations

import argparse
import io
from typing import Any

import pytest

from ecs_operator.cli import commands
from ecs_operator.cli.commands import Context

NEW: dict[str, Any] = {}
PLACED = {"lastStatus": "PENDING", "containerInstance": "prod.worker-a1", "availabilityZone": "zone-a"}
REFUSED = {
    "lastStatus": "STOPPED",
    "stopCode": "TaskFailedToStart",
    "failures": [{"reason": "RESOURCE:MEMORY", "detail": "6 container instances: prod.worker-a1 (...)"}],
}


def task(name: str, status: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "ns"},
        "spec": {"cluster": "prod", "taskDefinition": "web:1"},
        "status": status,
    }


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class Reads:
    """objects.get answered from a script per task name (the last answer repeats)."""

    def __init__(self, script: dict[str, list[dict[str, Any]]]) -> None:
        self.script = script
        self.calls: list[str] = []

    def get(self, res: Any, name: str, namespace: str | None = None) -> dict[str, Any]:
        self.calls.append(name)
        answers = self.script[name]
        return task(name, answers.pop(0) if len(answers) > 1 else answers[0])


def test_each_task_is_read_again_until_its_placement_is_known(monkeypatch: pytest.MonkeyPatch) -> None:
    reads = Reads({"a": [PLACED], "b": [NEW, REFUSED]})
    monkeypatch.setattr(commands.objects, "get", reads.get)
    fake = FakeTime()
    got = commands.await_placement([task("a", NEW), task("b", NEW)], "ns", 10, fake.clock, fake.sleep)
    assert [t["status"] for t in got] == [PLACED, REFUSED]
    assert reads.calls == ["a", "b", "b"]  # once placed, a task is not read again


def test_the_wait_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    reads = Reads({"a": [NEW]})
    monkeypatch.setattr(commands.objects, "get", reads.get)
    fake = FakeTime()
    got = commands.await_placement([task("a", NEW)], "ns", 10, fake.clock, fake.sleep)
    assert got[0]["status"] == NEW
    assert fake.now == 10 and len(reads.calls) == 20  # every 0.5 s, then it answers


def run(
    monkeypatch: pytest.MonkeyPatch, finals: dict[str, dict[str, Any]], *flags: str
) -> tuple[int, str, str]:
    """`run-task --count N` against fakes: tasks created unplaced, then read as ``finals``."""
    names = iter(finals)
    monkeypatch.setattr(commands, "_cluster_must_exist", lambda cluster: None)
    monkeypatch.setattr(commands, "resolve_revision", lambda ns, td: (1, "web", {}))
    monkeypatch.setattr(commands.objects, "create", lambda res, body, ns: task(next(names), NEW))
    monkeypatch.setattr(commands.objects, "get", lambda res, name, ns: task(name, finals[name]))
    monkeypatch.setattr(
        commands,
        "await_placement",
        lambda created, ns, wait: [commands.objects.get(None, t["metadata"]["name"], ns) for t in created],
    )
    args = argparse.Namespace(
        cluster="prod",
        task_definition="web",
        count=len(finals),
        group=None,
        started_by=None,
        launch_type="EC2",
        placement_strategy=None,
        placement_constraints=None,
        overrides=None,
        no_wait="--no-wait" in flags,
    )
    out, err = io.StringIO(), io.StringIO()
    code = commands.run_task(args, Context("ns", None, out, err))
    return code, out.getvalue(), err.getvalue()


def test_run_task_prints_the_instances_and_exits_0_when_every_task_is_placed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, err = run(monkeypatch, {"web-a": PLACED})
    assert code == 0 and err == ""
    assert out.splitlines()[1].split() == ["web-a", "web:1", "prod", "prod.worker-a1", "zone-a", "PENDING"]


def test_run_task_reports_ecs_failures_and_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run(monkeypatch, {"web-a": PLACED, "web-b": REFUSED})
    assert code == 1
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["web-a"]
    assert err == "error: ns/web-b: RESOURCE:MEMORY (6 container instances: prod.worker-a1 (...))\n"


def test_a_task_still_unplaced_when_the_wait_ends_is_listed_with_a_note(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, err = run(monkeypatch, {"web-a": NEW})
    assert code == 0
    assert out.splitlines()[1].split()[3] == "<none>"
    assert err == "placement of web-a not known after 10 s: see kubectl ecs describe-tasks\n"


def test_no_wait_answers_with_the_tasks_as_created(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run(monkeypatch, {"web-a": PLACED}, "--no-wait")
    assert code == 0 and err == ""
    assert out.splitlines()[1].split()[3] == "<none>"  # not read again: as created
