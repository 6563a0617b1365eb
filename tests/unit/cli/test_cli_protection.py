"""update-task-protection / get-task-protection: aws ecs's arguments, the spec change a call
makes, and ECS's ProtectedTask view of the status the operator writes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ecs_operator.cli.instances import EcsError
from ecs_operator.cli.kubectl_ecs import build_parser
from ecs_operator.cli.protection import answered, protected_task, protection_patch

NOW = datetime(2026, 12, 3, 7, 0, 0, 250000, tzinfo=UTC)


def parse(*argv: str) -> dict[str, object]:
    return vars(build_parser().parse_args(argv))


def test_update_arguments() -> None:
    args = parse(
        "update-task-protection", "--cluster", "prod", "--tasks", "a", "ns/b", "--protection-enabled",
        "--expires-in-minutes", "60",
    )  # fmt: skip
    assert (args["cluster"], args["tasks"], args["protection_enabled"], args["expires_in_minutes"]) == (
        "prod",
        ["a", "ns/b"],
        True,
        60,
    )
    off = parse("update-task-protection", "--tasks", "a", "--no-protection-enabled")
    assert off["protection_enabled"] is False and off["expires_in_minutes"] is None


@pytest.mark.parametrize(
    "argv",
    [
        ("update-task-protection", "--tasks", "a"),
        ("update-task-protection", "--tasks", "a", "--protection-enabled", "--no-protection-enabled"),
        ("get-task-protection",),
    ],
    ids=["enabled-required", "not-both", "tasks-required"],
)
def test_refused_arguments(argv: tuple[str, ...]) -> None:
    with pytest.raises(SystemExit):
        parse(*argv)


def test_each_call_is_a_new_request_with_the_default_minutes() -> None:
    patch = protection_patch(True, None, NOW)
    assert patch == {
        "spec": {
            "protection": {"enabled": True, "expiresInMinutes": 120, "renew": "2026-12-03T07:00:00.250000Z"}
        }
    }
    assert protection_patch(False, None, NOW)["spec"]["protection"]["enabled"] is False


@pytest.mark.parametrize("minutes", [0, 2881, -5])
def test_minutes_out_of_bounds_are_refused_before_writing(minutes: int) -> None:
    with pytest.raises(
        EcsError, match="InvalidParameterException: expiresInMinutes must be between 1 and 2880"
    ):
        protection_patch(True, minutes, NOW)


def task(spec: dict[str, Any] | None, status: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "metadata": {"name": "web-1", "namespace": "team"},
        "spec": {"cluster": "prod", "taskDefinition": "web", **({"protection": spec} if spec else {})},
        "status": {"protection": status} if status else {},
    }


REQUEST = {"enabled": True, "expiresInMinutes": 60, "renew": "r1"}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (None, False),
        ({"enabled": True, "applied": {"enabled": True, "expiresInMinutes": 60, "renew": "r0"}}, False),
        ({"enabled": True, "applied": REQUEST}, True),
        ({"enabled": False, "applied": REQUEST, "failures": [{"reason": "TASK_NOT_VALID"}]}, True),
    ],
    ids=["no-status", "previous-call", "this-call", "this-call-refused"],
)
def test_answered(status: dict[str, Any] | None, expected: bool) -> None:
    assert answered(task(REQUEST, status)) is expected


def test_protected_task_view() -> None:
    on = task(REQUEST, {"enabled": True, "expirationDate": "2026-12-03T08:00:00Z", "applied": REQUEST})
    assert protected_task(on, NOW) == {
        "taskArn": "team/web-1",
        "protectionEnabled": True,
        "expirationDate": "2026-12-03T08:00:00Z",
    }
    later = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    assert protected_task(on, later) == {"taskArn": "team/web-1", "protectionEnabled": False}
    assert protected_task(task(None, None), NOW) == {"taskArn": "team/web-1", "protectionEnabled": False}
