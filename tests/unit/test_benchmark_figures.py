"""The load-leveling benchmark's arithmetic: utilization, 429 share, percentiles, settling."""

from __future__ import annotations

import io
import math

from benchmarks.load import Sample, unique
from benchmarks.measure import percentile, throttled_share, utilization
from benchmarks.settling import settle_time, total_limit
from PIL import Image

from photogate.testing import samples


def sample(t: float, scans: int, *, backlog: int = 100, busy: int = 0, calls: int = 0) -> Sample:
    """A sample of a scanner with 8 slots of 0.5 s (16 scans/s)."""
    return Sample(t, scans, busy, calls, 0, 8, 0.5, backlog)


def test_utilization_counts_only_intervals_with_a_backlog() -> None:
    """Scans per second over capacity, only while at least a slot's worth is waiting."""
    run = [sample(0, 0), sample(1, 12), sample(2, 28, backlog=3), sample(3, 30)]
    assert utilization(run) == (12 + 16) / 32


def test_utilization_without_a_backlog_is_not_a_number() -> None:
    """No interval with a backlog: utilization is unknown, not zero."""
    assert math.isnan(utilization([sample(0, 0, backlog=0), sample(1, 5, backlog=0)]))


def test_throttled_share_is_429s_over_all_calls_during_the_run() -> None:
    """The share of the run's scanner calls answered 429, counted from the first sample."""
    assert (
        throttled_share([sample(0, 0, busy=2, calls=10), sample(5, 0, busy=4, calls=110)]) == 0.02
    )


def test_percentile_is_a_nearest_rank_observation() -> None:
    """p50 and p99 are values that occurred; an empty list gives NaN."""
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 99)) == (50.0, 99.0)
    assert math.isnan(percentile([], 99))


def test_the_limit_settles_once_it_holds_within_ten_percent() -> None:
    """Settling time runs from the change to the start of 3 s within 10 % of the new slots."""
    series = [(10.0, 8), (11.0, 6), (12.0, 4), (13.0, 5), (14.0, 4), (15.0, 4), (17.5, 4)]
    assert settle_time(series, 10.0, 4, until=30.0) == 4.0
    assert settle_time(series, 10.0, 4, until=16.0) is None


def test_total_limit_adds_up_every_worker_process() -> None:
    """The limit over time is the sum of each process's latest limit."""
    trace = [
        {"t": 1, "pid": 1, "limit": 4},
        {"t": 2, "pid": 2, "limit": 3},
        {"t": 3, "pid": 1, "limit": 5},
    ]
    assert total_limit(trace) == [(1, 4), (2, 7), (3, 8)]


def test_unique_uploads_differ_in_bytes_but_not_in_pixels() -> None:
    """Each upload is a different file (intake refuses repeats) of the same picture."""
    jpeg = samples.clean_jpeg(64, 64)
    first, second = unique(jpeg, 1), unique(jpeg, 2)
    assert first != second
    pixels = [Image.open(io.BytesIO(data)).convert("RGB").tobytes() for data in (jpeg, first)]
    assert pixels[0] == pixels[1]
