"""The Grafana dashboard and the alert rules parse, and every PromQL expression in them names only
metrics that `ecs_operator.metrics` exports (a renamed metric must not leave a blank panel or an
alert that can never fire).

Metric names are found by a small PromQL tokenizer (`metric_names`): strings, label matchers,
ranges, grouping clauses and Grafana variables are removed; an identifier followed by `(` must be
a PromQL function or aggregation; any other identifier that is not a keyword is a metric name.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecs_operator.metrics import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "dashboards" / "ecs-operator.json"
RULES = ROOT / "deploy" / "alerts" / "ecs-operator-rules.yaml"

AGGREGATIONS = {
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
    "bottomk", "topk", "quantile", "limitk", "limit_ratio",
}  # fmt: skip
FUNCTIONS = {
    "abs", "absent", "absent_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min",
    "day_of_month", "day_of_week", "day_of_year", "days_in_month", "delta", "deriv", "exp", "floor",
    "histogram_avg", "histogram_count", "histogram_fraction", "histogram_quantile", "histogram_sum",
    "histogram_stddev", "histogram_stdvar", "holt_winters", "double_exponential_smoothing", "hour",
    "idelta", "increase", "irate", "label_join", "label_replace", "ln", "log2", "log10", "minute",
    "month", "predict_linear", "rate", "resets", "round", "scalar", "sgn", "sort", "sort_desc",
    "sort_by_label", "sort_by_label_desc", "sqrt", "time", "timestamp", "vector", "year",
    "avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time",
    "quantile_over_time", "stddev_over_time", "stdvar_over_time", "last_over_time",
    "present_over_time", "mad_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh", "cos",
    "cosh", "sin", "sinh", "tan", "tanh", "deg", "rad", "pi",
}  # fmt: skip
KEYWORDS = {"and", "or", "unless", "offset", "bool", "atan2", "inf", "nan", "start", "end"}

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_VARIABLE = re.compile(r"\$\{[^}]*\}|\$\w+|\[\[\w+\]\]")  # Grafana: ${x}, $x, [[x]]
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_TOKEN = re.compile(
    r"(?P<duration>\d+(?:ms|[smhdwy])(?:\d+(?:ms|[smhdwy]))*\b)"
    r"|(?P<number>0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)"
    r"|(?P<other>\S)"
)


class UnknownFunction(ValueError):
    pass


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression references (see the module docstring)."""
    text = _STRING.sub('""', expr)
    text = _VARIABLE.sub("1m", text)  # a variable stands where a duration or a value would
    text = _MATCHERS.sub(" ", text)
    text = _RANGE.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    names: set[str] = set()
    tokens = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(text)]
    for i, (kind, token) in enumerate(tokens):
        if kind != "ident":
            continue
        called = i + 1 < len(tokens) and tokens[i + 1][1] == "("
        if called or token in AGGREGATIONS:  # `sum by (x) (…)`: the grouping is gone already
            if token not in FUNCTIONS | AGGREGATIONS:
                raise UnknownFunction(f"{token}( in {expr!r}")
        elif token.lower() not in KEYWORDS and token not in {"by", "without"}:
            names.add(token)
    return names


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ('sum by (zone) (rate(a_total{cluster=~"$cluster", b="x{y}"}[5m]))', {"a_total"}),
        ("histogram_quantile(0.99, sum by (le) (rate(h_bucket[$__rate_interval])))", {"h_bucket"}),
        ("x - (x offset 30m or x * 0) > 0", {"x"}),
        ("max without (instance) (g) / ignoring (zone) group_left (k) other", {"g", "other"}),
        ("count(up == 1) or vector(0)", {"up"}),
        ("sum(rate(c[5m:1m])) by (job) > 1e3", {"c"}),
        ("bare", {"bare"}),
    ],
    ids=["matchers-and-strings", "histogram", "offset-or", "grouping", "vector-literal", "subquery", "bare"],
)
def test_the_tokenizer(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


def test_the_tokenizer_refuses_an_unknown_function() -> None:
    with pytest.raises(UnknownFunction):
        metric_names("rat(x[5m])")


@functools.cache
def exported() -> frozenset[str]:
    """Every sample name the operator can expose: counters as `_total`, histograms as
    `_bucket`/`_sum`/`_count`, both with `_created`; gauges as they are."""
    names: set[str] = set()
    for family in REGISTRY.collect():
        if family.type == "counter":
            names |= {f"{family.name}_total", f"{family.name}_created"}
        elif family.type == "histogram":
            names |= {f"{family.name}_{s}" for s in ("bucket", "sum", "count", "created")}
        else:
            names.add(family.name)
    return frozenset(names)


def dashboard() -> dict[str, Any]:
    return dict(json.loads(DASHBOARD.read_text()))


def panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in board["panels"]:
        yield panel
        yield from panel.get("panels", [])


def dashboard_expressions() -> list[tuple[str, str]]:
    board = dashboard()
    exprs = [(f"panel {p['title']!r}", t["expr"]) for p in panels(board) for t in p.get("targets", [])]
    for var in board["templating"]["list"]:
        if var["type"] == "query":
            exprs.append((f"variable {var['name']}", var["definition"]))
    return exprs


def rules() -> dict[str, Any]:
    return dict(yaml.safe_load(RULES.read_text()))


def alert_expressions() -> list[tuple[str, str]]:
    return [(f"alert {r['alert']}", r["expr"]) for g in rules()["spec"]["groups"] for r in g["rules"]]


def _label_values_metric(expr: str) -> str:
    """`label_values(metric{…}, label)` (a Grafana variable query) → `metric{…}`."""
    match = re.fullmatch(r"label_values\((.*),\s*\w+\)", expr.strip())
    return match.group(1) if match else expr


@pytest.mark.parametrize(("where", "expr"), dashboard_expressions() + alert_expressions())
def test_every_expression_names_only_exported_metrics(where: str, expr: str) -> None:
    names = metric_names(_label_values_metric(expr))
    assert names, f"{where}: no metric in {expr!r}"
    assert names <= exported(), f"{where}: not exported: {sorted(names - exported())}"


def test_the_dashboard_has_the_panels_operations_asked_for() -> None:
    board = dashboard()
    assert board["uid"] == "ecs-operator" and board["schemaVersion"] >= 36
    used = {name for _, expr in dashboard_expressions() for name in metric_names(_label_values_metric(expr))}
    wanted = {
        "ecs_operator_instance_registered_cpu_units",  # capacity and remaining per instance and zone
        "ecs_operator_instance_remaining_memory_mib",
        "ecs_operator_tasks",  # tasks by state
        "ecs_operator_placements_total",  # placement rate and failures by reason
        "ecs_operator_placement_duration_seconds_bucket",  # placement latency
        "ecs_operator_service_desired_tasks",  # service health
        "ecs_operator_service_running_tasks",
        "ecs_operator_service_deployments",  # deployments
        "ecs_operator_scheduled_task_lag_seconds_bucket",  # scheduled-task lag
    }
    assert wanted <= used, sorted(wanted - used)
    ids = [p["id"] for p in panels(board)]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in panels(board):
        if panel["type"] != "row":
            assert panel.get("targets") and panel.get("description"), panel["title"]


def test_the_rules_are_a_prometheus_rule_with_the_alerts_operations_asked_for() -> None:
    doc = rules()
    assert doc["apiVersion"] == "monitoring.coreos.com/v1" and doc["kind"] == "PrometheusRule"
    alerts = {r["alert"]: r for g in doc["spec"]["groups"] for r in g["rules"]}
    assert {
        "EcsTaskPlacementFailures",
        "EcsServiceCircuitBreakerTripped",
        "EcsServiceBelowDesiredCount",
        "EcsScheduledTaskMissedRuns",
    } <= set(alerts)
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        assert {"summary", "description"} <= set(rule["annotations"]), name
    assert alerts["EcsServiceBelowDesiredCount"]["for"] == "10m"
