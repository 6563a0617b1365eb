"""API access for `kubectl ecs`: credentials chosen the way kubectl chooses them, and spec writes
with compare-and-swap.

Why a module: the operator loads its credentials once (`client.configure`: a kubeconfig path or
in-cluster); a kubectl plugin must honour what kubectl honours — `--kubeconfig`, `$KUBECONFIG`
(a list of files), `--context`, the context's namespace — and nothing of that belongs in the
operator's path. People's edits (PutAttributes, UpdateContainerInstancesState, StopTask) are
read-modify-write of a spec; like every write of shared state here, they carry the
resourceVersion they were computed from, so a concurrent edit is never silently overwritten.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import yaml
from kubernetes import config
from kubernetes.config.config_exception import ConfigException

from ecs_operator.kube import objects
from ecs_operator.kube.client import clients
from ecs_operator.kube.errors import Conflict, KubeError
from ecs_operator.kube.objects import Obj, Resource

IN_CLUSTER_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


def configure(kubeconfig: str | None = None, context: str | None = None) -> str:
    """Load credentials like kubectl and return the namespace of the chosen context.

    Order: ``--kubeconfig``; else ``$KUBECONFIG`` (colon-separated files are merged); else
    ``~/.kube/config``; else, inside a pod, the in-cluster service account.
    """
    files = kubeconfig or os.environ.get("KUBECONFIG") or None
    default_file = Path("~/.kube/config").expanduser()
    try:
        if files is None and not default_file.exists() and os.environ.get("KUBERNETES_SERVICE_HOST"):
            config.load_incluster_config()
            namespace = IN_CLUSTER_NAMESPACE.read_text().strip() if IN_CLUSTER_NAMESPACE.exists() else ""
        else:
            context = context or _first_current_context(files or str(default_file))
            config.load_kube_config(config_file=files, context=context)
            namespace = _context_namespace(files, context)
    except (ConfigException, OSError, yaml.YAMLError) as exc:
        raise KubeError(f"cannot load the kubeconfig: {exc}") from exc
    clients.cache_clear()
    return namespace or "default"


def _first_current_context(files: str) -> str | None:
    """kubectl's current context of a $KUBECONFIG list: the first file that sets one wins.

    (The client library's merger lets the last file win; the contexts, clusters and users
    themselves it merges as kubectl does, first name wins.)
    """
    for path in files.split(os.pathsep):
        file = Path(path).expanduser()
        if path and file.is_file():
            data = yaml.safe_load(file.read_text()) or {}
            if isinstance(data, dict) and data.get("current-context"):
                return str(data["current-context"])
    return None


def _context_namespace(files: str | None, context: str | None) -> str:
    contexts, active = config.list_kube_config_contexts(config_file=files)
    chosen: Obj | None = active
    if context is not None:
        chosen = next((c for c in contexts if c.get("name") == context), None)
    return str(((chosen or {}).get("context") or {}).get("namespace") or "")


def update_spec(
    res: Resource,
    name: str,
    compute: Callable[[Obj], Obj | None],
    namespace: str | None = None,
    attempts: int = 5,
) -> Obj:
    """Compare-and-swap a merge patch of the main resource (spec or metadata).

    ``compute`` gets the object as read and returns the patch (without metadata.resourceVersion),
    or None when nothing needs writing; it may raise to refuse the change. On 409 the object is
    read again and ``compute`` runs again, at most ``attempts`` times.
    """
    for _ in range(attempts):
        obj = objects.get(res, name, namespace)
        body = compute(obj)
        if body is None:
            return obj
        meta = {**(body.get("metadata") or {}), "resourceVersion": obj["metadata"]["resourceVersion"]}
        try:
            return objects.patch(res, name, {**body, "metadata": meta}, namespace)
        except Conflict:
            continue
    raise Conflict(f"{res.plural}/{name}: still conflicting after {attempts} attempts", 409)
