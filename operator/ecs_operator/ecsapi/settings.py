"""Cluster settings (UpdateCluster, UpdateClusterSettings) and account settings (ListAccountSettings,
PutAccountSetting, PutAccountSettingDefault, DeleteAccountSetting).

Why stored and not applied: the settings ECS has here (Container Insights, execute command
logging, Service Connect defaults, ARN formats, trunking, FIPS, ...) have no effect on how the
operator places or runs tasks, but scripts set them and read them back. A cluster's are the JSON
annotation ``ecs-operator.dev/cluster-settings`` of its EcsCluster (``settings``,
``configuration``, ``serviceConnectDefaults``), written with the resourceVersion read. An
account's are the ConfigMap ``ecs-account-settings`` of the caller's namespace (the namespace is the
account): one key per setting, for every principal of the namespace (ECS also keeps them per IAM
principal); a setting never put reads as ECS's default (`DEFAULTS`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ecs_operator.ecsapi import views
from ecs_operator.ecsapi.arns import resource_id
from ecs_operator.ecsapi.errors import invalid
from ecs_operator.ecsapi.operations import Call, Operation, cluster_must_exist
from ecs_operator.kube import configmaps, plugin
from ecs_operator.kube.objects import CLUSTERS, Obj

ACCOUNT_CONFIGMAP = "ecs-account-settings"

DEFAULTS: dict[str, str] = {
    "serviceLongArnFormat": "enabled",
    "taskLongArnFormat": "enabled",
    "containerInstanceLongArnFormat": "enabled",
    "awsvpcTrunking": "disabled",
    "containerInsights": "disabled",
    "fargateFIPSMode": "disabled",
    "tagResourceAuthorization": "on",
    "fargateTaskRetirementWaitPeriod": "7",
    "guardDutyActivate": "off",
    "defaultLogDriverMode": "non-blocking",
    "fargateEventWindows": "disabled",
}
"""ECS's account settings and their defaults (the ECS Developer Guide, "Account settings")."""

VALUES: dict[str, tuple[str, ...]] = {
    "containerInsights": ("enhanced", "enabled", "disabled"),
    "tagResourceAuthorization": ("on", "off"),
    "fargateTaskRetirementWaitPeriod": ("0", "7", "14"),
    "defaultLogDriverMode": ("blocking", "non-blocking"),
}
"""The values a setting takes when not ``enabled``/``disabled``."""
READ_ONLY = ("guardDutyActivate",)


# ---- clusters --------------------------------------------------------------------------------------


def _update(params: Mapping[str, Any], call: Call, keys: tuple[str, ...]) -> dict[str, Any]:
    cluster = resource_id(str(views.require(params, "cluster")), "cluster")
    given = {k: params[k] for k in keys if params.get(k) is not None}
    if "settings" in given:
        given["settings"] = views.check_cluster_settings(given["settings"])
    cluster_must_exist(cluster)

    def compute(obj: Obj) -> Obj | None:
        merged = views.cluster_settings(obj)
        if "settings" in given:  # by name, as ECS merges them
            by_name = {s["name"]: s for s in merged.get("settings") or []}
            by_name.update({s["name"]: s for s in given["settings"]})
            merged["settings"] = list(by_name.values())
        merged.update({k: v for k, v in given.items() if k != "settings"})
        if merged == views.cluster_settings(obj):
            return None
        return {"metadata": {"annotations": {views.CLUSTER_SETTINGS: json.dumps(merged, sort_keys=True)}}}

    written = plugin.update_spec(CLUSTERS, cluster, compute)
    return {"cluster": views.cluster_view(written, call.arns, views.cluster_settings(written))}


def update_cluster(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    return _update(params, call, ("settings", "configuration", "serviceConnectDefaults"))


def update_cluster_settings(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    views.require(params, "settings")
    return _update(params, call, ("settings",))


# ---- account ---------------------------------------------------------------------------------------


def _root(call: Call) -> str:
    return f"arn:aws:iam::{call.arns.account}:root"


def _setting(name: str, value: str, call: Call, kind: str = "user") -> dict[str, Any]:
    return {"name": name, "value": value, "principalArn": _root(call), "type": kind}


def _check_account_setting(params: Mapping[str, Any]) -> tuple[str, str]:
    name, value = str(views.require(params, "name")), str(views.require(params, "value"))
    if name not in DEFAULTS:
        raise invalid(f"Invalid setting name: {name}.")
    if name in READ_ONLY:
        raise invalid(f"The {name} setting is read-only.")
    allowed = VALUES.get(name, ("enabled", "disabled"))
    if value not in allowed:
        raise invalid(f"Invalid value for {name}: {value}. Valid values: {', '.join(allowed)}.")
    return name, value


def put_account_setting(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    name, value = _check_account_setting(params)
    configmaps.merge_data(ACCOUNT_CONFIGMAP, call.namespace, {name: value})
    return {"setting": _setting(name, value, call)}


put_account_setting_default = put_account_setting
"""One level of settings per namespace (see the module's docstring): the default is the setting."""


def delete_account_setting(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    name = str(views.require(params, "name"))
    if name not in DEFAULTS:
        raise invalid(f"Invalid setting name: {name}.")
    configmaps.merge_data(ACCOUNT_CONFIGMAP, call.namespace, {name: None})
    return {"setting": _setting(name, DEFAULTS[name], call, "aws_managed")}


def account_settings(stored: Mapping[str, str], effective: bool) -> list[tuple[str, str, str]]:
    """(name, value, type) of each setting: those put, and with `effective` ECS's defaults of the rest."""
    out = [(n, stored[n], "user") for n in DEFAULTS if n in stored]
    if effective:
        out += [(n, v, "aws_managed") for n, v in DEFAULTS.items() if n not in stored]
    return sorted(out)


def list_account_settings(params: Mapping[str, Any], call: Call) -> dict[str, Any]:
    name, value = params.get("name"), params.get("value")
    if value is not None and name is None:
        raise invalid("value requires name.")
    stored = configmaps.read_data(ACCOUNT_CONFIGMAP, call.namespace)
    rows = [
        r
        for r in account_settings(stored, bool(params.get("effectiveSettings")))
        if (name is None or r[0] == name) and (value is None or r[1] == value)
    ]
    chunk, token = views.page([r[0] for r in rows], params.get("nextToken"), params.get("maxResults"), 10)
    by_name = {r[0]: r for r in rows}
    settings = [_setting(n, by_name[n][1], call, by_name[n][2]) for n in chunk]
    return {"settings": settings, **({"nextToken": token} if token else {})}


OPERATIONS: dict[str, Operation] = {
    "UpdateCluster": update_cluster,
    "UpdateClusterSettings": update_cluster_settings,
    "ListAccountSettings": list_account_settings,
    "PutAccountSetting": put_account_setting,
    "PutAccountSettingDefault": put_account_setting_default,
    "DeleteAccountSetting": delete_account_setting,
}
