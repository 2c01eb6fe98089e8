"""The limiter trace: the worker's limit and calls in flight over time, as JSON lines."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path

import pytest

from photogate.adapters.memory.blobs import InMemoryBlobStore
from photogate.adapters.memory.catalog import InMemoryCatalog
from photogate.adapters.memory.mailer import InMemoryMailer
from photogate.adapters.memory.queue import InMemoryMessageQueue
from photogate.adapters.memory.scanner import InMemoryScanner
from photogate.bootstrap import bootstrap
from photogate.scanning.limiter import LimiterSnapshot, limiter_for
from photogate.settings import ScannerSettings, load_settings
from photogate.worker.limiter_trace import log_limiter, summary_line, trace_limiter, trace_line
from photogate.worker.runner import run_worker


async def lines_within(path: Path, count: int, seconds: float) -> list[dict[str, object]]:
    """The file's whole JSON lines once there are at least `count`; fails after `seconds`.

    The writer may be halfway through a line: only lines ending in a newline are read.
    """
    deadline = time.monotonic() + seconds
    while len(lines := _whole_lines(path)) < count:
        assert time.monotonic() < deadline, f"fewer than {count} lines in {path}"
        await asyncio.sleep(0.01)
    return [json.loads(line) for line in lines]


def _whole_lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    return path.read_text().split("\n")[:-1]  # what follows the last newline is unfinished


def test_a_trace_line_holds_time_pid_limit_and_calls_in_flight() -> None:
    """A trace line is one JSON object with the time, the process and the limiter's snapshot."""
    limiter = limiter_for(ScannerSettings(initial_limit=6))
    record = json.loads(trace_line(limiter, now=12.5))
    assert record["t"] == 12.5
    assert isinstance(record["pid"], int)
    assert record["limit"] == 6
    assert record["in_flight"] == 0
    assert {"ceiling", "waiting", "throttled", "succeeded"} <= record.keys()


async def test_trace_limiter_appends_until_stopped_then_once_more(tmp_path: Path) -> None:
    """trace_limiter appends a line per interval while running and a last one when stopped."""
    path = tmp_path / "trace" / "limiter.jsonl"
    stop = asyncio.Event()
    task = asyncio.create_task(
        trace_limiter(limiter_for(ScannerSettings()), path, stop, every_s=0.01)
    )
    await lines_within(path, 3, 5)
    stop.set()
    await asyncio.wait_for(task, 5)
    records = await lines_within(path, 4, 1)
    times = [float(str(r["t"])) for r in records]
    assert times == sorted(times)


async def test_the_worker_writes_the_trace_when_the_setting_names_a_file(tmp_path: Path) -> None:
    """run_worker traces its scan limiter to PHOTOGATE_SCANNER__LIMITER_TRACE_PATH when set."""
    path = tmp_path / "limiter.jsonl"
    scanner = {"limiter_trace_path": str(path), "limiter_trace_every_s": 0.01}
    settings = load_settings(data_dir=tmp_path / "var", scanner=scanner)
    services = await bootstrap(
        settings,
        blobs=InMemoryBlobStore(),
        queue=InMemoryMessageQueue(),
        catalog=InMemoryCatalog(),
        scanner=InMemoryScanner(),
        mailer=InMemoryMailer(),
    )
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(services, stop, notifications=False))
    try:
        records = await lines_within(path, 2, 5)
    finally:
        stop.set()
        await asyncio.wait_for(worker, 10)
    assert records[0]["limit"] == settings.scanner.initial_limit


def snapshot(**changes: object) -> LimiterSnapshot:
    """An idle limiter's snapshot with `changes`."""
    idle: dict[str, object] = {
        "limit": 4,
        "ceiling": None,
        "in_flight": 0,
        "waiting": 0,
        "reserved": 0,
        "paused_for_s": 0.0,
        "started": 0,
        "succeeded": 0,
        "throttled": 0,
        "failed": 0,
    }
    return LimiterSnapshot(**{**idle, **changes})  # type: ignore[arg-type]


def test_a_summary_says_what_the_calls_did_since_the_last_one() -> None:
    """Counts are the differences between the snapshots; the limit and slots are the latest."""
    before = snapshot(started=100, succeeded=95, throttled=1, failed=2)
    after = snapshot(
        started=300,
        succeeded=290,
        throttled=3,
        failed=2,
        limit=8,
        ceiling=8,
        in_flight=8,
        waiting=5,
        paused_for_s=1.5,
        retry_after_pause_s=1.5,
    )
    assert summary_line(before, after, 60.2) == (
        "scanner calls in the last 60 s: 200 started, 195 succeeded, 2 throttled (1.0%), "
        "0 failed; limit 8, capacity found 8, 8 in flight, 5 waiting, paused 1.5 s by Retry-After"
    )


def test_a_summary_tells_a_breaker_pause_from_a_retry_after() -> None:
    """A pause of the circuit breaker is reported as the breaker's, beside any Retry-After."""
    breaker = snapshot(waiting=3, paused_for_s=30.0, breaker_pause_s=30.0)
    both = snapshot(waiting=3, paused_for_s=30.0, breaker_pause_s=30.0, retry_after_pause_s=2.0)
    assert summary_line(snapshot(), breaker, 60).endswith(
        "3 waiting, paused 30.0 s by the circuit breaker"
    )
    assert summary_line(snapshot(), both, 60).endswith(
        "3 waiting, paused 2.0 s by Retry-After, paused 30.0 s by the circuit breaker"
    )


def test_an_idle_limiter_has_nothing_to_say() -> None:
    """No call started and none in flight or waiting: no line (a quiet worker's log stays quiet)."""
    assert summary_line(snapshot(started=7), snapshot(started=7), 60) is None
    assert summary_line(snapshot(), snapshot(in_flight=1), 60) is not None


class Scripted:
    """A limiter whose snapshots are given in advance (the last one repeats)."""

    def __init__(self, *snapshots: LimiterSnapshot) -> None:
        self.snapshots, self.taken = list(snapshots), 0

    def snapshot(self) -> LimiterSnapshot:
        self.taken += 1
        return self.snapshots[min(self.taken, len(self.snapshots)) - 1]


async def test_the_worker_logs_a_summary_only_while_scans_are_under_way(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each interval with calls gives a line; the idle intervals after them give none."""
    busy = snapshot(started=10, succeeded=10)
    busier = snapshot(started=25, succeeded=24, in_flight=1)
    done = snapshot(started=26, succeeded=26)
    limiter = Scripted(snapshot(), busy, busier, done, done)
    stop = asyncio.Event()
    with caplog.at_level(logging.INFO, logger="photogate.worker.limiter_trace"):
        task = asyncio.create_task(log_limiter(limiter, stop, every_s=0.001))
        deadline = time.monotonic() + 5
        while limiter.taken < 8:
            assert time.monotonic() < deadline, "the summary loop stopped taking snapshots"
            await asyncio.sleep(0.001)
        stop.set()
        await asyncio.wait_for(task, 5)
    lines = [r.getMessage() for r in caplog.records]
    assert [line.split(":")[1].split(",")[0] for line in lines] == [
        " 10 started",
        " 15 started",
        " 1 started",
    ]
