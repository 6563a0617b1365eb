"""Access keys of the ECS API server: Kubernetes Secrets, read with the server's own credentials.

A key is a Secret in the server's namespace labelled ``ecs-operator.dev/access-key-id=<key id>``
with ``secretAccessKey`` (the shared secret of SigV4), ``user`` (the Kubernetes user the calls
are made as, e.g. ``system:serviceaccount:team-a:deployer``) and optionally ``namespace`` (where
that key's ECS objects live; default: the server's ``--namespace``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from ecs_operator.kube.client import clients
from ecs_operator.kube.errors import map_api_errors

KEY_LABEL = "ecs-operator.dev/access-key-id"


@dataclass(frozen=True)
class AccessKey:
    key_id: str
    secret: str
    user: str
    namespace: str | None


@map_api_errors
def find(namespace: str, key_id: str) -> AccessKey | None:
    """The key `key_id`, or None when no (complete) Secret holds it."""
    if not key_id.isalnum() or len(key_id) > 63:  # not a valid label value: cannot be a key of ours
        return None
    found = clients().core.list_namespaced_secret(namespace, label_selector=f"{KEY_LABEL}={key_id}")
    for item in found.items:
        data = {k: base64.b64decode(v).decode() for k, v in (item.data or {}).items()}
        if data.get("secretAccessKey") and data.get("user"):
            return AccessKey(key_id, data["secretAccessKey"], data["user"], data.get("namespace") or None)
    return None
