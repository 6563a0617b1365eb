"""ECS-shaped errors: ``{"__type": <exception name>, "message": ...}`` with HTTP 400.

Why one class: every refusal (a bad parameter, a missing cluster, a bad signature, RBAC saying
no) leaves the server the same way, and the SDKs read only ``__type`` and ``message``.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A call ECS (or AWS's front door) would refuse; `code` is the exception's name."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status

    def body(self) -> dict[str, Any]:
        return {"__type": self.code, "message": self.message}


def from_ecs_error(text: str) -> ApiError:
    """`cli.instances.EcsError` carries ``"<Exception>: <message>"``; anything else is a ClientException."""
    code, sep, message = text.partition(": ")
    if sep and code.endswith("Exception") and " " not in code:
        return ApiError(code, message)
    return ApiError("ClientException", text)


def invalid(message: str) -> ApiError:
    return ApiError("InvalidParameterException", message)


def unsupported(operation: str) -> ApiError:
    """An operation the server does not implement: never a silent success."""
    return ApiError(
        "UnsupportedOperationException",
        f"The operation {operation} is not supported by this ECS API server (ecs-operator).",
    )
