"""The accept_throughput benchmark's CPU figures: /proc CPU time and per-upload sums."""

from __future__ import annotations

import os
import time

import pytest
from benchmarks._harness import cpu_seconds
from benchmarks._uploads import Sent
from benchmarks.accept_throughput import Plan, Round, Tally, figures

TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def test_cpu_seconds_counts_the_cpu_a_process_burns() -> None:
    """Burning 0.3 s of CPU in this process shows in /proc as about 0.3 s more."""
    before, started = cpu_seconds(os.getpid()), time.process_time()
    while time.process_time() - started < 0.3:
        pass
    burned = time.process_time() - started
    assert cpu_seconds(os.getpid()) - before == pytest.approx(burned, abs=3 * TICK_S)


def test_figures_give_cpu_per_accepted_upload_and_its_ratio() -> None:
    """CPU per upload is the rounds' CPU over their accepted uploads; the ratio is photogate's
    server CPU per upload over the bare route's.
    """
    tallies = {"bare": Tally(), "photogate": Tally()}
    for name, server_s in (("bare", 0.1), ("photogate", 0.6)):
        for _ in range(2):
            tallies[name].add(Round(Sent(latencies=[0.01] * 50, elapsed_s=1.0), server_s, 0.05))
    result = figures(Plan(), tallies)
    assert result["bare"]["server_cpu_ms"] == pytest.approx(2.0)
    assert result["photogate"]["server_cpu_ms"] == pytest.approx(12.0)
    assert result["photogate"]["client_cpu_ms"] == pytest.approx(1.0)
    assert result["cpu_ratio"] == pytest.approx(6.0)
    assert result["ratio"] == pytest.approx(1.0)


def test_a_run_too_short_for_a_cpu_tick_gives_no_cpu_ratio() -> None:
    """A bare route whose CPU time did not reach one clock tick has none to divide by."""
    tallies = {"bare": Tally(), "photogate": Tally()}
    tallies["bare"].add(Round(Sent(latencies=[0.01] * 3, elapsed_s=0.01), 0.0, 0.0))
    tallies["photogate"].add(Round(Sent(latencies=[0.01] * 3, elapsed_s=0.1), 0.01, 0.0))
    assert figures(Plan(), tallies)["cpu_ratio"] is None


def test_a_bare_route_that_accepted_nothing_is_an_error_not_a_ratio() -> None:
    """With no upload accepted by the baseline there is nothing to compare against."""
    tallies = {"bare": Tally(), "photogate": Tally()}
    tallies["bare"].add(Round(Sent(refused={503: 5}, elapsed_s=1.0), 0.1, 0.0))
    tallies["photogate"].add(Round(Sent(latencies=[0.01], elapsed_s=1.0), 0.1, 0.0))
    with pytest.raises(RuntimeError, match="bare route accepted no upload"):
        figures(Plan(), tallies)
