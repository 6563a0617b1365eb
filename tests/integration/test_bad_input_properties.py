"""Random bad input through the real API server, with the operator running (issue 16, item 4).

Hypothesis takes the valid manifests of tests/data/valid (the namespaced kinds), mutates their
specs at random (values of the wrong type, unicode, oversized and nested values, removed fields,
expressions that do not parse), and applies each to the real API server in a namespace that the
admission webhook skips, so everything the schema admits reaches the handlers. Then, through the
API only:

- every object the API server accepted gets a status or a Warning Event within a bounded wait (a
  handler that crashes on it would leave it without either, and crash again on every event);
- every object deleted is gone within a bounded wait (no finalizer left behind);
- the operator process is still alive at the end.

Cluster-scoped kinds are left out on purpose: a mutated EcsCluster selecting every node would
move capacity under the other tests of the session. The objects name the cluster `prod`, which
does not exist here, so nothing they ask for is ever placed: what is tested is that bad input is
reported and deleted, not placement.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.cluster import Kube, opt_out_of_webhook, wait_for
from tests.support.ecs import container, manifest
from tests.support.operator import OperatorProcess

VALID = Path(__file__).resolve().parents[1] / "data" / "valid"
NAMESPACED = {
    "EcsTask": "ecstask",
    "EcsService": "ecsservice",
    "EcsTaskDefinition": "ecstaskdefinition",
    "ScheduledTask": "scheduledtask",
}
DOCUMENTS = [
    d
    for p in sorted(VALID.glob("*.yaml"))
    for d in yaml.safe_load_all(p.read_text())
    if d and d["kind"] in NAMESPACED
]
# Families the valid manifests name, registered first: a task whose family is missing would wait
# the registration grace (60 s) before it is reported; with the family there, at once.
FAMILIES = ("web", "backup", "log-agent", "report")
# Seconds an accepted object may take to get a status or a Warning Event: a task whose family a
# mutation renamed waits the registration grace (60 s, objects applied together arrive in any
# order), then the task timer (20 s) reports it MISSING.
SETTLE = 120.0
GONE = 60.0  # seconds a deleted object may take to disappear

INTERESTING = [
    "prod",
    "",
    "web",
    "web:1",
    "web:99",
    "STOPPED",
    "RUNNING",
    "FARGATE",
    "EC2",
    "DAEMON",
    "memberOf",
    "distinctInstance",
    "binpack",
    "spread",
    "attribute:ecs.instance-type =! t2.small",
    "attribute:stack in [a, b",
    "attribute:ecs.availability-zone == zone-a",
    "cron(0 10 31 2 ? *)",
    "cron(0 25 * * ? *)",
    "rate(1 minutes)",
    "at(2027-02-30T10:00:00)",
    "Mars/Olympus_Mons",
    "é" * 300,
    "x" * 3000,
    "0.25 vCPU",
    "1 GB",
    "-1",
    "\u200b",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.integers(min_value=0, max_value=20),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=30),
    st.sampled_from(INTERESTING),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["type", "name", "expression", "field", "value", "x"]), inner, max_size=3
        )
    ),
    max_leaves=10,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path inside `value` (dict keys and list indexes), the empty path excluded."""
    out: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, sub in items:
        out.append((*prefix, key))
        out += paths(sub, (*prefix, key))
    return out


TOKENS = [
    "attribute:ecs.instance-type",
    "attribute:stack",
    "task:group",
    "runningTasksCount",
    "agentConnected",
    "==",
    "!=",
    "=~",
    "=!",
    "in",
    "not",
    "and",
    "or",
    "(",
    ")",
    "[",
    "]",
    ",",
    "t2.*",
    "prod",
    "5",
    "é",
    "≠",
]
expressions = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=8).map(" ".join)
schedules = st.one_of(
    st.builds(
        "cron({} {} {} {} {} {})".format,
        *[st.sampled_from(["0", "*", "?", "L", "61", "31", "2", "MON", "5W", "1#6"])] * 6,
    ),
    st.builds(
        "rate({} {})".format,
        st.integers(-1, 3),
        st.sampled_from(["minute", "minutes", "hours", "days", "weeks"]),
    ),
    st.builds(
        "at({})".format,
        st.sampled_from(["2027-02-30T10:00:00", "2026-12-01T25:00:00", "2030-01-01T00:00:00"]),
    ),
)


