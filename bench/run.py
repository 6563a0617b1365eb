#!/usr/bin/env python3
"""`make bench`: every benchmark, one Markdown report (printed and written to bench/results/).

The report starts with the machine and the versions, then each benchmark's own table. Nothing
here asserts a speed: the figures are for reading and comparing across runs.

    python bench/run.py                  # the default set: placement engine, e2e 100 nodes / 1,000 tasks, schedules
    python bench/run.py --scale          # (or BENCH_SCALE=1) e2e at 1,000 nodes / 10,000 tasks and at ECS's
                                         # quotas: 5,000 container instances, 5,000 tasks in one service
    python bench/run.py --e2e 1000x2000  # only the end-to-end benchmark, at these sizes (nodes x tasks, comma-separated)
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
E2E = "End to end: service vs Deployment on the local control plane"
BENCHES = [
    ("Placement engine", ["bench/placement_bench.py"]),
    (
        "Placement engine: 5,000 instances, a batch of 1,000",
        ["bench/placement_bench.py", "--sizes", "5000", "--batch", "1000"],
    ),
    (f"{E2E}, 100 nodes / 1,000 tasks", ["bench/e2e_bench.py", "--nodes", "100", "--tasks", "1000"]),
    ("Scheduled tasks: lag and idle CPU", ["bench/scheduled_bench.py"]),
]
SCALE = [
    (f"{E2E}, 1,000 nodes / 10,000 tasks", ["bench/e2e_bench.py", "--nodes", "1000", "--tasks", "10000"]),
    (
        f"{E2E}, ECS quotas: 5,000 container instances, 5,000 tasks in one service",
        ["bench/e2e_bench.py", "--nodes", "5000", "--tasks", "5000"],
    ),
]


def header() -> str:
    pins = (ROOT / "hack" / "controlplane" / "pins.env").read_text()
    versions = ", ".join(line for line in pins.splitlines() if line and not line.startswith("#"))
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/meminfo").read_text().splitlines()
            if ln.startswith("MemTotal")
        ),
        "?",
    )
    return (
        f"# ecs-operator benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
        f"- machine: {cpu}, {os.cpu_count()} cores, {mem} memory, {platform.platform()}\n"
        f"- Python {platform.python_version()}; {versions}\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", action="store_true", default=os.environ.get("BENCH_SCALE") == "1")
    parser.add_argument("--e2e", help="only the end-to-end benchmark at NODESxTASKS[,NODESxTASKS...]")
    args = parser.parse_args()
    benches = SCALE if args.scale else BENCHES
    if args.e2e:
        sizes = [size.split("x") for size in args.e2e.split(",")]
        benches = [
            (f"{E2E}, {n} nodes / {t} tasks", ["bench/e2e_bench.py", "--nodes", n, "--tasks", t])
            for n, t in sizes
        ]
    report = [header()]
    failed = 0
    for title, cmd in benches:
        script = ROOT / cmd[0]
        if not script.exists():
            report.append(f"\n## {title}\n\n(not present)\n")
            continue
        print(f"\n## {title} ...", file=sys.stderr, flush=True)
        start = time.monotonic()
        # stdout is the benchmark's table; stderr (progress) is echoed as it comes and its tail kept.
        proc = subprocess.Popen(
            [sys.executable, *cmd], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        tail: deque[str] = deque(maxlen=40)
        assert proc.stderr is not None and proc.stdout is not None
        for line in proc.stderr:
            sys.stderr.write(line)
            tail.append(line)
        stdout = proc.stdout.read()
        rc = proc.wait()
        took = time.monotonic() - start
        body = stdout.strip() if rc == 0 else f"FAILED ({rc}):\n\n```\n{''.join(tail)[-3000:]}\n```"
        failed += rc != 0
        report.append(f"\n## {title}\n\n{body}\n\n({took:.0f} s)\n")
        print(report[-1], flush=True)
    text = "".join(report)
    out = ROOT / "bench" / "results" / f"{datetime.now(UTC):%Y%m%d-%H%M}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"\nwritten to {out.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
