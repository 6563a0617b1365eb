"""The fake store's own semantics: if these drift from the API server's, every test built on it
proves less. Each row is a behaviour of kube-apiserver that `kube/` relies on."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from ecs_operator.kube import client as kube_client
from ecs_operator.kube import objects, pods
from ecs_operator.kube.errors import AlreadyExists, Conflict, KubeError, NotFound
from ecs_operator.kube.objects import TASKS
from tests.support.fakeclients import module_references
from tests.support.fakestore import FakeStore, merge_patch, selects
from tests.unit.kube.conftest import NAMESPACE, World


@pytest.mark.parametrize(
    ("target", "patch", "expected"),
    [
        ({"a": 1}, {"b": 2}, {"a": 1, "b": 2}),
        ({"a": {"x": 1, "y": 2}}, {"a": {"y": None}}, {"a": {"x": 1}}),
        ({"a": [1, 2]}, {"a": [3]}, {"a": [3]}),
        ({"a": 1}, {"a": None, "b": None}, {}),
        ({"a": {"x": 1}}, {"a": 5}, {"a": 5}),
    ],
    ids=["add", "null-removes-nested", "lists-replace", "null-of-absent", "object-replaced-by-scalar"],
)
def test_merge_patch_is_rfc7386(target: Any, patch: Any, expected: Any) -> None:
    assert merge_patch(target, patch) == expected


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("", {}, True),
        ("a=1", {"a": "1"}, True),
        ("a==1", {"a": "2"}, False),
        ("a!=1", {"a": "2"}, True),
        ("a!=1", {"a": "1"}, False),
        ("a", {"b": "1"}, False),
        ("!a", {"b": "1"}, True),
        ("a=1,b", {"a": "1", "b": ""}, True),
        ("a=1,b", {"a": "1"}, False),
    ],
    ids=[
        "empty",
        "equal",
        "double-equal-mismatch",
        "not-equal",
        "not-equal-same",
        "exists-missing",
        "not-exists",
        "and",
        "and-missing",
    ],
)
def test_label_selectors(selector: str, labels: dict[str, str], expected: bool) -> None:
    assert selects(selector, labels) is expected


def test_every_module_reaching_clients_is_replaced(store: FakeStore) -> None:
    assert list(module_references()) == []  # the real function is no longer reachable from ecs_operator
    holders = [m for n, m in sys.modules.items() if n.startswith("ecs_operator") and hasattr(m, "clients")]
    assert {kube_client, objects, pods} <= set(holders)
    assert all(m.clients().store is store for m in holders)


def test_create_stamps_metadata_and_refuses_a_second_create(store: FakeStore, world: World) -> None:
    body = {"metadata": {"name": "t"}, "spec": {"cluster": "c"}}
    created = objects.create(TASKS, body, NAMESPACE)
    assert created["metadata"]["namespace"] == NAMESPACE
    assert created["metadata"]["uid"] and created["metadata"]["generation"] == 1
    with pytest.raises(AlreadyExists):
        objects.create(TASKS, body, NAMESPACE)
    assert [c.outcome for c in store.log("create")] == ["ok", 409]


@pytest.mark.parametrize(
    "call",
    [
        lambda: objects.get(TASKS, "nope", NAMESPACE),
        lambda: objects.patch(TASKS, "nope", {"spec": {}}, NAMESPACE),
        lambda: objects.patch_status(TASKS, "nope", {"a": 1}, "1", NAMESPACE),
        lambda: objects.delete(TASKS, "nope", NAMESPACE),
    ],
    ids=["get", "patch", "patch-status", "delete"],
)
def test_a_missing_object_is_404(store: FakeStore, call: Any) -> None:
    with pytest.raises(NotFound):
        call()


def test_resource_version_is_a_precondition_of_a_merge_patch(store: FakeStore, world: World) -> None:
    task = world.task("t")
    rv = task["metadata"]["resourceVersion"]
    written = objects.patch_status(TASKS, "t", {"lastStatus": "PENDING"}, rv, NAMESPACE)
    assert int(written["metadata"]["resourceVersion"]) > int(rv)
    with pytest.raises(Conflict) as caught:
        objects.patch_status(TASKS, "t", {"lastStatus": "RUNNING"}, rv, NAMESPACE)  # stale
    assert not isinstance(caught.value, AlreadyExists)
    assert world.get("ecstasks", "t")["status"] == {"lastStatus": "PENDING"}


def test_a_write_that_changes_nothing_keeps_the_resource_version(store: FakeStore, world: World) -> None:
    task = world.task("t", status={"lastStatus": "PENDING"})
    rv = task["metadata"]["resourceVersion"]
    again = objects.patch_status(TASKS, "t", {"lastStatus": "PENDING"}, rv, NAMESPACE)
    assert again["metadata"]["resourceVersion"] == rv


def test_status_and_main_resource_are_separate(store: FakeStore, world: World) -> None:
    world.task("t", status={"lastStatus": "PENDING"})
    patched = objects.patch(TASKS, "t", {"spec": {"group": "g"}, "status": {"lastStatus": "X"}}, NAMESPACE)
    assert patched["status"] == {"lastStatus": "PENDING"}  # the main resource never writes status
    assert patched["spec"]["group"] == "g" and patched["metadata"]["generation"] == 2
    rv = patched["metadata"]["resourceVersion"]
    written = objects.patch_status(TASKS, "t", {"lastStatus": "RUNNING"}, rv, NAMESPACE)
    assert written["metadata"]["generation"] == 2  # a status write is not a new generation


def test_delete_waits_for_finalizers(store: FakeStore, world: World) -> None:
    world.task("t")
    objects.patch(TASKS, "t", {"metadata": {"finalizers": ["x"]}}, NAMESPACE)
    objects.delete(TASKS, "t", NAMESPACE)
    assert world.get("ecstasks", "t")["metadata"]["deletionTimestamp"]
    objects.patch(TASKS, "t", {"metadata": {"finalizers": None}}, NAMESPACE)
    assert store.peek("ecs-operator.dev", "ecstasks", "t", NAMESPACE) is None


def test_list_filters_by_namespace_and_labels(store: FakeStore, world: World) -> None:
    world.task("a")
    store.put("ecs-operator.dev", "ecstasks", {"metadata": {"name": "b", "labels": {"s": "web"}}}, NAMESPACE)
    store.put("ecs-operator.dev", "ecstasks", {"metadata": {"name": "c", "labels": {"s": "web"}}}, "other")
    names = lambda items: sorted(i["metadata"]["name"] for i in items)  # noqa: E731
    assert names(objects.list_objects(TASKS, NAMESPACE)) == ["a", "b"]
    assert names(objects.list_objects(TASKS, NAMESPACE, label_selector="s=web")) == ["b"]
    assert names(objects.list_objects(TASKS, label_selector="s=web")) == ["b", "c"]  # every namespace


@pytest.mark.parametrize(
    ("answer", "raised", "cause"),
    [
        (409, Conflict, ApiException),
        (410, KubeError, ApiException),
        (500, KubeError, ApiException),
        (503, KubeError, ApiException),
        ("timeout", KubeError, ReadTimeoutError),
        ("reset", KubeError, ProtocolError),
    ],
    ids=["409", "410", "500", "503", "timeout", "reset"],
)
def test_a_fault_answers_only_the_nth_matching_call(
    store: FakeStore, world: World, answer: Any, raised: type[Exception], cause: type[Exception]
) -> None:
    world.task("t")
    world.task("u")
    store.fail(answer, "get", "t", at=2)
    objects.get(TASKS, "t", NAMESPACE)
    objects.get(TASKS, "u", NAMESPACE)  # another object: not counted
    with pytest.raises(raised) as caught:
        objects.get(TASKS, "t", NAMESPACE)
    assert isinstance(caught.value.__cause__, cause)  # what the official client would have raised
    objects.get(TASKS, "t", NAMESPACE)
    assert [c.outcome for c in store.log("get", "t")] == ["ok", answer, "ok"]


def test_a_fault_without_end_answers_every_call_from_at(store: FakeStore, world: World) -> None:
    world.task("t")
    store.fail(503, "get_namespaced_custom_object", at=2, times=None)
    objects.get(TASKS, "t", NAMESPACE)
    for _ in range(3):
        with pytest.raises(KubeError) as caught:
            objects.get(TASKS, "t", NAMESPACE)
        assert caught.value.status == 503


def test_an_applied_fault_writes_then_loses_the_answer(store: FakeStore, world: World) -> None:
    rv = world.task("t")["metadata"]["resourceVersion"]
    store.fail("timeout", "patch_status", "t", applied=True)
    with pytest.raises(KubeError) as caught:
        objects.patch_status(TASKS, "t", {"lastStatus": "PENDING"}, rv, NAMESPACE)
    assert caught.value.status == 0 and isinstance(caught.value.__cause__, ReadTimeoutError)
    assert world.get("ecstasks", "t")["status"] == {"lastStatus": "PENDING"}


def test_a_hook_runs_before_the_nth_call_is_answered(store: FakeStore, world: World) -> None:
    """Another writer gets in between our read and our write: our write is then stale."""
    rv = world.task("t")["metadata"]["resourceVersion"]

    def other_writer() -> None:
        store.mutate("ecs-operator.dev", "ecstasks", "t", lambda o: o.update(status={"x": 1}), NAMESPACE)

    store.before(other_writer, "patch_status", "t")
    with pytest.raises(Conflict):
        objects.patch_status(TASKS, "t", {"lastStatus": "PENDING"}, rv, NAMESPACE)
    assert world.get("ecstasks", "t")["status"] == {"x": 1}


def test_pods_are_typed_like_the_real_client(store: FakeStore) -> None:
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": {"a": "b"}},
        "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "i"}]},
    }
    created = pods.create(NAMESPACE, body)
    assert created["metadata"]["name"] == "p" and created["spec"]["nodeName"] == "n1"
    again = pods.create(NAMESPACE, body)  # AlreadyExists: the existing pod, not a second one
    assert again["metadata"]["uid"] == created["metadata"]["uid"]
    assert pods.get(NAMESPACE, "p")["metadata"]["labels"] == {"a": "b"}
    pods.delete(NAMESPACE, "p", 30)
    pods.delete(NAMESPACE, "p", 30)  # absent: fine
    assert pods.get_or_none(NAMESPACE, "p") is None
    assert [(c.verb, c.outcome) for c in store.log(plural="pods")] == [
        ("create", "ok"),
        ("create", 409),
        ("get", "ok"),
        ("get", "ok"),
        ("delete", "ok"),
        ("delete", 404),
        ("get", 404),
    ]


def test_an_api_exception_carries_the_status_body(store: FakeStore) -> None:
    with pytest.raises(NotFound) as caught:
        objects.get(TASKS, "nope", NAMESPACE)
    cause = caught.value.__cause__
    assert isinstance(cause, ApiException) and '"reason": "NotFound"' in str(cause.body)


def test_leases_are_compare_and_swap_like_the_api_server(store: FakeStore) -> None:
    """`kube.leases`: create, replace at the version read (else 409), delete with preconditions."""
    from datetime import UTC, datetime

    from ecs_operator.kube import leases

    now = datetime(2026, 1, 1, tzinfo=UTC)
    first = leases.write("ops", "prod", "cluster", "a", now, 15, None)
    assert [lease.holder for lease in leases.list_leases("ops")] == ["a"]
    taken = leases.write("ops", "prod", "cluster", "b", now, 15, first)
    with pytest.raises(Conflict):
        leases.write("ops", "prod", "cluster", "c", now, 15, first)  # stale: b wrote since
    leases.delete("ops", first)  # changed since: left alone
    assert [lease.holder for lease in leases.list_leases("ops")] == ["b"]
    leases.delete("ops", taken)
    assert leases.list_leases("ops") == []
    assert [c.outcome for c in store.log("replace")] == ["ok", 409]
    assert [c.outcome for c in store.log("delete")] == [409, "ok"]


def test_namespace_labels(store: FakeStore) -> None:
    from ecs_operator.kube import namespaces

    store.put("", "namespaces", {"metadata": {"name": "team", "labels": {"tier": "prod"}}})
    assert namespaces.labels("team") == {"tier": "prod"}
    assert namespaces.labels("nope") is None
