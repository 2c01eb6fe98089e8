"""How long the adaptive limit takes to settle after the scanner's capacity changes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

TOLERANCE = 0.10
HOLD_S = 3.0


def total_limit(trace: Sequence[Mapping[str, float]]) -> list[tuple[float, int]]:
    """(time, sum of every worker process's latest limit) at each trace line."""
    latest: dict[float, float] = {}
    series = []
    for record in trace:
        latest[record["pid"]] = record["limit"]
        series.append((record["t"], int(sum(latest.values()))))
    return series


def settle_time(
    series: Sequence[tuple[float, int]], changed_at: float, slots: int, until: float
) -> float | None:
    """Seconds from `changed_at` until the limit is within 10 % of `slots` and stays there
    for HOLD_S (or until `until`, the next change); None if that never happens.
    """
    window = [(t, limit) for t, limit in series if changed_at <= t <= until]
    start: float | None = None
    for t, limit in window:
        if abs(limit - slots) > TOLERANCE * slots:
            start = None
        elif start is None:
            start = t
        if start is not None and t - start >= HOLD_S:
            return start - changed_at
    return None
