#!/usr/bin/env python3
"""`make chaos`: the fault-injection suite, many seeded runs, one Markdown report.

    python hack/chaos/run.py [--runs 20] [--seed 1] [--phase 75] [--extra-faults 3]

Run i uses seed `seed + i`, so a report's failing run is replayed alone with `--runs 1
--seed <its seed>`. Runs are sequential (each starts its own control plane; the machine has few
cores). The report goes to bench/results/chaos-<UTC time>.md and stdout; each run's logs and
result.json stay in .tmp/chaos/run-<seed>/. It never asserts: the exit code is 1 when a run
had a violation, did not converge or broke, so CI can still tell.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.chaos.harness import RunConfig, RunResult, run_once  # noqa: E402
from tests.chaos.report import markdown  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("CHAOS_RUNS", "20")))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("CHAOS_SEED", "1")))
    parser.add_argument("--phase", type=float, default=75.0, help="seconds of faults per run")
    parser.add_argument("--extra-faults", type=int, default=3, help="faults beyond one of each kind")
    parser.add_argument("--converge-timeout", type=float, default=180.0)
    parser.add_argument(
        "--leases",
        choices=("on", "off"),
        default=None,
        help="force the replicas' --leases (default: by seed)",
    )
    args = parser.parse_args(argv)
    results: list[RunResult] = []
    for i in range(args.runs):
        config = RunConfig(
            seed=args.seed + i,
            phase_seconds=args.phase,
            extra_faults=args.extra_faults,
            converge_timeout=args.converge_timeout,
            leases=args.leases,
        )
        result = run_once(config)
        results.append(result)
        verdict = "ok" if result.ok else "VIOLATIONS" if result.violations or result.during else "FAILED"
        print(f"run {i + 1}/{args.runs} seed {config.seed}: {verdict} ({result.seconds:.0f} s)", flush=True)
    command = f"hack/chaos/run.py --runs {args.runs} --seed {args.seed} --phase {args.phase:g}"
    text = markdown(results, command)
    out = ROOT / "bench" / "results" / f"chaos-{datetime.now(UTC):%Y%m%d-%H%M}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)
    print(f"report: {out.relative_to(ROOT)}")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
