"""Pure helpers of the end-to-end benchmark: the API server's request counters, a process's CPU
time, the benchmark's KWOK configuration, Markdown tables. No I/O here, so they are unit-tested
(tests/unit/test_bench_helpers.py).

Writes are counted from the API server's own `apiserver_request_total` (every client: the operator,
kube-controller-manager, kube-scheduler, KWOK), by verb POST/PUT/PATCH/DELETE/DELETECOLLECTION,
keyed by resource (and `/status` or another subresource), so a table shows which objects carry the
writes: tasks, pods, instances, events, leases, nodes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE", "DELETECOLLECTION"})
_SAMPLE = re.compile(r"^apiserver_request_total\{(?P<labels>[^}]*)\}\s+(?P<value>\S+)")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')

# Short names for the resources a reader looks for; anything else keeps its API name.
SHORT = {
    "ecstasks": "EcsTask",
    "ecsservices": "EcsService",
    "ecscontainerinstances": "EcsContainerInstance",
    "ecstaskdefinitions": "EcsTaskDefinition",
    "ecsclusters": "EcsCluster",
    "scheduledtasks": "ScheduledTask",
}


def write_counts(metrics_text: str) -> Counter[str]:
    """Mutating requests so far, by resource ("pods", "ecstasks/status", "leases", ...)."""
    counts: Counter[str] = Counter()
    for line in metrics_text.splitlines():
        match = _SAMPLE.match(line)
        if match is None:
            continue
        labels = dict(_LABEL.findall(match.group("labels")))
        if labels.get("verb") not in MUTATING:
            continue
        resource = labels.get("resource", "") or "(none)"
        sub = labels.get("subresource", "")
        key = f"{resource}/{sub}" if sub else resource
        counts[key] += int(float(match.group("value")))
    return counts


def diff(after: Counter[str], before: Counter[str]) -> Counter[str]:
    """The writes between two readings (a counter never goes down unless the server restarted)."""
    return Counter({k: after[k] - before.get(k, 0) for k in after if after[k] - before.get(k, 0) > 0})


def by_kind(writes: Mapping[str, int]) -> Counter[str]:
    """Writes grouped by object kind: a resource and its subresources together."""
    grouped: Counter[str] = Counter()
    for key, n in writes.items():
        resource = key.split("/", 1)[0]
        grouped[SHORT.get(resource, resource)] += n
    return grouped


def cpu_ticks(stat_line: str) -> int:
    """utime + stime (clock ticks) from one /proc/<pid>/stat line; the command may hold spaces."""
    fields = stat_line[stat_line.rindex(")") + 2 :].split()
    # fields[0] is the state (field 3); utime and stime are fields 14 and 15.
    return int(fields[11]) + int(fields[12])


def process_group(stat_lines: Mapping[int, str], pgid: int) -> list[int]:
    """The pids whose process group is pgid (field 5 of /proc/<pid>/stat)."""
    members = []
    for pid, line in stat_lines.items():
        fields = line[line.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:
            members.append(pid)
    return sorted(members)


def kwok_bench_config(documents: list[dict[str, Any]], heartbeat_s: int = 300) -> list[dict[str, Any]]:
    """The local control plane's KWOK configuration made fit for thousands of nodes.

    - no node leases (`nodeLeaseDurationSeconds: 0`): at 5,000 nodes a lease renewed every 10 s is
      500 writes per second, more than this machine's API server does anything else;
    - node status heartbeats every `heartbeat_s`..`1.1 × heartbeat_s` (a kubelet reports its status
      every 5 minutes when nothing changes), so kube-controller-manager needs a node grace period
      above that (the benchmark passes `--node-monitor-grace-period`);
    - more KWOK workers for nodes and pods.
    Everything else (the pod stages) is kept as the tests run it.
    """
    out = []
    for doc in documents:
        doc = dict(doc)
        if doc.get("kind") == "KwokConfiguration":
            options = dict(doc.get("options") or {})
            options.update(
                nodeLeaseDurationSeconds=0,
                podPlayStageParallelism=16,
                nodePlayStageParallelism=16,
                podsOnNodeSyncParallelism=8,
            )
            options.pop("nodeLeaseParallelism", None)
            doc["options"] = options
        elif doc.get("kind") == "Stage" and doc.get("metadata", {}).get("name", "").startswith(
            "node-heartbeat"
        ):
            spec = dict(doc["spec"])
            spec["delay"] = {
                "durationMilliseconds": heartbeat_s * 1000,
                "jitterDurationMilliseconds": int(heartbeat_s * 1100),
            }
            doc["spec"] = spec
        out.append(doc)
    return out


def table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """A Markdown table."""
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def per_item(n: int, items: int) -> str:
    return f"{n / items:.2f}" if items else "-"
