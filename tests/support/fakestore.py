"""An in-memory object store behind `ecs_operator.kube`: the official client's methods, answered
deterministically, with scripted faults and a call log. For unit tests only.

Why: the code that talks to the API server (claim commits, status compare-and-swap loops,
adoption after a crash, a service pass that re-plans on 409) has branches that a real API server
reaches only by luck: a 409 at the third attempt, a 500 on the claim's write, a timeout after
the write was applied. Here each branch is reached on purpose and replayed identically.
Integration tests never use this: they run against the real kube-apiserver and etcd
(testing.md); this store imitates only the few semantics `kube/` relies on, stated here so a
test that depends on more knows to go to the real thing:

- one resourceVersion counter for the whole store (as etcd's revision); a write that changes
  nothing keeps the object's resourceVersion (as the API server does);
- a merge patch (RFC 7386) carrying `metadata.resourceVersion` is a precondition: a mismatch is
  409 Conflict and nothing is written, and so is one in a replace (PUT) or in a delete's
  preconditions; create of an existing name is 409 AlreadyExists; a missing object is 404 NotFound;
- `.../status` patches change only `status`; patches of the main resource never change `status`
  and bump `metadata.generation` when `spec` changes (a CRD with the status subresource);
- delete of an object with finalizers sets `deletionTimestamp`; it goes once they are removed.
  Pods are deleted at once (there is no kubelet here to confirm a graceful stop);
- label selectors: `k=v`, `k==v`, `k!=v`, `k`, `!k`, comma-separated.

The client surface over the store (CustomObjectsApi, CoreV1Api, NetworkingV1Api) and `install`
are in fakeclients.py. Faults (`fail`) answer the Nth matching call of a method on an object with a status (409, 410,
500, 503 …), a timeout (urllib3's `ReadTimeoutError`, which the official client lets escape) or
a connection reset, optionally *after* applying the write (the answer was lost, the write was
not). `before` runs an action at the Nth matching call, before it is answered: another writer
getting in between a read and a write, deterministically. `calls` is the log to assert on.
"""

from __future__ import annotations

import copy
import json
import threading
import types
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from ecs_operator.kube import client as kube_client

REAL_CLIENTS = kube_client.clients  # as imported, before any test replaced it

Obj = dict[str, Any]
Key = tuple[str, str, str, str]  # (group, plural, namespace or "", name)

