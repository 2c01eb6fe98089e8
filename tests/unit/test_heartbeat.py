"""The scan worker's heartbeat: its limiter's state as operators read it, written at most once
per BEAT_EVERY, a failed write never stopping the worker; and what the overview makes of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

import pytest

from photogate.adapters.memory.catalog import InMemoryCatalog
from photogate.domain.heartbeat import ALIVE_WITHIN, BEAT_EVERY, Heartbeat
from photogate.errors import ScannerUnavailable, StorageUnavailable
from photogate.messages import SCAN_QUEUE, scan_request
from photogate.recovery.overview import overview
from photogate.scanning.circuit_breaker import BreakerTuning
from photogate.scanning.concurrency_limit import ConcurrencyLimit
from photogate.scanning.limiter import AdaptiveLimiter
from photogate.worker.heartbeat import HeartbeatWriter, keep_beating
from tests.unit.conftest import Fakes

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


class Now:
    """A wall clock that moves only when a test says so."""

    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at


def limiter() -> AdaptiveLimiter:
    breaker = BreakerTuning(failures=3, first_pause_s=30, max_pause_s=60)
    return AdaptiveLimiter(ConcurrencyLimit(initial=4, maximum=8), breaker=breaker)


async def fail_three_times(gate: AdaptiveLimiter) -> None:
    for _ in range(3):
        with contextlib.suppress(ScannerUnavailable):
            async with gate.call():
                raise ScannerUnavailable("the scanner answered 500")


async def test_a_heartbeat_tells_a_failing_scanner_and_its_last_error() -> None:
    """After three failed calls the beat says the breaker is open, with the error's text."""
    catalog, gate, now = InMemoryCatalog(), limiter(), Now()
    writer = HeartbeatWriter(catalog, gate, clock=now, worker="host:7")
    await fail_three_times(gate)
    await writer.beat()
    [beat] = await catalog.recent_heartbeats(T0)
    assert (beat.worker, beat.started_at, beat.seen_at) == ("host:7", T0, T0)
    assert (beat.failed, beat.limit, beat.breaker_open) == (3, gate.snapshot().limit, True)
    assert beat.last_error == "the scanner answered 500"
    assert beat.paused_s == pytest.approx(30, abs=1)
    assert beat.scanner_state().startswith("down")


async def test_a_healthy_limiter_beats_as_answering() -> None:
    """No failure: the breaker is closed, no error, and the scanner is 'answering'."""
    catalog, gate = InMemoryCatalog(), limiter()
    async with gate.call():
        pass
    await HeartbeatWriter(catalog, gate, clock=Now()).beat()
    [beat] = await catalog.recent_heartbeats(T0)
    assert (beat.succeeded, beat.breaker_open, beat.last_error) == (1, False, None)
    assert beat.scanner_state() == "answering"


async def test_beat_if_due_writes_at_most_one_beat_per_interval() -> None:
    """First call writes; again before BEAT_EVERY does not; at BEAT_EVERY it does."""
    catalog, now = InMemoryCatalog(), Now()
    writer = HeartbeatWriter(catalog, limiter(), clock=now, worker="fn:1")
    seen: list[datetime] = []
    for step in (timedelta(0), BEAT_EVERY - timedelta(seconds=1), timedelta(seconds=1)):
        now.at += step
        await writer.beat_if_due()
        seen.append((await catalog.recent_heartbeats(T0))[0].seen_at)
    assert seen == [T0, T0, T0 + BEAT_EVERY]


class DownCatalog(InMemoryCatalog):
    """A catalog that cannot be written to until `down` is cleared."""

    down = True

    async def record_heartbeat(self, beat: Heartbeat) -> None:
        if self.down:
            raise StorageUnavailable("the catalog database is unavailable")
        await super().record_heartbeat(beat)


async def test_a_failed_write_is_logged_and_the_next_due_beat_tries_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The catalog down: no exception, a WARNING; once it is back the next call writes."""
    catalog, now = DownCatalog(), Now()
    writer = HeartbeatWriter(catalog, limiter(), clock=now)
    with caplog.at_level(logging.WARNING, logger="photogate.worker.heartbeat"):
        await writer.beat_if_due()
    assert "heartbeat" in caplog.records[0].getMessage()
    catalog.down = False
    await writer.beat_if_due()
    assert len(await catalog.recent_heartbeats(T0)) == 1


async def test_keep_beating_writes_until_stopped_and_once_more_at_the_end() -> None:
    """Started and stopped at once: one beat at the start, one at the end."""
    beats: list[Heartbeat] = []

    class Counting(InMemoryCatalog):
        async def record_heartbeat(self, beat: Heartbeat) -> None:
            beats.append(beat)

    stop = asyncio.Event()
    task = asyncio.create_task(keep_beating(HeartbeatWriter(Counting(), limiter()), stop))
    async with asyncio.timeout(5):
        while not beats:
            await asyncio.sleep(0.001)
    stop.set()
    await task
    assert len(beats) == 2


def heartbeat(seen_at: datetime, *, breaker_open: bool = False) -> Heartbeat:
    return Heartbeat(
        worker="host:9",
        started_at=T0,
        seen_at=seen_at,
        limit=4,
        in_flight=0,
        waiting=0,
        succeeded=10,
        throttled=0,
        failed=5 if breaker_open else 0,
        paused_s=8.0 if breaker_open else 0.0,
        breaker_open=breaker_open,
        last_error="connection refused" if breaker_open else None,
    )


async def test_scans_waiting_with_no_worker_heard_from_is_a_warning(fakes: Fakes) -> None:
    """A scan message waits and the only heartbeat is older than ALIVE_WITHIN: warned."""
    await fakes.queue.send(SCAN_QUEUE, scan_request("s1"))
    await fakes.catalog.record_heartbeat(heartbeat(T0 - ALIVE_WITHIN - timedelta(seconds=1)))
    seen = await overview(fakes.ports, clock=lambda: T0)
    assert seen.workers == ()
    [warning] = seen.warnings
    assert "no scan worker has reported" in warning
    assert "photogate worker" in warning


async def test_a_live_worker_or_an_empty_queue_is_no_warning(fakes: Fakes) -> None:
    """Nothing waiting with no worker (Functions at rest) and a live worker are both fine."""
    assert (await overview(fakes.ports, clock=lambda: T0)).warnings == ()
    await fakes.queue.send(SCAN_QUEUE, scan_request("s1"))
    await fakes.catalog.record_heartbeat(heartbeat(T0 - timedelta(seconds=20)))
    seen = await overview(fakes.ports, clock=lambda: T0)
    assert [beat.worker for beat in seen.workers] == ["host:9"]
    assert seen.warnings == ()


async def test_a_worker_whose_scanner_fails_is_a_warning_with_the_error(fakes: Fakes) -> None:
    """A live worker's breaker open: the warning names it and its last error."""
    await fakes.catalog.record_heartbeat(heartbeat(T0, breaker_open=True))
    [warning] = (await overview(fakes.ports, clock=lambda: T0)).warnings
    assert "host:9" in warning
    assert "connection refused" in warning
