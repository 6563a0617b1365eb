"""The suite's own API client: the admin kubeconfig, straight to the API server (never through
Toxiproxy), every call with a timeout so that a stopped API server costs a failed call, not a hang.

Why not kubectl: a run reads the whole state every few seconds; one client in the harness's
process is far cheaper on 2 cores than a kubectl process per read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

GROUP, VERSION = "ecs-operator.dev", "v1alpha1"
TIMEOUT = 15
Obj = dict[str, Any]


@dataclass(frozen=True)
class Api:
    core: client.CoreV1Api
    custom: client.CustomObjectsApi
    coordination: client.CoordinationV1Api

    @classmethod
    def from_kubeconfig(cls, path: Path) -> Api:
        cfg = client.Configuration()
        config.load_kube_config(config_file=str(path), client_configuration=cfg)
        cfg.retries = 1  # a refused call fails fast; the harness decides when to try again
        api = client.ApiClient(cfg)
        return cls(client.CoreV1Api(api), client.CustomObjectsApi(api), client.CoordinationV1Api(api))

    def ready(self) -> bool:
        try:
            self.core.list_namespace(limit=1, _request_timeout=3)
        except Exception:  # any failure means "not now"
            return False
        return True

    def items(self, plural: str, namespace: str | None = None, selector: str | None = None) -> list[Obj]:
        kw: dict[str, Any] = {"_request_timeout": TIMEOUT}
        if selector:
            kw["label_selector"] = selector
        if namespace is None:
            out = self.custom.list_cluster_custom_object(GROUP, VERSION, plural, **kw)
        else:
            out = self.custom.list_namespaced_custom_object(GROUP, VERSION, namespace, plural, **kw)
        return list(out["items"])

    def get(self, plural: str, name: str, namespace: str | None = None) -> Obj:
        if namespace is None:
            return dict(
                self.custom.get_cluster_custom_object(GROUP, VERSION, plural, name, _request_timeout=TIMEOUT)
            )
        return dict(
            self.custom.get_namespaced_custom_object(
                GROUP, VERSION, namespace, plural, name, _request_timeout=TIMEOUT
            )
        )

    def create(self, kind: str, plural: str, name: str, spec: Obj, namespace: str | None = None) -> bool:
        """Create one object; False when it exists already (a retried step whose first try landed)."""
        body = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": kind,
            "metadata": {"name": name, **({"namespace": namespace} if namespace else {})},
            "spec": spec,
        }
        try:
            if namespace is None:
                self.custom.create_cluster_custom_object(
                    GROUP, VERSION, plural, body, _request_timeout=TIMEOUT
                )
            else:
                self.custom.create_namespaced_custom_object(
                    GROUP, VERSION, namespace, plural, body, _request_timeout=TIMEOUT
                )
        except ApiException as err:
            if err.status == 409:
                return False
            raise
        return True

    def patch_spec(self, plural: str, name: str, spec: Obj, namespace: str | None = None) -> None:
        body = {"spec": spec}
        if namespace is None:
            self.custom.patch_cluster_custom_object(
                GROUP, VERSION, plural, name, body, _request_timeout=TIMEOUT
            )
        else:
            self.custom.patch_namespaced_custom_object(
                GROUP, VERSION, namespace, plural, name, body, _request_timeout=TIMEOUT
            )

    def delete(self, plural: str, name: str, namespace: str) -> None:
        try:
            self.custom.delete_namespaced_custom_object(
                GROUP, VERSION, namespace, plural, name, _request_timeout=TIMEOUT
            )
        except ApiException as err:
            if err.status != 404:
                raise

    def pods(self, namespace: str) -> list[Obj]:
        """Pods as the API returns them (raw JSON, not the client's models: camelCase like the rest)."""
        resp = self.core.list_namespaced_pod(namespace, _preload_content=False, _request_timeout=TIMEOUT)
        return list(json.loads(resp.data)["items"])

    def leases(self) -> list[Obj]:
        resp = self.coordination.list_lease_for_all_namespaces(
            _preload_content=False, _request_timeout=TIMEOUT
        )
        return list(json.loads(resp.data)["items"])
