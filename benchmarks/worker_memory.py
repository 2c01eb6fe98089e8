"""Worker memory with a deep scan queue: the RSS of `photogate worker` with a 100,000-message
backlog must stay within 1.2 x its RSS with an empty queue, measured in the same run.

    python -m benchmarks.worker_memory [--quick] [--json PATH]

The worker first scans a few uploads with the reference scanner working (so every code path it
uses is loaded), and its RSS is sampled once the queue is empty. Then the scanner is set to 0
slots (it answers every scan "busy", so the backlog stays), the backlog is seeded in bulk
(benchmarks/_backlog.py) while the worker runs, and its RSS is sampled again. RSS comes from
/proc/PID/status (VmRSS); each phase reports the largest of its samples.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import Progress

from benchmarks._backlog import queue_depth, seed_backlog
from benchmarks._harness import rss_kib, run_and_report, verdict, wait_for
from benchmarks._stack import Workspace, scanner, set_slots, worker, workspace

TARGET = 1.2
WARM_UP = 20  # submissions scanned and published before the empty-queue samples


@dataclass(frozen=True)
class Plan:
    """The backlog, and how long and how often RSS is sampled in each phase."""

    backlog: int = 100_000
    sample_s: float = 15.0
    every_s: float = 0.5


def run(plan: Plan, console: Console | None = None) -> dict[str, Any]:
    """Measure the worker's RSS with an empty queue, then with the backlog; return the figures."""
    with (
        workspace() as space,
        scanner(space, slots=8, latency_s=0.02) as scanner_url,
        worker(space, scanner_url) as process,
    ):
        cold = rss_kib(process.pid)
        _warm_up(space)
        empty = _samples(process.pid, plan, "RSS, empty queue", console)
        set_slots(scanner_url, 0)
        _seed(space, plan.backlog, console)
        depth, busy = queue_depth(space.data_dir / "queue.sqlite3"), _busy(scanner_url)
        full = _samples(process.pid, plan, "RSS, with backlog", console)
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited; see {space.log('worker')}")
        result = figures(plan, cold, empty, full, depth)
        # Scans the worker tried meanwhile (all answered busy): it was working the backlog.
        return {**result, "busy_answers_while_sampling": _busy(scanner_url) - busy}


def _busy(scanner_url: str) -> int:
    return int(httpx.get(f"{scanner_url}/v1/stats", timeout=5).json()["busy"])


def figures(plan: Plan, cold: int, empty: list[int], full: list[int], depth: int) -> dict[str, Any]:
    """Both phases' samples (KiB), their peaks, the ratio and the verdict."""
    ratio = max(full) / max(empty)
    return {
        "plan": asdict(plan),
        "rss_cold_kib": cold,
        "empty": {"samples_kib": empty, "peak_kib": max(empty), "depth": 0},
        "backlog": {"samples_kib": full, "peak_kib": max(full), "depth": depth},
        "ratio": ratio,
        "target": TARGET,
        "passed": ratio <= TARGET,
    }


def _warm_up(space: Workspace) -> None:
    """Seed a few submissions and wait until the worker has scanned them (the queue is empty)."""
    seed_backlog(space.data_dir, WARM_UP)
    queue = space.data_dir / "queue.sqlite3"
    wait_for(lambda: queue_depth(queue) == 0, "the worker emptying the warm-up queue", 120)


def _samples(pid: int, plan: Plan, name: str, console: Console | None) -> list[int]:
    count = max(1, round(plan.sample_s / plan.every_s))
    samples = []
    with Progress(console=console, transient=True, disable=console is None) as progress:
        task = progress.add_task(name, total=count)
        for _ in range(count):
            samples.append(rss_kib(pid))
            progress.advance(task)
            time.sleep(plan.every_s)  # sampling at a fixed rate is the point here
    return samples


def _seed(space: Workspace, count: int, console: Console | None) -> None:
    with Progress(console=console, transient=True, disable=console is None) as progress:
        task = progress.add_task("seeding the backlog", total=count)
        seed_backlog(space.data_dir, count, progress=lambda n: progress.update(task, completed=n))


def print_figures(result: dict[str, Any], console: Console) -> None:
    """Both phases' peak RSS, the ratio and PASS/FAIL."""
    console.print(f"     cold: {result['rss_cold_kib'] / 1024:.1f} MiB (just started)")
    for name in ("empty", "backlog"):
        phase = result[name]
        low = min(phase["samples_kib"]) / 1024
        console.print(
            f"{name:>9}: depth {phase['depth']:>7}, peak {phase['peak_kib'] / 1024:.1f} MiB "
            f"(lowest {low:.1f} MiB, {len(phase['samples_kib'])} samples)"
        )
    console.print(
        f"scans tried while sampling (answered busy): {result['busy_answers_while_sampling']}"
    )
    console.print(
        f"RSS ratio backlog/empty = {result['ratio']:.2f} (target <= {TARGET}): "
        f"{verdict(result['passed'])}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark from the command line; exit status 1 if the target is missed."""
    args = _parser().parse_args(argv)
    default = Plan(backlog=20_000, sample_s=6.0) if args.quick else Plan()
    plan = Plan(args.backlog or default.backlog, args.seconds or default.sample_s)
    return run_and_report(partial(run, plan), print_figures, args.json)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.worker_memory")
    parser.add_argument("--quick", action="store_true", help="20,000 messages, 6 s (< 60 s)")
    parser.add_argument("--backlog", type=int, default=0, help="queued messages (100,000)")
    parser.add_argument("--seconds", type=float, default=0, help="sampling per phase (15 s)")
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    return parser


if __name__ == "__main__":
    sys.exit(main())
