"""Benchmark of the placement engine alone (testing.md, "Benchmarks"; issue 15's engine goals).

Two tables:

- **mixes** (issue 15): at 5,000 container instances, the three workloads the goals name
  (spread(AZ)+binpack(memory)+memberOf, spread(AZ)+binpack(memory), distinctInstance+spread(AZ)):
  placements per second for one ``place(count=1000)``; the latency of *one* placement (a single
  ``place(count=1)`` on a snapshot built just before it, so no memo of an earlier call helps),
  p50 and p99 over many samples, in wall time and in CPU time of the process (the machine is
  shared: wall time also counts waiting for a core); and placements per second when a batch is
  placed one call at a time (``count=1``, each call on the snapshot the previous one returned),
  which is what a caller that plans task by task pays.
- **sizes**: at 100, 1,000 and 5,000 instances, four workloads: one cold placement and a batch.

Every figure is the median of several runs. Instances are spread over three zones and two instance
types, and carry existing tasks of several groups, so the ledgers are not empty.

``--vs DIR`` compares this tree with another copy of the ``operator/`` source root (e.g. an older
commit: ``git archive <commit> operator | tar -x -C /tmp/old``, then ``--vs /tmp/old/operator``):
both run in turn, A B A B …, each in a fresh process measuring in-process, and every figure is
reported with the median of the pairwise ratios, so a comparison holds while the machine's speed
drifts.

    .venv/bin/python bench/placement_bench.py [--runs 5] [--sizes 100,1000,5000] [--batch 100]
    .venv/bin/python bench/placement_bench.py --mixes-only --batch 1000 [--vs DIR --pairs 5]
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

_OPERATOR = Path(__file__).resolve().parents[1] / "operator"
if "--operator" in sys.argv:  # a child of --vs: import the placement engine of another tree
    _OPERATOR = Path(sys.argv[sys.argv.index("--operator") + 1]).resolve()
sys.path.insert(0, str(_OPERATOR))

from ecs_operator.placement import (  # noqa: E402
    ClusterSnapshot,
    TaskBuilder,
    TaskRequest,
    make_instance,
    make_task,
    place,
)

ZONES = ("zone-a", "zone-b", "zone-c")
GROUPS = ("service:api", "service:db", "family:batch", "service:cache")
MEMBER_OF = "attribute:ecs.instance-type =~ m5.* and attribute:stack == prod"


def cluster(size: int, seed: int = 1) -> ClusterSnapshot:
    rng = random.Random(seed)
    instances = []
    for n in range(size):
        builder = (
            make_instance(f"bench.node-{n:05d}")
            .zone(ZONES[n % 3])
            .instance_type("m5.2xlarge" if n % 2 else "c5.2xlarge")
            .attribute("stack", "prod" if n % 4 else "dev")
            .cpu(8192)
            .memory(32768)
            .reserved_ports(22, 2375, 2376, 51678, 51679)
        )
        for t in range(rng.randint(0, 6)):
            builder.task(
                rng.choice(GROUPS),
                cpu=rng.choice((128, 256, 512)),
                memory=rng.choice((256, 512, 1024)),
                ports=(8000 + t,) if rng.random() < 0.3 else (),
            )
        instances.append(builder.build())
    return ClusterSnapshot(tuple(instances))


def fresh(snapshot: ClusterSnapshot) -> ClusterSnapshot:
    """An equal snapshot of new objects: what reading the instances again yields, no memo kept."""
    return ClusterSnapshot(tuple(replace(i, attributes=dict(i.attributes)) for i in snapshot))


def web() -> TaskBuilder:
    return make_task("default/web").service("web").cpu(256).memory(512).dynamic_ports(1)


def _spread_binpack() -> TaskBuilder:
    return web().strategy("spread", "attribute:ecs.availability-zone").strategy("binpack", "memory")


# The three workloads of issue 15's goals.
MIXES: dict[str, Callable[[], TaskRequest]] = {
    "spread(AZ)+binpack(memory)+memberOf": lambda: (
        _spread_binpack().member_of(MEMBER_OF).member_of("not(task:group == service:db)").build()
    ),
    "spread(AZ)+binpack(memory)": lambda: _spread_binpack().build(),
    "distinctInstance+spread(AZ)": lambda: (
        web().distinct_instance().strategy("spread", "attribute:ecs.availability-zone").build()
    ),
}

WORKLOADS: dict[str, Callable[[], TaskRequest]] = {
    "binpack(memory)": lambda: web().strategy("binpack", "memory").build(),
    "spread(AZ)+binpack(memory)": MIXES["spread(AZ)+binpack(memory)"],
    "distinctInstance + spread(AZ)": MIXES["distinctInstance+spread(AZ)"],
    "memberOf + spread(AZ)": lambda: (
        web()
        .member_of(MEMBER_OF)
        .member_of("not(task:group == service:db)")
        .strategy("spread", "attribute:ecs.availability-zone")
        .build()
    ),
}


def timed(snapshot: ClusterSnapshot, request: TaskRequest, count: int, seed: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one ``place``.

    The garbage of building ``snapshot`` is collected first: a collection it triggers inside the
    timed call would be the benchmark's cost, not the engine's.
    """
    rng = random.Random(seed)
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    place(snapshot, request, count, rng)
    return time.perf_counter() - wall, time.process_time() - cpu


