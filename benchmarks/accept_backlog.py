"""Upload accept latency with a deep scan queue: p99 with a 10,000-message backlog must stay
within 1.5 x the p99 with an empty queue, both measured in the same run against the real
`photogate web` (embedded default: SQLite queue and catalog, files), with no worker consuming.

    python -m benchmarks.accept_backlog [--quick] [--json PATH]

The backlog is seeded in bulk through the SQL adapter's tables and the SQLite queue's schema
(benchmarks/_backlog.py): real queued submissions, originals and scan messages.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress

from benchmarks._backlog import queue_depth, seed_backlog
from benchmarks._harness import percentile, run_and_report, verdict
from benchmarks._stack import Workspace, web, workspace
from benchmarks._uploads import Sent, send_uploads

TARGET = 1.5
WARM_UP = 10  # uploads before the first phase: imports, caches and connections are ready


@dataclass(frozen=True)
class Plan:
    """Uploads timed per phase, concurrent clients, and the backlog of the second phase."""

    uploads: int = 500
    clients: int = 4
    backlog: int = 10_000


@dataclass(frozen=True)
class Phase:
    """One phase's figures: the queue depth before it, uploads accepted, latencies in ms."""

    depth: int
    accepted: int
    refused: int
    p50_ms: float
    p99_ms: float


def run(plan: Plan, console: Console | None = None) -> dict[str, Any]:
    """Measure both phases in one run and return the figures (see `figures`)."""
    with workspace() as space, web(space) as served:
        url = served.url
        asyncio.run(send_uploads(url, WARM_UP, plan.clients, first=-WARM_UP))
        empty = _phase(space, url, plan, 0, "empty queue", console)
        _seed(space, plan.backlog, console)
        backlog = _phase(space, url, plan, plan.uploads, "with backlog", console)
    return figures(plan, empty, backlog)


def figures(plan: Plan, empty: Phase, backlog: Phase) -> dict[str, Any]:
    """Both phases, the p99 ratio (backlog / empty) and whether it meets the target."""
    ratio = backlog.p99_ms / empty.p99_ms
    return {
        "plan": asdict(plan),
        "empty": asdict(empty),
        "backlog": asdict(backlog),
        "p99_ratio": ratio,
        "target": TARGET,
        "passed": ratio <= TARGET,
    }


def _phase(
    space: Workspace, url: str, plan: Plan, first: int, name: str, console: Console | None
) -> Phase:
    depth = queue_depth(space.data_dir / "queue.sqlite3")
    with Progress(console=console, transient=True, disable=console is None) as progress:
        task = progress.add_task(f"uploads, {name}", total=plan.uploads)
        sent = asyncio.run(
            send_uploads(
                url, plan.uploads, plan.clients, first=first, progress=_update(progress, task)
            )
        )
    return _summary(depth, sent)


def _summary(depth: int, sent: Sent) -> Phase:
    if not sent.latencies:
        raise RuntimeError(f"not one upload was accepted (statuses: {sent.refused})")
    ms = [latency * 1000 for latency in sent.latencies]
    refused = sum(sent.refused.values())
    return Phase(depth, sent.accepted, refused, percentile(ms, 0.5), percentile(ms, 0.99))


def _seed(space: Workspace, count: int, console: Console | None) -> None:
    with Progress(console=console, transient=True, disable=console is None) as progress:
        task = progress.add_task("seeding the backlog", total=count)
        seed_backlog(space.data_dir, count, progress=_update(progress, task))


def _update(progress: Progress, task: Any) -> Any:
    return lambda done: progress.update(task, completed=done)


def print_figures(result: dict[str, Any], console: Console) -> None:
    """The two phases, the ratio and PASS/FAIL."""
    for name in ("empty", "backlog"):
        phase = result[name]
        console.print(
            f"{name:>8}: depth {phase['depth']:>6}, {phase['accepted']} accepted "
            f"({phase['refused']} refused), p50 {phase['p50_ms']:.1f} ms, "
            f"p99 {phase['p99_ms']:.1f} ms"
        )
    console.print(
        f"p99 ratio backlog/empty = {result['p99_ratio']:.2f} (target <= {TARGET}): "
        f"{verdict(result['passed'])}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark from the command line; exit status 1 if the target is missed."""
    args = _parser().parse_args(argv)
    plan = Plan(uploads=120) if args.quick else Plan()
    plan = Plan(args.uploads or plan.uploads, args.clients, args.backlog)
    return run_and_report(partial(run, plan), print_figures, args.json)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.accept_backlog")
    parser.add_argument("--quick", action="store_true", help="120 uploads per phase (< 60 s)")
    parser.add_argument("--uploads", type=int, default=0, help="uploads timed per phase (500)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (4)")
    parser.add_argument("--backlog", type=int, default=10_000, help="queued messages (10,000)")
    parser.add_argument("--json", type=Path, help="write the figures to this JSON file")
    return parser


if __name__ == "__main__":
    sys.exit(main())
