"""Deterministic names: deployment ids, task names, event ids and message digests.

Why deterministic: two operator replicas may plan from the same snapshot at once (architecture.md
§2). Identical inputs must give identical names, so that the second one to apply a plan gets
AlreadyExists from the API server instead of creating a duplicate task, and both agree on the id
of a deployment. Every name is a hash of the service's uid and a counter kept in the scheduler
state (never of the clock or of randomness).

| name           | form                                         | hashed from                            |
|----------------|----------------------------------------------|----------------------------------------|
| deployment id  | ``ecs-svc/<up to 19 digits>`` (as ECS, §4)   | service uid, family:revision,          |
|                |                                              | forceNewDeployment, deployment counter |
| task name      | ``<service name, ≤52 chars>-<10 hex>`` (≤63) | service uid, task counter              |
| event id       | a UUID                                       | service uid, createdAt, message, index |
| message digest | 16 hex                                       | the message                            |
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

_TASK_PREFIX = 52  # + "-" + 10 hex = 63: also a valid label value and pod name


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()


def deployment_id(service_uid: str, task_definition: str, force: str | None, counter: int) -> str:
    """``ecs-svc/<number>``: a 63-bit number, like the ids ECS gives (ecs-svc/9223370545345641169)."""
    number = (
        int.from_bytes(_digest("deployment", service_uid, task_definition, force or "", counter)[:8]) >> 1
    )
    return f"ecs-svc/{number}"


def task_name(service_name: str, service_uid: str, counter: int) -> str:
    """The name of the ``counter``-th task the service starts."""
    prefix = service_name[:_TASK_PREFIX].rstrip("-.")
    return f"{prefix}-{_digest('task', service_uid, counter).hex()[:10]}"


def event_id(service_uid: str, created_at: datetime, message: str, position: int) -> str:
    return str(
        uuid.UUID(
            bytes=_digest("event", service_uid, created_at.isoformat(), message, position)[:16], version=4
        )
    )


def message_digest(message: str) -> str:
    return _digest("message", message).hex()[:16]
