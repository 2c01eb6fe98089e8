"""The benchmark's printed table, its targets (PASS/FAIL) and its JSON."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.measure import Figures

UTILIZATION_TARGET = 0.95
THROTTLED_TARGET = 0.01
DRAIN_TARGET = 1.05
SETTLE_TARGET_S = 10.0


@dataclass(frozen=True)
class Settling:
    """The capacity-change scenario: each change (new slots) and how long the limit took."""

    changes: list[tuple[int, float | None]]
    figures: Figures


def targets(figures: Figures, settling: Settling | None) -> dict[str, bool]:
    """photogate's targets, each passed or not."""
    met = {
        "utilization": figures.utilization >= UTILIZATION_TARGET,
        "throttled_share": figures.throttled_share <= THROTTLED_TARGET,
        "drain_ratio": figures.drain_ratio <= DRAIN_TARGET,
    }
    if settling is not None:
        met["settle_s"] = all(s is not None and s <= SETTLE_TARGET_S for _, s in settling.changes)
    return met


def print_report(console: Console, results: list[Figures], settling: Settling | None) -> None:
    """The side-by-side table, then photogate's targets with PASS/FAIL."""
    table = Table(title="Load leveling: a burst of uploads against a scanner of capacity C")
    for column in ("design", "accepted", "failed", "util.", "429s", "drain ÷ N/C"):
        table.add_column(column, justify="right")
    for column in ("accept p50/p99", "e2e p50/p99", "lost", "dup."):
        table.add_column(column, justify="right")
    for f in results:
        table.add_row(*_row(f))
    console.print(table)
    for f in results:
        if f.design == "photogate":
            _print_targets(console, f, settling)


def _row(f: Figures) -> list[str]:
    return [
        f.design,
        f"{f.accepted}/{f.uploads}",
        str(f.failed),
        _pct(f.utilization),
        _pct(f.throttled_share),
        f"{f.drain_s:.1f} s ÷ {f.drain_bound_s:.1f} = {f.drain_ratio:.2f}",
        f"{_ms(f.accept_p50_ms)}/{_ms(f.accept_p99_ms)}",
        f"{_ms(f.e2e_p50_ms)}/{_ms(f.e2e_p99_ms)}",
        str(f.lost),
        str(f.duplicates),
    ]


def _print_targets(console: Console, f: Figures, settling: Settling | None) -> None:
    met = targets(f, settling)
    lines = {
        "utilization": f"utilization during backlog {_pct(f.utilization)} (target ≥ 95 %;"
        f" {_pct(f.utilization_after_burst)} once every upload was answered)",
        "throttled_share": f"scanner calls answered 429: {_pct(f.throttled_share)} (≤ 1 %)",
        "drain_ratio": f"drain time {f.drain_ratio:.2f} × N/C (target ≤ 1.05)",
    }
    if settling is not None:
        told = ", ".join(f"to {slots} slots: {_s(s)}" for slots, s in settling.changes)
        lines["settle_s"] = f"limit within 10 % of a changed capacity: {told} (≤ 10 s)"
    console.print("\nphotogate against its targets:")
    for key, text in lines.items():
        verdict = "[green]PASS[/green]" if met[key] else "[red]FAIL[/red]"
        console.print(f"  {verdict}  {text}")


def write_json(path: Path, results: list[Figures], settling: Settling | None) -> None:
    """A list with one object per design; photogate's carries its targets and the scenario."""
    objects: list[dict[str, Any]] = []
    for f in results:
        data: dict[str, Any] = {k: _finite(v) for k, v in asdict(f).items()}
        if f.design == "photogate":
            data["targets"] = targets(f, settling)
            if settling is not None:
                data["capacity_change"] = _scenario(settling)
        objects.append(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(objects, indent=2) + "\n")


def _scenario(settling: Settling) -> dict[str, Any]:
    changes = [{"slots": slots, "settle_s": s} for slots, s in settling.changes]
    figures = {k: _finite(v) for k, v in asdict(settling.figures).items()}
    return {"changes": changes, "figures": figures}


def _finite(value: object) -> object:
    """NaN is not JSON: a figure that could not be measured is null."""
    return None if isinstance(value, float) and math.isnan(value) else value


def _pct(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value * 100:.1f} %"


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.0f} ms"


def _s(value: float | None) -> str:
    return "not settled" if value is None else f"{value:.1f} s"