TIMEOUT = "timeout"
RESET = "reset"
REASONS = {
    400: "BadRequest",
    404: "NotFound",
    409: "Conflict",
    410: "Expired",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


@dataclass(frozen=True)
class Call:
    """One call the code under test made: the client method, its verb, what it was about, and
    how it was answered ("ok", an HTTP status, "timeout" or "reset")."""

    method: str
    verb: str  # get, list, create, patch, patch_status, replace, delete
    plural: str
    namespace: str
    name: str
    outcome: str | int
    body: Obj | None = None


@dataclass
class Fault:
    """Answer the matching calls number `at` … `at + times - 1` (1-based) with `answer`.

    `method` is a client method name or a verb ("patch_status"); None, `plural` None and `name`
    None match anything. `times=None`: every matching call from `at` on. `applied`: the write
    happens, then the answer is the fault (a response lost on the way back).
    """

    answer: int | str
    method: str | None = None
    plural: str | None = None
    name: str | None = None
    at: int = 1
    times: int | None = 1
    applied: bool = False
    seen: int = 0
    fired: int = 0

    def matches(self, call: Call) -> bool:
        return (
            (self.method is None or self.method in (call.method, call.verb))
            and (self.plural is None or self.plural == call.plural)
            and (self.name is None or self.name == call.name)
        )

    def due(self) -> bool:
        """Count one matching call; True when this one is to be answered by the fault."""
        self.seen += 1
        return self.seen >= self.at and (self.times is None or self.seen < self.at + self.times)


@dataclass
class Hook:
    """Run `action` at the matching call number `at`, before it is answered."""

    action: Callable[[], None]
    method: str | None = None
    plural: str | None = None
    name: str | None = None
    at: int = 1
    seen: int = 0

    def matches(self, call: Call) -> bool:
        return Fault(0, self.method, self.plural, self.name).matches(call)


def api_exception(status: int, reason: str | None = None, message: str = "") -> ApiException:
    """The exception the official client raises for `status` (its subclass: `ConflictException`,
    `NotFoundException`, `ServiceException` …), the body being the API server's Status."""
    reason = reason or REASONS.get(status, "Unknown")
    body = json.dumps(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "status": "Failure",
            "message": message or reason,
            "reason": reason,
            "code": status,
        }
    )
    response = types.SimpleNamespace(
        status=status,
        reason=HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else reason,
        data=body.encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        ApiException.from_response(http_resp=response, body=body, data=None)
    except ApiException as exc:
        return exc
    raise AssertionError("ApiException.from_response did not raise")  # pragma: no cover


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: objects merge, null removes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def selects(selector: str, labels: dict[str, str]) -> bool:
    """Equality-based label selector semantics (what `kube/` uses)."""
    for raw in filter(None, (s.strip() for s in selector.split(","))):
        if "!=" in raw:
            k, v = raw.split("!=", 1)
            if labels.get(k.strip()) == v.strip():
                return False
        elif "=" in raw:
            k, v = raw.replace("==", "=").split("=", 1)
            if labels.get(k.strip()) != v.strip():
                return False
        elif raw.startswith("!"):
            if raw[1:] in labels:
                return False
        elif raw not in labels:
            return False
    return True


def _plain(body: Any) -> Obj:
    """A JSON round trip: what went over the wire, never an alias of the caller's dict."""
    if not isinstance(body, dict):
        body = client.ApiClient().sanitize_for_serialization(body)
    return dict(json.loads(json.dumps(body)))


@dataclass
class FakeStore:
    """The objects, the resourceVersion counter, the fault script and the call log."""

    objects: dict[Key, Obj] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    hooks: list[Hook] = field(default_factory=list)
    revision: int = 0
    uids: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock)

    # ---- test-side access (not logged, never faulted) ----

    def put(self, group: str, plural: str, body: Obj, namespace: str | None = None) -> Obj:
        """Store an object as if created earlier (uid, resourceVersion filled in); returns a copy."""
        with self.lock:
            obj = _plain(body)
            meta = obj.setdefault("metadata", {})
            if namespace:
                meta["namespace"] = namespace
            self._stamp_new(meta)
            self.objects[(group, plural, meta.get("namespace") or "", meta["name"])] = obj
            return copy.deepcopy(obj)

    def peek(self, group: str, plural: str, name: str, namespace: str | None = None) -> Obj | None:
        with self.lock:
            obj = self.objects.get((group, plural, namespace or "", name))
            return copy.deepcopy(obj) if obj is not None else None

    def all(self, group: str, plural: str, namespace: str | None = None) -> list[Obj]:
        with self.lock:
            return [
                copy.deepcopy(o)
                for (g, p, ns, _), o in sorted(self.objects.items())
                if g == group and p == plural and (namespace is None or ns == namespace)
            ]

    def mutate(
        self, group: str, plural: str, name: str, fn: Callable[[Obj], None], namespace: str | None = None
    ) -> Obj:
        """Change an object in place as another writer would: a new resourceVersion."""
        with self.lock:
            obj = self.objects[(group, plural, namespace or "", name)]
            fn(obj)
            obj["metadata"]["resourceVersion"] = self._next_rv()
            return copy.deepcopy(obj)

    def fail(
        self,
        answer: int | str,
        method: str | None = None,
        name: str | None = None,
        *,
        plural: str | None = None,
        at: int = 1,
        times: int | None = 1,
        applied: bool = False,
    ) -> Fault:
        fault = Fault(answer, method, plural, name, at, times, applied)
        with self.lock:
            self.faults.append(fault)
        return fault

    def before(
        self,
        action: Callable[[], None],
        method: str | None = None,
        name: str | None = None,
        *,
        plural: str | None = None,
        at: int = 1,
    ) -> Hook:
        hook = Hook(action, method, plural, name, at)
        with self.lock:
            self.hooks.append(hook)
        return hook

    def log(
        self, method: str | None = None, name: str | None = None, plural: str | None = None
    ) -> list[Call]:
        """The calls matching (a method name or a verb, an object name, a plural)."""
        probe = Fault(0, method, plural, name)
        return [c for c in self.calls if probe.matches(c)]

    # ---- the server side ----

    def _next_rv(self) -> str:
        self.revision += 1
        return str(self.revision)

    def _stamp_new(self, meta: Obj) -> None:
        self.uids += 1
        meta.setdefault("uid", str(uuid.UUID(int=self.uids)))
        meta["resourceVersion"] = self._next_rv()
        meta.setdefault("generation", 1)
        meta.setdefault("creationTimestamp", "2026-01-01T00:00:00Z")

    def serve(
        self,
        method: str,
        verb: str,
        key: Key,
        body: Any = None,
        label_selector: str = "",
    ) -> Any:
        """Answer one call: hooks, then faults, then the semantics of `verb`."""
        _group, plural, namespace, name = key
        plain_body = _plain(body) if body is not None else None
        call = Call(method, verb, plural, namespace, name, "ok", plain_body)
        with self.lock:
            for hook in self.hooks:
                if hook.matches(call):
                    hook.seen += 1
                    if hook.seen == hook.at:
                        hook.action()
            # Every matching fault counts the call (a list, not a generator: no short-circuit);
            # the first one due answers it.
            due = [f for f in self.faults if f.matches(call) and f.due()]
            fault = due[0] if due else None
            if fault is not None and not fault.applied:
                self._raise(call, fault)
            try:
                result = self._apply(verb, key, plain_body, label_selector)
            except ApiException as exc:
                self.calls.append(_with_outcome(call, int(exc.status)))
                raise
            if fault is not None:
                self._raise(call, fault)
            self.calls.append(call)
            return result

    def _raise(self, call: Call, fault: Fault) -> None:
        fault.fired += 1
        outcome: int | str = fault.answer
        self.calls.append(_with_outcome(call, outcome))
        if fault.answer == TIMEOUT:
            raise ReadTimeoutError(None, f"/{call.plural}/{call.name}", "Read timed out. (read timeout=30)")
        if fault.answer == RESET:
            raise ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))
        raise api_exception(int(fault.answer))

    def _apply(self, verb: str, key: Key, body: Obj | None, label_selector: str) -> Any:
        group, plural, namespace, name = key
        if verb == "list":
            items = [
                copy.deepcopy(o)
                for (g, p, ns, _), o in sorted(self.objects.items())
                if g == group
                and p == plural
                and (not namespace or ns == namespace)
                and selects(label_selector, (o["metadata"].get("labels") or {}))
            ]
            return {"kind": "List", "metadata": {"resourceVersion": str(self.revision)}, "items": items}
        if verb == "create":
            assert body is not None
            meta = body.setdefault("metadata", {})
            name = str(meta.get("name") or "")
            if namespace:
                meta["namespace"] = namespace
            stored_key = (group, plural, namespace, name)
            if stored_key in self.objects:
                raise api_exception(409, "AlreadyExists", f'{plural} "{name}" already exists')
            for transient in ("uid", "resourceVersion", "generation", "creationTimestamp"):
                meta.pop(transient, None)
            self._stamp_new(meta)
            self.objects[stored_key] = body
            return copy.deepcopy(body)
        current = self.objects.get(key)
        if current is None:
            raise api_exception(404, "NotFound", f'{plural} "{name}" not found')
        if verb == "get":
            return copy.deepcopy(current)
        if verb == "delete":
            wanted = ((body or {}).get("preconditions") or {}).get("resourceVersion")
            if wanted is not None and wanted != current["metadata"]["resourceVersion"]:
                raise api_exception(409, "Conflict", f'{plural} "{name}": precondition failed')
            if current["metadata"].get("finalizers"):
                if not current["metadata"].get("deletionTimestamp"):
                    current["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:01Z"
                    current["metadata"]["resourceVersion"] = self._next_rv()
                return copy.deepcopy(current)
            del self.objects[key]
            return {"kind": "Status", "status": "Success"}
        assert body is not None and verb in ("patch", "patch_status", "replace")
        wanted = (body.get("metadata") or {}).get("resourceVersion")
        if wanted is not None and wanted != current["metadata"]["resourceVersion"]:
            raise api_exception(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {plural} "{name}": the object has been modified; '
                "please apply your changes to the latest version and try again",
            )
        if verb == "replace":  # PUT: the whole object, status and identity kept
            updated = {**body, "status": current.get("status")} if "status" in current else dict(body)
            keep = ("uid", "creationTimestamp", "generation", "resourceVersion", "namespace")
            updated["metadata"] = {
                **body.get("metadata", {}),
                **{k: current["metadata"][k] for k in keep if k in current["metadata"]},
            }
        elif verb == "patch_status":
            updated = copy.deepcopy(current)
            updated["status"] = merge_patch(current.get("status"), body.get("status") or {})
        else:
            patch = {k: v for k, v in body.items() if k != "status"}
            patch["metadata"] = {
                k: v for k, v in (patch.get("metadata") or {}).items() if k not in ("resourceVersion", "uid")
            }
            updated = merge_patch(current, patch)
            if updated.get("spec") != current.get("spec"):
                updated["metadata"]["generation"] = int(current["metadata"].get("generation") or 1) + 1
        if updated != current:
            updated["metadata"]["resourceVersion"] = self._next_rv()
            if updated["metadata"].get("deletionTimestamp") and not updated["metadata"].get("finalizers"):
                del self.objects[key]
                return copy.deepcopy(updated)
            self.objects[key] = updated
        return copy.deepcopy(self.objects[key])


def _with_outcome(call: Call, outcome: str | int) -> Call:
    return Call(call.method, call.verb, call.plural, call.namespace, call.name, outcome, call.body)
