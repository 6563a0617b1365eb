"""The official client's surface over `FakeStore`: the methods `ecs_operator.kube` calls, with
their signatures, and `install`, which puts them behind every `clients()` of the operator.

Why a module of its own: the store's semantics (fakestore.py) are what tests reason about; this is
the plumbing that makes the operator's code reach it unchanged.
"""

from __future__ import annotations

import json
import types
from collections.abc import Iterator
from typing import Any

from kubernetes import client

from tests.support.fakestore import REAL_CLIENTS, FakeStore, Obj, _plain


class FakeCustomObjectsApi:
    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def _serve(self, method: str, verb: str, g: str, p: str, ns: str, name: str, body: Any = None) -> Any:
        return self.store.serve(method, verb, (g, p, ns, name), body)

    def get_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, name: str
    ) -> Obj:
        return self._serve("get_namespaced_custom_object", "get", group, plural, namespace, name)

    def get_cluster_custom_object(self, group: str, version: str, plural: str, name: str) -> Obj:
        return self._serve("get_cluster_custom_object", "get", group, plural, "", name)

    def list_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, label_selector: str = "", **_: Any
    ) -> Obj:
        key = (group, plural, namespace, "")
        return self.store.serve("list_namespaced_custom_object", "list", key, None, label_selector)

    def list_cluster_custom_object(
        self, group: str, version: str, plural: str, label_selector: str = "", **_: Any
    ) -> Obj:
        key = (group, plural, "", "")
        return self.store.serve("list_cluster_custom_object", "list", key, None, label_selector)

    def create_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, body: Obj, **_: Any
    ) -> Obj:
        name = str((body.get("metadata") or {}).get("name") or "")
        return self._serve("create_namespaced_custom_object", "create", group, plural, namespace, name, body)

    def create_cluster_custom_object(self, group: str, version: str, plural: str, body: Obj, **_: Any) -> Obj:
        name = str((body.get("metadata") or {}).get("name") or "")
        return self._serve("create_cluster_custom_object", "create", group, plural, "", name, body)

    def patch_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, name: str, body: Obj, **_: Any
    ) -> Obj:
        return self._serve("patch_namespaced_custom_object", "patch", group, plural, namespace, name, body)

    def patch_cluster_custom_object(
        self, group: str, version: str, plural: str, name: str, body: Obj, **_: Any
    ) -> Obj:
        return self._serve("patch_cluster_custom_object", "patch", group, plural, "", name, body)

    def patch_namespaced_custom_object_status(
        self, group: str, version: str, namespace: str, plural: str, name: str, body: Obj, **_: Any
    ) -> Obj:
        method = "patch_namespaced_custom_object_status"
        return self._serve(method, "patch_status", group, plural, namespace, name, body)

    def patch_cluster_custom_object_status(
        self, group: str, version: str, plural: str, name: str, body: Obj, **_: Any
    ) -> Obj:
        method = "patch_cluster_custom_object_status"
        return self._serve(method, "patch_status", group, plural, "", name, body)

    def delete_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, name: str, **_: Any
    ) -> Obj:
        return self._serve("delete_namespaced_custom_object", "delete", group, plural, namespace, name)

    def delete_cluster_custom_object(self, group: str, version: str, plural: str, name: str, **_: Any) -> Obj:
        return self._serve("delete_cluster_custom_object", "delete", group, plural, "", name)


class _Typed:
    """Core and networking answer with the client's model objects (V1Pod …), as the real ones do."""

    def __init__(self, store: FakeStore, group: str) -> None:
        self.store, self.group, self._api = store, group, client.ApiClient()

    def _model(self, data: Any, kind: str) -> Any:
        return self._api.deserialize(json.dumps(data), kind, "application/json")

    def _serve(
        self,
        method: str,
        verb: str,
        plural: str,
        ns: str,
        name: str,
        kind: str,
        body: Any = None,
        sel: str = "",
        raw: bool = False,
    ) -> Any:
        data = self.store.serve(method, verb, (self.group, plural, ns, name), body, sel)
        if raw:  # `_preload_content=False`: the JSON bytes, as the real client answers then
            return types.SimpleNamespace(data=json.dumps(data).encode())
        return self._model(data, kind)


def _name_of(body: Any) -> str:
    return str((_plain(body).get("metadata") or {}).get("name") or "")


