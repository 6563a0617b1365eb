"""The resolver's watch-fed copy of task definition families (`task_launch._cached_family`): a
task naming a revision the watch has shown resolves without reading its family; a task naming
the family alone (its latest revision), or a revision the watch has not shown, reads it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from ecs_operator.handlers import task_launch as tl
from ecs_operator.kube.objects import TASK_DEFINITIONS
from tests.support.fakestore import FakeStore
from tests.unit.kube.conftest import World


@pytest.fixture(autouse=True)
def families(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(tl, "_families", {})
    yield


def family_reads(store: FakeStore) -> int:
    return sum(1 for c in store.calls if c.verb == "get" and c.plural == TASK_DEFINITIONS.plural)


@pytest.mark.parametrize(
    ("reference", "reads"),
    [("web:1", 0), ("web", 1), ("web:2", 1)],
    ids=["revision-shown", "latest", "revision-not-shown"],
)
def test_a_named_revision_the_watch_showed_is_resolved_without_a_read(
    store: FakeStore, world: World, reference: str, reads: int
) -> None:
    family = world.task_definition()
    tl.remember_family(family["metadata"]["namespace"], "web", family)
    task = world.task("t", taskDefinition=reference)
    store.calls.clear()
    with contextlib.suppress(tl.LaunchFailed, tl.NotYet):  # web:2 is not registered: only the read matters
        tl.resolve_task(task)
    assert family_reads(store) == reads


def test_a_deleted_family_is_forgotten(store: FakeStore, world: World) -> None:
    family = world.task_definition()
    tl.remember_family(family["metadata"]["namespace"], "web", family)
    tl.remember_family(family["metadata"]["namespace"], "web", None)
    store.calls.clear()
    tl.resolve_task(world.task("t", taskDefinition="web:1"))
    assert family_reads(store) == 1
