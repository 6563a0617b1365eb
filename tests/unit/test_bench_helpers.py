"""The end-to-end benchmark's pure helpers (bench/apicounters.py): the API server's counters read by
resource, CPU ticks from /proc/<pid>/stat, the KWOK configuration for thousands of nodes."""

from __future__ import annotations

from collections import Counter

from bench.apicounters import (
    by_kind,
    cpu_ticks,
    diff,
    kwok_bench_config,
    per_item,
    process_group,
    table,
    write_counts,
)

METRICS = """\
# HELP apiserver_request_total [STABLE] Counter of apiserver requests
# TYPE apiserver_request_total counter
apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="POST",version="v1"} 1000
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="status",verb="PATCH",version="v1"} 2000
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="binding",verb="POST",version="v1"} 1e+03
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="namespace",subresource="",verb="LIST",version="v1"} 77
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="resource",subresource="",verb="GET",version="v1"} 5000
apiserver_request_total{code="409",component="apiserver",dry_run="",group="ecs-operator.dev",resource="ecstasks",scope="resource",subresource="status",verb="PATCH",version="v1alpha1"} 3
apiserver_request_total{code="200",component="apiserver",dry_run="",group="ecs-operator.dev",resource="ecstasks",scope="resource",subresource="status",verb="PATCH",version="v1alpha1"} 4000
apiserver_request_total{code="200",component="apiserver",dry_run="",group="coordination.k8s.io",resource="leases",scope="resource",subresource="",verb="PUT",version="v1"} 12
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="namespace",subresource="",verb="DELETECOLLECTION",version="v1"} 2
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="",scope="cluster",subresource="/readyz",verb="GET",version=""} 9
apiserver_requested_deprecated_apis{group="x",removed_release="",resource="pods",subresource="",version="v1"} 1
"""


def test_write_counts_keeps_mutating_verbs_by_resource_and_subresource() -> None:
    counts = write_counts(METRICS)
    assert counts == Counter(
        {
            "pods": 1002,  # POST 1000 + DELETECOLLECTION 2; GET and LIST are reads
            "pods/status": 2000,
            "pods/binding": 1000,  # "1e+03" is a number too
            "ecstasks/status": 4003,  # failed writes (409) are writes the server did work for
            "leases": 12,
        }
    )


def test_diff_counts_only_what_grew() -> None:
    before = Counter({"pods": 10, "leases": 5, "events": 3})
    after = Counter({"pods": 25, "leases": 5, "events": 4, "ecstasks": 7})
    assert diff(after, before) == Counter({"pods": 15, "events": 1, "ecstasks": 7})


def test_by_kind_merges_subresources_and_names_the_operator_kinds() -> None:
    grouped = by_kind(write_counts(METRICS))
    assert grouped == Counter({"pods": 4002, "EcsTask": 4003, "leases": 12})


def test_cpu_ticks_reads_utime_and_stime_past_a_command_with_spaces() -> None:
    # pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
    line = "4242 (python -m x) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 56 0 0 20 0 33 0 9 1 1"
    assert cpu_ticks(line) == 1234 + 56


def test_process_group_selects_by_pgid_not_parent() -> None:
    lines = {
        10: "10 (python) S 1 10 10 0 -1 0 0 0 0 0 5 5 0 0",
        11: "11 (kopf worker) S 10 10 10 0 -1 0 0 0 0 0 1 1 0 0",
        12: "12 (etcd) S 1 12 12 0 -1 0 0 0 0 0 9 9 0 0",
        13: "13 (sh) S 10 13 13 0 -1 0 0 0 0 0 1 1 0 0",  # a child that left the group
    }
    assert process_group(lines, 10) == [10, 11]


def test_kwok_bench_config_drops_leases_and_slows_node_heartbeats_only() -> None:
    docs = [
        {"kind": "KwokConfiguration", "options": {"nodeLeaseDurationSeconds": 40, "nodeLeaseParallelism": 4}},
        {
            "kind": "Stage",
            "metadata": {"name": "node-heartbeat-with-lease"},
            "spec": {"delay": {"durationMilliseconds": 20000, "jitterDurationMilliseconds": 25000}},
        },
        {"kind": "Stage", "metadata": {"name": "pod-ready"}, "spec": {"next": {}}},
    ]
    out = kwok_bench_config(docs, heartbeat_s=300)
    assert out[0]["options"]["nodeLeaseDurationSeconds"] == 0
    assert "nodeLeaseParallelism" not in out[0]["options"]
    assert out[1]["spec"]["delay"] == {"durationMilliseconds": 300000, "jitterDurationMilliseconds": 330000}
    assert out[2] == docs[2]
    assert docs[0]["options"]["nodeLeaseDurationSeconds"] == 40  # the input is left as it was


def test_table_and_per_item() -> None:
    assert table(["a", "b"], [[1, "x"]]) == "| a | b |\n|---|---|\n| 1 | x |"
    assert per_item(25, 10) == "2.50"
    assert per_item(3, 0) == "-"
