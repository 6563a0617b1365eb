"""Task definition revisions as immutable ConfigMaps, owned by their EcsTaskDefinition.

Why ConfigMaps: a revision must never change once registered (ECS), and Kubernetes enforces that
for a ConfigMap with `immutable: true`; the family object's status stays small however many
revisions there are. The name is deterministic (`ecstd.<family>.<revision>`), so two writers
racing to register the same revision meet on AlreadyExists and compare contents.
"""

from __future__ import annotations

import contextlib
import json

from kubernetes import client

from ecs_operator.api.meta import owner_reference
from ecs_operator.kube.client import as_model, clients
from ecs_operator.kube.errors import AlreadyExists, NotFound, map_api_errors
from ecs_operator.kube.views import Obj
from ecs_operator.names import FAMILY_LABEL, REVISION_LABEL
from ecs_operator.reconcile.taskdefs import revision_object_name, snapshot_of, spec_hash

SPEC_KEY = "taskDefinition.json"
HASH_KEY = "specHash"


@map_api_errors
def _read(namespace: str, name: str) -> Obj:
    cm = clients().core.read_namespaced_config_map(name, namespace)
    return {"data": dict(cm.data or {})}


@map_api_errors
def _delete(namespace: str, name: str) -> None:
    clients().core.delete_namespaced_config_map(name, namespace)


@map_api_errors
def _create(namespace: str, body: Obj) -> None:
    clients().core.create_namespaced_config_map(namespace, as_model(body, client.V1ConfigMap))


def read_revision(namespace: str, family: str, revision: int) -> tuple[Obj, str]:
    """The snapshot (camelCase spec) and its hash; `NotFound` if that revision was never stored."""
    data = _read(namespace, revision_object_name(family, revision))["data"]
    return json.loads(data[SPEC_KEY]), data.get(HASH_KEY, "")


def store_revision(namespace: str, family: str, revision: int, spec: Obj, owner_uid: str) -> bool:
    """Store `spec` as `revision`; False when that revision already holds a different spec."""
    digest = spec_hash(spec)
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "immutable": True,
        "metadata": {
            "name": revision_object_name(family, revision),
            "labels": {FAMILY_LABEL: family, REVISION_LABEL: str(revision)},
            "ownerReferences": [owner_reference("EcsTaskDefinition", family, owner_uid, controller=False)],
        },
        "data": {SPEC_KEY: json.dumps(snapshot_of(spec), sort_keys=True), HASH_KEY: digest},
    }
    try:
        _create(namespace, body)
        return True
    except AlreadyExists:
        _, existing = read_revision(namespace, family, revision)
        return existing == digest


def delete_revision(namespace: str, family: str, revision: int) -> None:
    """Purge a DELETE_IN_PROGRESS revision's snapshot (gone already is fine: purging is idempotent)."""
    with contextlib.suppress(NotFound):
        _delete(namespace, revision_object_name(family, revision))
