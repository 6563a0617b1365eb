"""Access keys of the ECS API server: Kubernetes Secrets, read with the server's own credentials.

A key is a Secret in the server's namespace labelled ``ecs-operator.dev/access-key-id=<key id>``
with ``secretAccessKey`` (the shared secret of SigV4), ``user`` (the Kubernetes user the calls
are made as, e.g. ``system:serviceaccount:team-a:deployer``) and optionally ``namespace`` (where
that key's ECS objects live; default: the server's ``--namespace``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from kubernetes import client

from ecs_operator.kube.client import as_model, clients
from ecs_operator.kube.errors import map_api_errors
from ecs_operator.names import ACCESS_KEY_LABEL

KEY_LABEL = ACCESS_KEY_LABEL


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


def new_key(user: str, namespace: str | None) -> AccessKey:
    """A fresh key: an id in AWS's form (AKIA + 16 of A-Z0-9) and a 40-character secret."""
    import secrets
    import string

    alphabet = string.ascii_uppercase + string.digits
    key_id = "AKIA" + "".join(secrets.choice(alphabet) for _ in range(16))
    return AccessKey(key_id, secrets.token_urlsafe(30), user, namespace)


@map_api_errors
def create(keys_namespace: str, key: AccessKey) -> str:
    """Store `key` as a Secret of `keys_namespace`; returns the Secret's name."""
    name = f"ecs-access-key-{key.key_id.lower()}"
    data = {
        "secretAccessKey": key.secret,
        "user": key.user,
        **({"namespace": key.namespace} if key.namespace else {}),
    }
    body = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "labels": {KEY_LABEL: key.key_id}},
        "type": "Opaque",
        "stringData": data,
    }
    clients().core.create_namespaced_secret(keys_namespace, as_model(body, client.V1Secret))
    return name
