#!/usr/bin/env python3
"""`make bench`: every benchmark, one Markdown report (printed and written to bench/results/).

The report starts with the machine and the versions, then each benchmark's own table. Nothing
here asserts a speed: the figures are for reading and comparing across runs.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHES = [
    ("Placement engine", ["bench/placement_bench.py"]),
    ("End to end: service vs Deployment on the local control plane", ["bench/e2e_bench.py"]),
    ("Scheduled tasks: lag and idle CPU", ["bench/scheduled_bench.py"]),
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
    report = [header()]
    failed = 0
    for title, cmd in BENCHES:
        script = ROOT / cmd[0]
        if not script.exists():
            report.append(f"\n## {title}\n\n(not present)\n")
            continue
        start = time.monotonic()
        res = subprocess.run([sys.executable, *cmd[0:1], *cmd[1:]], cwd=ROOT, capture_output=True, text=True)
        took = time.monotonic() - start
        body = (
            res.stdout.strip()
            if res.returncode == 0
            else f"FAILED ({res.returncode}):\n\n```\n{res.stderr[-3000:]}\n```"
        )
        failed += res.returncode != 0
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