class FakeCoreV1Api(_Typed):
    def __init__(self, store: FakeStore) -> None:
        super().__init__(store, "")

    def create_namespaced_pod(
        self, namespace: str, body: Any, _preload_content: bool = True, **_: Any
    ) -> Any:
        name = _name_of(body)
        raw = not _preload_content
        return self._serve("create_namespaced_pod", "create", "pods", namespace, name, "V1Pod", body, raw=raw)

    def read_namespaced_pod(self, name: str, namespace: str, _preload_content: bool = True, **_: Any) -> Any:
        raw = not _preload_content
        return self._serve("read_namespaced_pod", "get", "pods", namespace, name, "V1Pod", raw=raw)

    def list_namespaced_pod(self, namespace: str, label_selector: str = "", **_: Any) -> Any:
        return self._serve(
            "list_namespaced_pod", "list", "pods", namespace, "", "V1PodList", sel=label_selector
        )

    def patch_namespaced_pod(self, name: str, namespace: str, body: Any, **_: Any) -> Any:
        return self._serve("patch_namespaced_pod", "patch", "pods", namespace, name, "V1Pod", body)

    def delete_namespaced_pod(self, name: str, namespace: str, **_: Any) -> Any:
        self.store.serve("delete_namespaced_pod", "delete", ("", "pods", namespace, name))
        return None

    def read_namespace(self, name: str, **_: Any) -> Any:
        return self._serve("read_namespace", "get", "namespaces", "", name, "V1Namespace")

    def read_namespaced_config_map(self, name: str, namespace: str, **_: Any) -> Any:
        return self._serve("read_namespaced_config_map", "get", "configmaps", namespace, name, "V1ConfigMap")

    def create_namespaced_config_map(self, namespace: str, body: Any, **_: Any) -> Any:
        method = "create_namespaced_config_map"
        return self._serve(method, "create", "configmaps", namespace, _name_of(body), "V1ConfigMap", body)

    def create_namespaced_service(self, namespace: str, body: Any, **_: Any) -> Any:
        method = "create_namespaced_service"
        return self._serve(method, "create", "services", namespace, _name_of(body), "V1Service", body)

    def patch_namespaced_service(self, name: str, namespace: str, body: Any, **_: Any) -> Any:
        return self._serve(
            "patch_namespaced_service", "patch", "services", namespace, name, "V1Service", body
        )


class FakeCoordinationV1Api:
    """Leases, answered raw (`_preload_content=False`), as `kube.leases` reads them."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store

    def _raw(self, method: str, verb: str, ns: str, name: str, body: Any = None, sel: str = "") -> Any:
        key = ("coordination.k8s.io", "leases", ns, name)
        return types.SimpleNamespace(data=json.dumps(self.store.serve(method, verb, key, body, sel)).encode())

    def list_namespaced_lease(self, namespace: str, label_selector: str = "", **_: Any) -> Any:
        return self._raw("list_namespaced_lease", "list", namespace, "", sel=label_selector)

    def create_namespaced_lease(self, namespace: str, body: Any, **_: Any) -> Any:
        return self._raw("create_namespaced_lease", "create", namespace, _name_of(body), body)

    def replace_namespaced_lease(self, name: str, namespace: str, body: Any, **_: Any) -> Any:
        return self._raw("replace_namespaced_lease", "replace", namespace, name, body)

    def delete_namespaced_lease(self, name: str, namespace: str, body: Any = None, **_: Any) -> Any:
        return self._raw("delete_namespaced_lease", "delete", namespace, name, body)


class FakeNetworkingV1Api(_Typed):
    def __init__(self, store: FakeStore) -> None:
        super().__init__(store, "networking.k8s.io")

    def create_namespaced_network_policy(self, namespace: str, body: Any, **_: Any) -> Any:
        method = "create_namespaced_network_policy"
        name = _name_of(body)
        return self._serve(method, "create", "networkpolicies", namespace, name, "V1NetworkPolicy", body)


class FakeClients:
    """Stands where `ecs_operator.kube.client.clients()` returns the real `Clients`."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.core = FakeCoreV1Api(store)
        self.custom = FakeCustomObjectsApi(store)
        self.networking = FakeNetworkingV1Api(store)
        self.coordination = FakeCoordinationV1Api(store)
        self.api = client.ApiClient(client.Configuration())


def module_references() -> Iterator[tuple[Any, str]]:
    """Every (module, attribute) through which `ecs_operator` reaches `kube.client.clients`:
    modules bind it at import (`from ecs_operator.kube.client import clients`), so replacing the
    one in `kube.client` alone would leave the others calling the real client."""
    import importlib
    import pkgutil
    import sys

    import ecs_operator.kube as kube_pkg

    for info in pkgutil.iter_modules(kube_pkg.__path__):
        importlib.import_module(f"ecs_operator.kube.{info.name}")
    for name, module in list(sys.modules.items()):
        if name.startswith("ecs_operator") and getattr(module, "clients", None) is REAL_CLIENTS:
            yield module, "clients"


class _FakeClientsFunction:
    """A stand-in for the cached `clients()` function (with its `cache_clear`)."""

    def __init__(self, clients: FakeClients) -> None:
        self.clients = clients

    def __call__(self) -> FakeClients:
        return self.clients

    def cache_clear(self) -> None:
        return None


def install(store: FakeStore, monkeypatch: Any) -> FakeClients:
    """Make every `clients()` in `ecs_operator` answer from `store` (undone by `monkeypatch`)."""
    fake = FakeClients(store)
    replacement = _FakeClientsFunction(fake)
    for module, attribute in list(module_references()):
        monkeypatch.setattr(module, attribute, replacement)
    return fake
