"""The PNG chart: backlog, scanner throughput, capacity and the adaptive limit over time."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from benchmarks.runs import Run
from benchmarks.settling import total_limit

SMOOTH_S = 1.0


def draw(runs: list[Run], path: Path) -> None:
    """One column per run: backlog above; throughput, capacity and limit below."""
    figure, axes = plt.subplots(2, len(runs), figsize=(5 * len(runs), 7), squeeze=False)
    for column, run in enumerate(runs):
        _backlog(axes[0][column], run)
        _throughput(axes[1][column], run)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _backlog(ax: Axes, run: Run) -> None:
    samples = run.recording.samples
    ax.plot([s.t - run.started for s in samples], [s.backlog for s in samples], color="tab:gray")
    ax.set_title(run.design)
    ax.set_ylabel("backlog (submissions waiting)")


def _throughput(ax: Axes, run: Run) -> None:
    samples = run.recording.samples
    times, rates = _rates(run)
    ax.plot(times, rates, color="tab:blue", label="scans/s")
    capacity = [s.slots / s.latency_s for s in samples]
    ax.plot([s.t - run.started for s in samples], capacity, "--", color="tab:red", label="C")
    ax.set_xlabel("seconds since the burst began")
    ax.set_ylabel("scans per second")
    ax.legend(loc="upper left")
    series = total_limit(run.trace)
    if series:
        limit_ax = ax.twinx()
        limit_ax.step(
            [t - run.started for t, _ in series],
            [limit for _, limit in series],
            where="post",
            color="tab:green",
            label="limit",
        )
        limit_ax.plot(
            [s.t - run.started for s in samples],
            [s.slots for s in samples],
            ":",
            color="tab:green",
            label="slots",
        )
        limit_ax.set_ylabel("calls in flight allowed")
        limit_ax.set_ylim(bottom=0)
        limit_ax.legend(loc="upper right")


def _rates(run: Run) -> tuple[list[float], list[float]]:
    """Scans per second over the last SMOOTH_S, at each sample."""
    samples = run.recording.samples
    times, rates = [], []
    first = 0
    for sample in samples:
        while sample.t - samples[first].t > SMOOTH_S:
            first += 1
        span = sample.t - samples[first].t
        if span > 0:
            times.append(sample.t - run.started)
            rates.append((sample.scans - samples[first].scans) / span)
    return times, rates
