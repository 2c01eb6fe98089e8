"""The intake and worker-memory benchmarks, each run on tiny sizes: their figures come out sane."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from benchmarks import accept_backlog, accept_throughput, worker_memory
from benchmarks._backlog import queue_depth, seed_backlog
from benchmarks._stack import workspace

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_seeded_backlog_is_real_queued_submissions_with_their_messages() -> None:
    """Seeding N leaves N scan messages and N queued submissions, each with its original."""
    with workspace() as space:
        assert seed_backlog(space.data_dir, 30) == 30
        with sqlite3.connect(space.data_dir / "catalog.sqlite3") as db:
            rows = db.execute("SELECT original_blob FROM submissions WHERE status = 'queued'")
            blobs = [row[0] for row in rows]
        assert len(blobs) == 30
        assert all((space.data_dir / "blobs" / "quarantine" / b).is_file() for b in blobs)
        assert queue_depth(space.data_dir / "queue.sqlite3") == 30


def test_accept_backlog_reports_both_phases_and_a_ratio() -> None:
    """A few uploads before and after a small backlog: p50 <= p99, depths and ratio as measured."""
    plan = accept_backlog.Plan(uploads=8, clients=2, backlog=200)
    result = accept_backlog.run(plan)
    empty, backlog = result["empty"], result["backlog"]
    assert empty["accepted"] == backlog["accepted"] == 8
    assert 0 < empty["p50_ms"] <= empty["p99_ms"]
    assert backlog["depth"] >= 200 > empty["depth"]
    assert result["p99_ratio"] == pytest.approx(backlog["p99_ms"] / empty["p99_ms"])


@pytest.mark.parametrize("limits_on", [False, True], ids=["limits-off", "limits-on"])
def test_accept_throughput_compares_photogate_with_the_bare_route(limits_on: bool) -> None:
    """Both servers accept every upload (limits at work never refuse one), and the ratio is
    photogate's rate over the bare one's.
    """
    plan = accept_throughput.Plan(uploads=6, rounds=1, clients=2, limits_on=limits_on)
    result = accept_throughput.run(plan)
    bare, photogate = result["bare"], result["photogate"]
    assert bare["accepted"] == photogate["accepted"] == 6
    assert result["plan"]["limits_on"] is limits_on
    assert result["ratio"] == pytest.approx(photogate["per_s"] / bare["per_s"])
    assert photogate["server_cpu_ms"] > 0  # its check decodes every photo: ms of CPU each
    assert bare["server_cpu_ms"] >= 0 and photogate["client_cpu_ms"] > 0


def test_accept_throughput_floors_take_turns_and_get_ratios_to_the_bare_route() -> None:
    """With --floors, both minimal intakes accept every upload too, and each floor's ratio is
    its rate over the bare route's.
    """
    plan = accept_throughput.Plan(uploads=4, rounds=1, clients=2, floors=True)
    result = accept_throughput.run(plan)
    for name in accept_throughput.FLOORS:
        assert result[name]["accepted"] == 4
        ratio = result[name]["per_s"] / result["bare"]["per_s"]
        assert result["floor_ratios"][name] == pytest.approx(ratio)


def test_worker_memory_samples_rss_with_and_without_a_backlog(tmp_path: Path) -> None:
    """The worker's RSS is sampled in both phases, with the backlog still queued at the end."""
    out = tmp_path / "wm.json"
    code = worker_memory.main(["--backlog", "300", "--seconds", "1", "--json", str(out)])
    result = json.loads(out.read_text())
    assert code == (0 if result["passed"] else 1)
    assert result["backlog"]["depth"] >= 300
    assert 10_000 < result["empty"]["peak_kib"] < 2_000_000
    assert result["ratio"] == pytest.approx(
        result["backlog"]["peak_kib"] / result["empty"]["peak_kib"]
    )
