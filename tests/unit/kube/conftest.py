"""Fixtures for the unit tests of `kube/` and of the handlers' API logic: the fake store installed
behind `clients()`, and a small world (a cluster's container instances, a registered task
definition, tasks) built the way the operator builds them.

Why build instances with `desired_instance_status` rather than by hand: the placement snapshot
reads the same fields the operator writes, so a hand-written instance could pass here and not
describe anything the operator would ever see.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from ecs_operator.handlers import batcher, services, snapshots, tasks
from ecs_operator.handlers import task_launch as tl
from ecs_operator.kube import taskdefs as ktaskdefs
from ecs_operator.kube.objects import GROUP, INSTANCES, SERVICES, TASK_DEFINITIONS, TASKS, Obj
from ecs_operator.reconcile.instances import ForeignUsage, desired_instance_status, instance_name
from ecs_operator.reconcile.taskdefs import revision_object_name, snapshot_of, spec_hash
from tests.support.fakeclients import install
from tests.support.fakestore import FakeStore

NAMESPACE = "team"
CLUSTER = "prod"


@dataclass
class World:
    """Objects as the operator would find them, put straight into the store (no call logged)."""

    store: FakeStore

    def node(self, name: str, zone: str, cpu: str = "2", memory: str = "4Gi") -> Obj:
        return {
            "metadata": {
                "name": name,
                "labels": {"topology.kubernetes.io/zone": zone, "kubernetes.io/os": "linux"},
            },
            "status": {
                "allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
                "conditions": [{"type": "Ready", "status": "True"}],
            },
        }

    def instance(self, node: str, zone: str = "zone-a", cpu: str = "2", memory: str = "4Gi") -> Obj:
        spec = {"cluster": CLUSTER, "nodeName": node, "status": "ACTIVE"}
        status = desired_instance_status(
            spec=spec,
            status={},
            node=self.node(node, zone, cpu, memory),
            selected=True,
            usage=ForeignUsage(),
            now=datetime(2026, 1, 1, tzinfo=UTC),
            launch_type="EC2",
        )
        body = {
            "apiVersion": f"{GROUP}/v1alpha1",
            "kind": "EcsContainerInstance",
            "metadata": {
                "name": instance_name(CLUSTER, node),
                "labels": {"ecs-operator.dev/cluster": CLUSTER, "ecs-operator.dev/node": node},
            },
            "spec": spec,
            "status": status,
        }
        return self.store.put(GROUP, INSTANCES.plural, body)

    def task_definition(self, family: str = "web", cpu: int = 256, memory: int = 512) -> Obj:
        spec = {
            "containerDefinitions": [{"name": family, "image": "nginx:1.27", "cpu": cpu, "memory": memory}]
        }
        self.store.put(
            "",
            "configmaps",
            {
                "metadata": {"name": revision_object_name(family, 1)},
                "data": {
                    ktaskdefs.SPEC_KEY: json.dumps(snapshot_of(spec), sort_keys=True),
                    ktaskdefs.HASH_KEY: spec_hash(spec),
                },
            },
            NAMESPACE,
        )
        return self.store.put(
            GROUP,
            TASK_DEFINITIONS.plural,
            {
                "metadata": {"name": family, "generation": 1},
                "spec": spec,
                "status": {"observedGeneration": 1, "revisions": [{"revision": 1, "status": "ACTIVE"}]},
            },
            NAMESPACE,
        )

    def task(self, name: str, status: Obj | None = None, **spec: Any) -> Obj:
        body: Obj = {
            "apiVersion": f"{GROUP}/v1alpha1",
            "kind": "EcsTask",
            "metadata": {"name": name, "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"cluster": CLUSTER, "taskDefinition": "web", **spec},
        }
        if status is not None:
            body["status"] = status
        return self.store.put(GROUP, TASKS.plural, body, NAMESPACE)

    def service(self, name: str = "web", **spec: Any) -> Obj:
        body = {
            "apiVersion": f"{GROUP}/v1alpha1",
            "kind": "EcsService",
            "metadata": {"name": name},
            "spec": {"cluster": CLUSTER, "taskDefinition": "web", "desiredCount": 2, **spec},
        }
        return self.store.put(GROUP, SERVICES.plural, body, NAMESPACE)

    def get(self, plural: str, name: str, namespace: str | None = NAMESPACE) -> Obj:
        found = self.store.peek(GROUP, plural, name, namespace)
        assert found is not None, f"{plural}/{name} is not in the store"
        return found

    def claims(self, instance: str) -> list[Obj]:
        return list((self.get(INSTANCES.plural, instance, None).get("status") or {}).get("claims") or [])


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStore]:
    """A fresh store behind every `clients()`; the process-wide caches of the handlers emptied."""
    fake = FakeStore()
    install(fake, monkeypatch)
    monkeypatch.setattr(snapshots, "_latest", {})
    monkeypatch.setattr(snapshots, "_cluster_locks", {})
    monkeypatch.setattr(batcher, "_queues", {})
    monkeypatch.setattr(services, "_locks", {})
    monkeypatch.setattr(services, "_dirty", set())
    monkeypatch.setattr(tasks, "_pods_seen", set())
    monkeypatch.setattr(tasks, "_written", {})
    monkeypatch.setattr(tasks, "_deleted", set())
    monkeypatch.setattr(tasks, "_task_locks", {})
    tl._revision.cache_clear()
    yield fake
    tl._revision.cache_clear()


@pytest.fixture
def world(store: FakeStore) -> World:
    return World(store)


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """Kubernetes Events the handlers post (type, reason, message), instead of Kopf's queue."""
    import kopf

    posted: list[tuple[str, str, str]] = []

    def event(body: Any, *, type: str, reason: str, message: str = "") -> None:
        posted.append((type, reason, message))

    def warn(body: Any, *, reason: str, message: str = "") -> None:
        posted.append(("Warning", reason, message))

    monkeypatch.setattr(kopf, "event", event)
    monkeypatch.setattr(kopf, "warn", warn)
    return posted
