"""Benchmark of the placement engine alone (testing.md, "Benchmarks").

Measures, at 100, 1,000 and 5,000 container instances, for four workloads:

- **cold**: one ``place(count=1)`` on a fresh snapshot: every instance is judged, then ranked
  (what a single RunTask or one service task costs);
- **batch**: one ``place(count=100)``: placements per second and the mean latency per placement
  when N tasks are placed one at a time, each updating the snapshot for the next.

Every figure is the median of several runs. Instances are spread over three zones and two instance
types, and carry existing tasks of several groups, so the ledgers are not empty.

    .venv/bin/python bench/placement_bench.py [--runs 5] [--sizes 100,1000,5000] [--batch 100]
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "operator"))

from ecs_operator.placement import (
    ClusterSnapshot,
    TaskBuilder,
    TaskRequest,
    make_instance,
    make_task,
    place,
)

ZONES = ("zone-a", "zone-b", "zone-c")
GROUPS = ("service:api", "service:db", "family:batch", "service:cache")


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


def web() -> TaskBuilder:
    return make_task("default/web").service("web").cpu(256).memory(512).dynamic_ports(1)


WORKLOADS: dict[str, Callable[[], TaskRequest]] = {
    "binpack(memory)": lambda: web().strategy("binpack", "memory").build(),
    "spread(AZ)+binpack(memory)": lambda: (
        web().strategy("spread", "attribute:ecs.availability-zone").strategy("binpack", "memory").build()
    ),
    "distinctInstance + spread(AZ)": lambda: (
        web().distinct_instance().strategy("spread", "attribute:ecs.availability-zone").build()
    ),
    "memberOf + spread(AZ)": lambda: (
        web()
        .member_of("attribute:ecs.instance-type =~ m5.* and attribute:stack == prod")
        .member_of("not(task:group == service:db)")
        .strategy("spread", "attribute:ecs.availability-zone")
        .build()
    ),
}


def timed(snapshot: ClusterSnapshot, request: TaskRequest, count: int, seed: int) -> float:
    rng = random.Random(seed)
    start = time.perf_counter()
    place(snapshot, request, count, rng)
    return time.perf_counter() - start


def measure(snapshot: ClusterSnapshot, request: TaskRequest, batch: int, runs: int) -> tuple[float, float]:
    """(median seconds of one cold placement, median seconds of a batch of ``batch``)."""
    cold = [timed(snapshot, request, 1, seed) for seed in range(runs)]
    batches = [timed(snapshot, request, batch, seed) for seed in range(runs)]
    result = place(snapshot, request, batch, random.Random(0))
    if result.unplaced:
        raise SystemExit(f"benchmark workload could not place all tasks: {result.failure}")
    return statistics.median(cold), statistics.median(batches)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()

    print(
        f"placement engine, Python {platform.python_version()} on {platform.machine()} ({platform.system()})"
    )
    print(f"median of {args.runs} runs; batch = place(count={args.batch})\n")
    print("| instances | workload | cold placement (ms) | batch: placements/s | batch: ms/placement |")
    print("|---:|---|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        snapshot = cluster(size)
        for name, make in WORKLOADS.items():
            request = make()
            cold, batch = measure(snapshot, request, args.batch, args.runs)
            per = batch / args.batch
            print(
                f"| {size:,} | {name} | {cold * 1000:.2f} | {1 / per:,.0f} | {per * 1000:.3f} |", flush=True
            )


if __name__ == "__main__":
    main()