def one_at_a_time(snapshot: ClusterSnapshot, request: TaskRequest, count: int, seed: int) -> float:
    """Seconds to place ``count`` tasks with one ``place(count=1)`` each, carrying the snapshot."""
    rng = random.Random(seed)
    gc.collect()
    start = time.perf_counter()
    for _ in range(count):
        result = place(snapshot, request, 1, rng)
        if result.unplaced:
            raise SystemExit(f"benchmark workload could not place all tasks: {result.failure}")
        snapshot = result.snapshot
    return time.perf_counter() - start


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def mix_figures(
    snapshot: ClusterSnapshot, request: TaskRequest, batch: int, runs: int, samples: int, sequence: int
) -> dict[str, float]:
    result = place(snapshot, request, batch, random.Random(0))
    if result.unplaced:
        raise SystemExit(f"benchmark workload could not place all tasks: {result.failure}")
    batches = [timed(fresh(snapshot), request, batch, seed)[0] for seed in range(runs)]
    singles = [timed(fresh(snapshot), request, 1, seed) for seed in range(samples)]
    walls = [w for w, _ in singles]
    cpus = [c for _, c in singles]
    seq = [one_at_a_time(fresh(snapshot), request, sequence, seed) for seed in range(runs)]
    return {
        "batch/s": batch / statistics.median(batches),
        "p50 ms": percentile(walls, 0.5) * 1000,
        "p99 ms": percentile(walls, 0.99) * 1000,
        "cpu p50 ms": percentile(cpus, 0.5) * 1000,
        "cpu p99 ms": percentile(cpus, 0.99) * 1000,
        "one-by-one/s": sequence / statistics.median(seq),
    }


def size_figures(snapshot: ClusterSnapshot, request: TaskRequest, batch: int, runs: int) -> dict[str, float]:
    cold = [timed(fresh(snapshot), request, 1, seed)[0] for seed in range(runs)]
    batches = [timed(fresh(snapshot), request, batch, seed)[0] for seed in range(runs)]
    result = place(snapshot, request, batch, random.Random(0))
    if result.unplaced:
        raise SystemExit(f"benchmark workload could not place all tasks: {result.failure}")
    per = statistics.median(batches) / batch
    return {"cold ms": statistics.median(cold) * 1000, "batch/s": 1 / per, "batch ms/placement": per * 1000}


MIX_COLUMNS = ("batch/s", "p50 ms", "p99 ms", "cpu p50 ms", "cpu p99 ms", "one-by-one/s")
SIZE_COLUMNS = ("cold ms", "batch/s", "batch ms/placement")


def measure(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """Every figure, keyed ``"<table>|<instances>|<workload>"``."""
    figures: dict[str, dict[str, float]] = {}
    big = cluster(args.instances)
    for name, make in MIXES.items():
        figures[f"mixes|{args.instances}|{name}"] = mix_figures(
            big, make(), args.batch, args.runs, args.samples, args.sequence
        )
    if not args.mixes_only:
        for size in (int(s) for s in args.sizes.split(",")):
            snapshot = big if size == args.instances else cluster(size)
            for name, make in WORKLOADS.items():
                figures[f"sizes|{size}|{name}"] = size_figures(snapshot, make(), args.batch, args.runs)
    return figures


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.2f}"


