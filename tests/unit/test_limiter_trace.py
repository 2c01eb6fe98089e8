"""The limiter trace: the worker's limit and calls in flight over time, as JSON lines."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from photogate.adapters.memory.blobs import InMemoryBlobStore
from photogate.adapters.memory.catalog import InMemoryCatalog
from photogate.adapters.memory.mailer import InMemoryMailer
from photogate.adapters.memory.queue import InMemoryMessageQueue
from photogate.adapters.memory.scanner import InMemoryScanner
from photogate.bootstrap import bootstrap
from photogate.scanning.limiter import limiter_for
from photogate.settings import ScannerSettings, load_settings
from photogate.worker.limiter_trace import trace_limiter, trace_line
from photogate.worker.runner import run_worker


async def lines_within(path: Path, count: int, seconds: float) -> list[dict[str, object]]:
    """The file's JSON lines once there are at least `count`; fails after `seconds`."""
    deadline = time.monotonic() + seconds
    while not path.exists() or len(path.read_text().splitlines()) < count:
        assert time.monotonic() < deadline, f"fewer than {count} lines in {path}"
        await asyncio.sleep(0.01)
    return [json.loads(line) for line in path.read_text().splitlines()]


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