def like(value: Any) -> st.SearchStrategy[Any]:
    """Mostly a value the schema admits (the same JSON type, often a near variant); rarely any.

    The first branch keeps the value: Hypothesis starts from first choices, so its simplest
    examples are valid objects, and the rest spread out from there.
    """
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.one_of(
            st.just(value),
            st.integers(min_value=0, max_value=20),
            st.integers(min_value=-3, max_value=3000),
            st.just(2**31 - 1),
        )
    if isinstance(value, str):
        return st.one_of(
            st.just(value),
            st.sampled_from([f"{value}-x", value.upper(), value[:1], f"{value}:2"]),
            expressions,
            schedules,
            st.sampled_from(INTERESTING),
            st.text(max_size=20),
        )
    if isinstance(value, list):
        return st.sampled_from([value, [*value, *value[:1]], value[1:], []])
    return values


def mutate(spec: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="mutations")):
        candidates = paths(spec)
        op = data.draw(
            st.sampled_from(
                ["like", "like", "like", "delete", "wild", "expression", "add"] if candidates else ["add"]
            ),
            label="op",
        )
        if op == "expression":  # where CEL cannot look: a query or a schedule that may not parse
            if "scheduleExpression" in spec and data.draw(st.booleans()):
                spec["scheduleExpression"] = data.draw(schedules, label="schedule")
            else:
                target = spec.get("target") if isinstance(spec.get("target"), dict) else spec
                target["placementConstraints"] = [{"type": "memberOf", "expression": data.draw(expressions)}]
            continue
        if op == "add":
            targets = [p for p in [(), *candidates] if isinstance(get(spec, p), dict | list)]
            path = data.draw(st.sampled_from(targets), label="container")
            parent = get(spec, path)
            if isinstance(parent, dict):
                key = data.draw(
                    st.sampled_from([*parent, "placementConstraints", "desiredCount", "overrides", "x"])
                )
                parent[key] = data.draw(values, label="value")
            else:
                parent.append(data.draw(values, label="value"))
            continue
        path = data.draw(st.sampled_from(candidates), label="path")
        parent, key = get(spec, path[:-1]), path[-1]
        if op == "delete":
            del parent[key]
        elif op == "like":
            parent[key] = data.draw(like(parent[key]), label="value")
        else:
            parent[key] = data.draw(values, label="value")
    return spec


def get(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def reported(kube: Kube, kind: str, namespace: str, name: str) -> bool:
    obj = kube.get_json(NAMESPACED[kind], name, "-n", namespace)
    status = obj.get("status") or {}
    if kind == "EcsTask" and status.get("lastStatus"):
        return True
    if kind != "EcsTask" and any(c.get("type") == "Ready" for c in status.get("conditions") or []):
        return True
    if kind == "EcsService" and status.get("status"):
        return True
    events = kube.get_json(
        "events", "-n", namespace, "--field-selector", f"involvedObject.uid={obj['metadata']['uid']}"
    )
    return any(e.get("type") == "Warning" for e in events["items"])


def gone(kube: Kube, kind: str, namespace: str, name: str) -> bool:
    return kube.kubectl("get", NAMESPACED[kind], name, "-n", namespace, check=False).returncode != 0


def test_mutated_manifests_never_wedge_the_operator(
    kube: Kube, operator: OperatorProcess, namespace: str
) -> None:
    opt_out_of_webhook(kube, namespace)
    for family in FAMILIES:
        kube.apply(
            manifest("EcsTaskDefinition", family, {"containerDefinitions": [container(family)]}, namespace)
        )
    counter = iter(range(10_000))
    outcomes: dict[str, int] = {"refused": 0, "accepted": 0}

    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,  # the same 40 cases every run: a failure is replayed, not a flake
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        doc = data.draw(st.sampled_from(DOCUMENTS), label="document")
        kind = doc["kind"]
        name = f"m{next(counter)}-{NAMESPACED[kind]}"
        body = {
            **doc,
            "metadata": {"name": name, "namespace": namespace},
            "spec": mutate(doc.get("spec") or {}, data),
        }
        res = kube.apply(json.dumps(body, ensure_ascii=False), namespace=namespace, check=False)
        if res.returncode != 0:
            outcomes["refused"] += 1
            assert "spec" in res.stderr, res.stderr  # refused, naming the field
            return
        outcomes["accepted"] += 1
        wait_for(
            lambda: reported(kube, kind, namespace, name),
            timeout=SETTLE,
            interval=0.5,
            what=f"{kind} {name} reported: {json.dumps(body['spec'])[:500]}",
        )
        kube.kubectl("delete", NAMESPACED[kind], name, "-n", namespace, "--wait=false")
        wait_for(
            lambda: gone(kube, kind, namespace, name),
            timeout=GONE,
            interval=0.5,
            what=f"{kind} {name} deleted",
        )

    check()
    print(f"mutated manifests: {outcomes}")
    assert operator.alive(), operator.log_tail()
    # The mutations must exercise both paths, or the property says little.
    assert outcomes["refused"] and outcomes["accepted"], outcomes
