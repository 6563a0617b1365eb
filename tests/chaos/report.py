"""The Markdown report of a set of runs: the summary table first, then each run, then each
violation with its details (a report that only counts violations cannot be acted on)."""

from __future__ import annotations

import platform
from collections import Counter
from datetime import UTC, datetime

from tests.chaos.harness import RunResult, median, percentile


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


def summary(results: list[RunResult]) -> list[tuple[str, str]]:
    faults: Counter[str] = Counter()
    by_invariant: Counter[str] = Counter()
    for r in results:
        faults.update(r.faults)
        by_invariant.update(v.removeprefix("after failover: ").split(" ", 1)[0] for v in r.violations)
        by_invariant.update(f"{v.split(' ', 1)[0]} (mid-run)" for v in r.during)
    converge = [r.converge_seconds for r in results if r.converge_seconds is not None]
    failover = [r.failover_seconds for r in results if r.failover_seconds is not None]
    notes = sorted({r.failover_note for r in results if r.failover_seconds is None})
    rows = [
        ("runs", f"{len(results)} (seeds {', '.join(str(r.seed) for r in results)})"),
        ("runs with no violation and converged", f"{sum(r.ok for r in results)} / {len(results)}"),
        (
            "faults injected",
            f"{sum(faults.values())}: " + ", ".join(f"{k} {n}" for k, n in sorted(faults.items())),
        ),
        (
            "runs that did not converge (checks still failing after the timeout)",
            str(sum(not r.converged for r in results)),
        ),
        ("violations left at the end", str(sum(len(r.violations) for r in results))),
        (
            "violations mid-run (invariants that hold at every resourceVersion)",
            str(sum(len(r.during) for r in results)),
        ),
        ("violations by invariant", ", ".join(f"{k} {n}" for k, n in sorted(by_invariant.items())) or "none"),
        (
            "time to converge after the faults, p50 / p99",
            f"{_seconds(median(converge))} / {_seconds(percentile(converge, 99))}",
        ),
        (
            "lease failover (SIGKILL of the holder → next task placed), p50 / max",
            f"{_seconds(median(failover))} / {_seconds(max(failover))}" if failover else "; ".join(notes),
        ),
        (
            "watches from before the faults answered 410 Gone",
            f"{sum(bool(r.watch_gone) for r in results)} / {len(results)}",
        ),
        (
            "operator exits other than SIGKILL / crash point",
            str(sum(len(r.unexpected_exits) for r in results)),
        ),
        ("runs that broke (harness error)", str(sum(bool(r.error) for r in results))),
    ]
    return rows


def markdown(results: list[RunResult], command: str) -> str:
    lines = [
        f"# Fault-injection suite — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"`{command}` on {platform.node()} ({platform.machine()}, Python {platform.python_version()}).",
        "",
        "| | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in summary(results)),
        "",
        "## Runs",
        "",
        "| seed | replicas | leases | faults | workload | converged after | violations | mid-run | failover | seconds |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        faults = ", ".join(f"{k} {n}" for k, n in sorted(r.faults.items()))
        work = ", ".join(f"{k} {n}" for k, n in sorted(r.workload.items()))
        conv = _seconds(r.converge_seconds) if r.converged else "**no**"
        lines.append(
            f"| {r.seed} | {r.replicas} | {r.leases} | {faults} | {work} | {conv} | {len(r.violations)} | {len(r.during)} |"
            f" {r.failover_note} | {r.seconds:.0f} |"
        )
    details = [r for r in results if r.violations or r.during or r.error or r.unexpected_exits]
    if details:
        lines += ["", "## Violations and errors", ""]
    for r in details:
        lines += [f"### seed {r.seed} (logs: `{r.run_dir}`)", ""]
        lines += [f"- {v}" for v in r.violations[:40]]
        if len(r.violations) > 40:
            lines.append(f"- … {len(r.violations) - 40} more (result.json)")
        lines += [f"- mid-run: {v}" for v in r.during[:20]]
        lines += [f"- unexpected exit: {e}" for e in r.unexpected_exits]
        if r.error:
            lines += ["", "```", r.error.strip(), "```"]
        lines.append("")
    return "\n".join(lines) + "\n"
