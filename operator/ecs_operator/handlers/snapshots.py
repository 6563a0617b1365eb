"""The placement snapshot of a cluster: the watch cache, overlaid with this process's own commits.

Why: Kopf's index (the watch cache) shows a claim only once the watch event arrives, so two
placements in quick succession would both see the instance without the other's claim and pile
onto the same "best" instance (safe, because commits are compare-and-swap, but badly spread).
Placements of one cluster are therefore serialized in this process, and each commit's answer (the
instance at its new resourceVersion) is remembered and preferred over an older cached copy. Other
schedulers (a second replica, a custom scheduler) are still seen through the cache and handled by
the CAS protocol.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

Obj = dict[str, Any]

_latest: dict[str, Obj] = {}
_guard = threading.Lock()
_cluster_locks: dict[str, threading.Lock] = {}


def _rv(obj: Obj) -> int:
    try:
        return int(obj["metadata"]["resourceVersion"])
    except (KeyError, TypeError, ValueError):
        return 0


def remember(obj: Obj) -> None:
    """Record an instance as this process last wrote or read it."""
    name = obj["metadata"]["name"]
    with _guard:
        known = _latest.get(name)
        if known is None or _rv(obj) >= _rv(known):
            _latest[name] = obj


def latest(name: str) -> Obj | None:
    """The instance as this process last wrote or read it (None: not since it started)."""
    with _guard:
        return _latest.get(name)


def forget(name: str) -> None:
    """The instance is gone (deleted, or a commit found it missing): drop this process's copy."""
    with _guard:
        _latest.pop(name, None)


def merged(cached: Iterable[Obj], cluster: str | None = None) -> list[Obj]:
    """The newest copy of each instance: the cache's, or the one this process wrote or read later.

    With `cluster`, instances of that cluster this process knows but the watch has not delivered
    yet (a just-registered instance) are included too.
    """
    out = []
    seen: set[str] = set()
    with _guard:
        for obj in cached:
            name = obj["metadata"]["name"]
            seen.add(name)
            mine = _latest.get(name)
            out.append(mine if mine is not None and _rv(mine) > _rv(obj) else obj)
        if cluster is not None:
            out += [
                o
                for n, o in _latest.items()
                if n not in seen and (o.get("spec") or {}).get("cluster") == cluster
            ]
    return out


def placement_lock(cluster: str) -> threading.Lock:
    with _guard:
        return _cluster_locks.setdefault(cluster, threading.Lock())
