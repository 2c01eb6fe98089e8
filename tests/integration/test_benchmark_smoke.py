"""The load-leveling benchmark, end to end on a tiny burst: its JSON, and photogate's guarantees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from benchmarks.load_leveling import main

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REQUIRED = {
    "design",
    "utilization",
    "throttled_share",
    "drain_ratio",
    "accept_p99_ms",
    "e2e_p99_ms",
    "lost",
    "duplicates",
}


def test_a_tiny_benchmark_reports_every_design_and_photogate_loses_nothing(tmp_path: Path) -> None:
    """40 uploads against 8 slots of 20 ms: one JSON object per design, and photogate neither loses
    nor duplicates a submission.
    """
    out = tmp_path / "out"
    main(
        [
            *("--uploads", "40", "--slots", "8", "--latency", "0.02", "--no-scenario"),
            *("--out", str(out), "--json", str(out / "ll.json"), "--chart", str(out / "ll.png")),
        ]
    )
    results = json.loads((out / "ll.json").read_text())
    assert [r["design"] for r in results] == ["inline", "functions", "photogate"]
    assert all(r.keys() >= REQUIRED for r in results)
    photogate = results[-1]
    assert photogate["accepted"] == 40
    assert (photogate["lost"], photogate["duplicates"]) == (0, 0)
    assert (out / "ll.png").stat().st_size > 0
