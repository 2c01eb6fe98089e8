"""Load-leveling benchmark: a burst of uploads, much faster than the scanner's capacity C, through
the real HTTP API, against three designs side by side: (a) scanning inline in the upload request,
(b) Azure Functions' default queue trigger, (c) photogate. A second scenario halves the scanner's
capacity mid-run, later restores it, and times how long photogate's limit takes to settle.

    python -m benchmarks.load_leveling [--quick] [--json PATH] [--chart PATH]

Needs the `bench` extra (matplotlib). See README.md, "Benchmarks".
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from rich.console import Console

from benchmarks.chart import draw
from benchmarks.measure import figures
from benchmarks.report import Settling, print_report, write_json
from benchmarks.runs import DESIGNS, Plan, Run, prepare_template, run_design
from benchmarks.settling import settle_time, total_limit

OUT = Path(__file__).parent / "out"


@dataclass(frozen=True)
class Sizes:
    """How big a run is: uploads per design, and the capacity scenario's phases (seconds;
    None: no scenario).
    """

    uploads: int
    phases_s: tuple[float, float, float] | None


# The burst of 2,000 uploads. Start-up costs about 1.5 s however big the burst is (the
# first upload's answer, the slow start, its first 429's Retry-After), which is 3 % of a
# 50-second drain but 1 % of a 125-second one; `--uploads 800` shows the shorter case.
DEFAULT = Sizes(uploads=2000, phases_s=(15.0, 30.0, 30.0))
# No capacity scenario: settling is judged over several probe intervals (10 s each), which
# would not fit in a minute.
QUICK = Sizes(uploads=80, phases_s=None)
# Wide enough for the table when the output is a file, not a terminal.
REPORT_WIDTH = 150


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark as the command line asks, print the table, write JSON and chart."""
    args = _parser().parse_args(argv)
    console = Console() if sys.stdout.isatty() else Console(width=REPORT_WIDTH)
    sizes = QUICK if args.quick else DEFAULT
    plan = Plan(
        uploads=args.uploads or sizes.uploads,
        clients=args.clients,
        slots=args.slots,
        latency_s=args.latency,
        retry_after_s=args.retry_after,
    )
    started = time.monotonic()
    runs, settling = run_all(plan, sizes.phases_s, args, console)
    results = [figures(run) for run in runs if run.design in DESIGNS]
    print_report(console, results, settling)
    write_json(args.json, results, settling)
    if args.quick:
        console.print("--quick checks the harness: too short to judge the targets (start-up")
        console.print("weighs too much) and without the capacity change; use the default run.")
    console.print(f"\nwrote {args.json} and {args.chart} in {time.monotonic() - started:.0f} s")


def run_all(
    plan: Plan,
    phases_s: tuple[float, float, float] | None,
    args: argparse.Namespace,
    console: Console,
) -> tuple[list[Run], Settling | None]:
    """Every design under `plan`, then (unless skipped) the capacity-change scenario."""
    work = args.out / "work"
    template = prepare_template(work)
    runs = []
    for design in args.designs:
        console.print(f"[bold]{design}[/bold]: {plan.uploads} uploads, C = {plan.capacity:g}/s")
        runs.append(
            _timed(console, partial(run_design, design, plan, template, work, console=console))
        )
    settling = None
    if phases_s is not None and not args.no_scenario:
        scenario, settling = capacity_change(plan, phases_s, template, work, console)
        runs.append(scenario)
    draw(runs, args.chart)
    return runs, settling


def capacity_change(
    plan: Plan, phases_s: tuple[float, float, float], template: Path, work: Path, console: Console
) -> tuple[Run, Settling]:
    """photogate while the scanner's slots halve after phase 1 and come back after phase 2."""
    first, halved, restored = phases_s
    half = max(1, plan.slots // 2)
    uploads = int(plan.capacity * (first + restored) + half / plan.latency_s * halved)
    changes = ((first, half), (first + halved, plan.slots))
    scenario = dataclasses.replace(plan, uploads=uploads, changes=changes)
    console.print(f"[bold]capacity change[/bold]: {plan.slots} → {half} → {plan.slots} slots")
    run = _timed(
        console,
        lambda: run_design("photogate", scenario, template, work / "capacity", console=console),
    )
    run.design = "photogate, capacity halved then restored"
    return run, Settling(_settle_times(run), figures(run))


def _timed(console: Console, work: Callable[[], Run]) -> Run:
    started = time.monotonic()
    run = work()
    console.print(f"  done in {time.monotonic() - started:.0f} s")
    return run


def _settle_times(run: Run) -> list[tuple[int, float | None]]:
    """For each capacity change: the new slots, and how long the limit took to settle, judged
    until the next change or the end of the backlog.
    """
    series = total_limit(run.trace)
    backlog = [s.t for s in run.recording.samples if s.backlog >= s.slots]
    ends = [at for at, _ in run.changed_at[1:]] + [backlog[-1] if backlog else run.started]
    return [
        (slots, settle_time(series, at, slots, until))
        for (at, slots), until in zip(run.changed_at, ends, strict=True)
    ]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.load_leveling",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick", action="store_true", help="a small run without the capacity change (< 1 min)"
    )
    parser.add_argument("--uploads", type=int, default=0, help="uploads per design (N)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent uploaders (16)")
    parser.add_argument("--slots", type=int, default=8, help="scanner slots (8)")
    parser.add_argument("--latency", type=float, default=0.5, help="seconds per scan (0.5)")
    parser.add_argument(
        "--retry-after", type=int, default=1, help="the scanner's Retry-After on 429, s (1)"
    )
    parser.add_argument("--designs", nargs="+", choices=DESIGNS, default=list(DESIGNS))
    parser.add_argument("--no-scenario", action="store_true", help="skip the capacity change")
    parser.add_argument("--out", type=Path, default=OUT, help="work and output directory")
    parser.add_argument("--json", type=Path, default=OUT / "load_leveling.json")
    parser.add_argument("--chart", type=Path, default=OUT / "load_leveling.png")
    return parser


if __name__ == "__main__":
    main()