def print_tables(figures: dict[str, dict[str, float]], args: argparse.Namespace) -> None:
    print(f"mixes: {args.instances:,} instances, batch = place(count={args.batch}) (median of {args.runs});")
    print(f"one placement = place(count=1) on a new snapshot, {args.samples} samples;")
    print(f"one-by-one = {args.sequence} x place(count=1), each on the snapshot the last returned\n")
    print(
        "| workload | batch: placements/s | one: p50 ms | one: p99 ms | one: CPU p50 ms | one: CPU p99 ms "
        "| one-by-one: placements/s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for key, row in figures.items():
        table, _, name = key.split("|")
        if table == "mixes":
            print(f"| {name} | " + " | ".join(_number(row[c]) for c in MIX_COLUMNS) + " |")
    if args.mixes_only:
        return
    print(f"\nsizes: median of {args.runs} runs; batch = place(count={args.batch})\n")
    print("| instances | workload | cold placement (ms) | batch: placements/s | batch: ms/placement |")
    print("|---:|---|---:|---:|---:|")
    for key, row in figures.items():
        table, size, name = key.split("|")
        if table == "sizes":
            cells = f"{row['cold ms']:.2f} | {row['batch/s']:,.0f} | {row['batch ms/placement']:.3f}"
            print(f"| {int(size):,} | {name} | {cells} |")


def _child(argv: list[str], operator: Path) -> dict[str, dict[str, float]]:
    command = [sys.executable, __file__, *argv, "--json", "--operator", str(operator)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    figures: dict[str, dict[str, float]] = json.loads(out)
    return figures


def compare(args: argparse.Namespace, argv: list[str]) -> None:
    """This tree (A) against ``--vs`` (B), in turn; speed-up = how many times faster A is than B."""
    pairs: list[tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]] = []
    for n in range(args.pairs):
        a = _child(argv, _OPERATOR)
        b = _child(argv, Path(args.vs).resolve())
        pairs.append((a, b))
        print(f"pair {n + 1}/{args.pairs} done", file=sys.stderr, flush=True)
    print(f"A = {_OPERATOR}, B = {Path(args.vs).resolve()}; {args.pairs} pairs run A B A B ...;")
    print("figures are medians over the pairs; speed-up = median over the pairs of B's time / A's time")
    print("(for a rate: A / B), so > 1 means A is faster\n")
    print("| table | instances | workload | figure | A | B | speed-up (x) |")
    print("|---|---:|---|---|---:|---:|---:|")
    for key in pairs[0][0]:
        table, size, name = key.split("|")
        for figure in pairs[0][0][key]:
            a_values = [a[key][figure] for a, _ in pairs]
            b_values = [b[key][figure] for _, b in pairs]
            rate = figure.endswith("/s")
            ratios = [(x / y if rate else y / x) for x, y in zip(a_values, b_values, strict=True)]
            print(
                f"| {table} | {int(size):,} | {name} | {figure} | {_number(statistics.median(a_values))} "
                f"| {_number(statistics.median(b_values))} | {statistics.median(ratios):.2f} |",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--instances", type=int, default=5000, help="size of the mixes table")
    parser.add_argument("--samples", type=int, default=100, help="single placements timed per mix")
    parser.add_argument("--sequence", type=int, default=100, help="tasks placed one call at a time")
    parser.add_argument("--mixes-only", action="store_true")
    parser.add_argument("--vs", help="another operator/ source root to compare with, in turn")
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--operator", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.vs:
        argv = list(sys.argv[1:])
        at = argv.index("--vs")
        del argv[at : at + 2]
        if "--pairs" in argv:
            at = argv.index("--pairs")
            del argv[at : at + 2]
        compare(args, argv)
        return
    figures = measure(args)
    if args.json:
        print(json.dumps(figures))
        return
    print(
        f"placement engine, Python {platform.python_version()} on {platform.machine()} ({platform.system()})\n"
    )
    print_tables(figures, args)


if __name__ == "__main__":
    main()
