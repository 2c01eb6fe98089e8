"""The figures of one run: latencies, utilization, 429 share, drain, losses and duplicates."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from benchmarks.load import Sample
from benchmarks.runs import Run


@dataclass(frozen=True)
class Figures:
    """The figures the benchmark reports for one design (times in ms or s as named)."""

    design: str
    uploads: int
    accepted: int
    refused: int
    failed: int
    capacity_per_s: float
    utilization: float
    utilization_after_burst: float
    throttled_share: float
    drain_s: float
    drain_bound_s: float
    drain_ratio: float
    accept_p50_ms: float
    accept_p99_ms: float
    e2e_p50_ms: float
    e2e_p99_ms: float
    lost: int
    duplicates: int


def figures(run: Run) -> Figures:
    """Work out the figures of `run`."""
    accepted = [u for u in run.recording.uploads if u.accepted]
    outcome = run.outcome
    settled = {u.submission_id: outcome.settled_at.get(u.submission_id) for u in accepted}
    e2e = [(at - u.sent) * 1000 for u in accepted if (at := settled[u.submission_id])]
    accept = [(u.answered - u.sent) * 1000 for u in accepted]
    drain = max((at for at in settled.values() if at), default=run.started) - run.started
    bound = len(accepted) / run.plan.capacity
    return Figures(
        design=run.design,
        uploads=len(run.recording.uploads),
        accepted=len(accepted),
        refused=len(run.recording.uploads) - len(accepted),
        failed=sum(outcome.status.get(u.submission_id) == "failed" for u in accepted),
        capacity_per_s=run.plan.capacity,
        utilization=utilization(run.recording.samples),
        utilization_after_burst=utilization(_after_burst(run)),
        throttled_share=throttled_share(run.recording.samples),
        drain_s=drain,
        drain_bound_s=bound,
        drain_ratio=drain / bound if bound else math.nan,
        accept_p50_ms=percentile(accept, 50),
        accept_p99_ms=percentile(accept, 99),
        e2e_p50_ms=percentile(e2e, 50),
        e2e_p99_ms=percentile(e2e, 99),
        lost=sum(at is None for at in settled.values()),
        duplicates=duplicates(run, set(settled)),
    )


def utilization(samples: list[Sample]) -> float:
    """Scans completed ÷ what the scanner could complete, over the intervals that began with
    at least as many submissions waiting as the scanner has slots (a backlog). Over a few
    seconds it can pass 1: scans that began before the first interval end inside it.
    """
    done = possible = 0.0
    for before, after in itertools.pairwise(samples):
        if before.slots and before.backlog >= before.slots:
            done += after.scans - before.scans
            possible += before.slots / before.latency_s * (after.t - before.t)
    return done / possible if possible else math.nan


def _after_burst(run: Run) -> list[Sample]:
    """The samples once every upload was answered: the web no longer competes for the CPU."""
    last = max((u.answered for u in run.recording.uploads), default=run.started)
    return [s for s in run.recording.samples if s.t >= last]


def throttled_share(samples: list[Sample]) -> float:
    """The share of scanner calls answered 429 during the run."""
    if len(samples) < 2:
        return math.nan
    calls = samples[-1].calls - samples[0].calls
    return (samples[-1].busy - samples[0].busy) / calls if calls else 0.0


def duplicates(run: Run, ids: set[str]) -> int:
    """Second decisions, emails, .eml files or scans for one of the submissions `ids`."""
    outcome = run.outcome
    samples = run.recording.samples
    scans = samples[-1].scans - samples[0].scans if samples else 0
    extra_scans = max(0, scans - len(outcome.scanned & ids))
    extra = sum(max(0, len(outcome.decided.get(i, ())) - 1) for i in ids)
    extra += sum(max(0, outcome.emails.get(i, 0) - 1) for i in ids)
    return extra + outcome.extra_eml_files + extra_scans


def percentile(values: list[float], pct: float) -> float:
    """The `pct`-th percentile (nearest rank, so p99 is a real observation); NaN if empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]
