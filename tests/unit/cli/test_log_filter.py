"""Kopf's per-handler success lines of the per-task kinds are dropped without --verbose; every
other line stays (`cli.main._quiet_per_task_successes`)."""

from __future__ import annotations

import logging

import pytest

from ecs_operator.cli.main import _quiet_per_task_successes


def record(kind: str, message: str, level: int = logging.INFO) -> logging.LogRecord:
    rec = logging.LogRecord("kopf.objects", level, __file__, 1, message, None, None)
    rec.k8s_ref = {"kind": kind, "name": "x"}
    return rec


@pytest.mark.parametrize(
    ("kind", "message", "level", "kept"),
    [
        ("EcsTask", "Handler 'task_changed' succeeded.", logging.INFO, False),
        ("Pod", "Handler 'task_pod_changed' succeeded.", logging.INFO, False),
        ("EcsContainerInstance", "Handler 'instance_changed' succeeded.", logging.INFO, False),
        ("ScheduledTask", "Handler 'scheduled_task_changed' succeeded.", logging.INFO, True),
        ("EcsService", "Handler 'service_changed' succeeded.", logging.INFO, True),
        ("EcsTask", "Handler 'task_changed' failed with an exception. Will retry.", logging.ERROR, True),
        ("EcsTask", "Timer 'x' succeeded.", logging.WARNING, True),
    ],
)
def test_only_per_task_success_lines_are_dropped(kind: str, message: str, level: int, kept: bool) -> None:
    assert _quiet_per_task_successes(record(kind, message, level)) is kept
