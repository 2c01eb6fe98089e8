"""The scan worker's heartbeat: its limiter's state as operators read it, written at most once
per BEAT_EVERY, a failed write never stopping the worker; and what the overview makes of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from photogate.adapters.memory.catalog import InMemoryCatalog
from photogate.domain.heartbeat import ALIVE_WITHIN, BEAT_EVERY, Heartbeat
from photogate.errors import ScannerUnavailable, StorageUnavailable
from photogate.recovery.overview import overview
from photogate.scanning.circuit_breaker import BreakerTuning
from photogate.scanning.concurrency_limit import ConcurrencyLimit
from photogate.scanning.limiter import AdaptiveLimiter
from photogate.worker.heartbeat import HeartbeatWriter, keep_beating, redacted
from tests.support.heartbeats import a_heartbeat
from tests.unit.conftest import Fakes
from tests.unit.test_overview import accepted

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


class Ticks:
    """A monotonic clock that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_beat_if_due_writes_at_most_one_beat_per_interval() -> None:
    """First call writes; again before BEAT_EVERY does not; at BEAT_EVERY it does. Due-ness is
    on the monotonic clock, so a wall clock stepping back stops nothing.
    """
    catalog, now, ticks = InMemoryCatalog(), Now(), Ticks()
    writer = HeartbeatWriter(catalog, limiter(), clock=now, worker="fn:1", monotonic=ticks)
    seen: list[datetime] = []
    for step in (0.0, BEAT_EVERY.total_seconds() - 1, 1.0):
        ticks.now += step
        now.at -= timedelta(hours=1)  # the wall clock steps back each time
        await writer.beat_if_due()
        seen.append((await catalog.recent_heartbeats(T0 - timedelta(days=1)))[0].seen_at)
    assert seen == [T0 - timedelta(hours=1), T0 - timedelta(hours=1), T0 - timedelta(hours=3)]


async def test_deliveries_finishing_at_once_write_one_beat() -> None:
    """Three deliveries of one process ask at the same moment: one beat is written."""
    writes: list[Heartbeat] = []

    class Slow(InMemoryCatalog):
        async def record_heartbeat(self, beat: Heartbeat) -> None:
            writes.append(beat)
            await asyncio.sleep(0)  # the others ask while this write is under way

    writer = HeartbeatWriter(Slow(), limiter(), clock=Now(), monotonic=Ticks())
    await asyncio.gather(*(writer.beat_if_due() for _ in range(3)))
    assert len(writes) == 1


def test_urls_in_the_last_error_lose_their_keys() -> None:
    """User info and query strings (where a key may sit) are cut; host and path stay."""
    error = (
        "could not reach the scanner at https://svc:pw@scan.example/api/v1/scan?code=K9 (refused)"
    )
    assert (
        redacted(error)
        == "could not reach the scanner at https://scan.example/api/v1/scan (refused)"
    )


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
    """Every 10 ms until stopped (here after the third beat), then once more."""
    beats: list[Heartbeat] = []
    third = asyncio.Event()

    class Counting(InMemoryCatalog):
        async def record_heartbeat(self, beat: Heartbeat) -> None:
            beats.append(beat)
            if len(beats) == 3:
                third.set()

    stop = asyncio.Event()
    writer = HeartbeatWriter(Counting(), limiter())
    task = asyncio.create_task(keep_beating(writer, stop, every_s=0.01))
    async with asyncio.timeout(5):
        await third.wait()
    stop.set()
    await task
    assert len(beats) >= 4  # three, perhaps one more before the stop was seen, then the last


def heartbeat(seen_at: datetime, *, breaker_open: bool = False) -> Heartbeat:
    return a_heartbeat("host:9", seen_at, failing="connection refused" if breaker_open else None)


async def waiting_since(fakes: Fakes, tmp_path: Path, minutes: float) -> None:
    """One photo uploaded `minutes` before T0 and queued for its scan."""
    await accepted(fakes, tmp_path, T0 - timedelta(minutes=minutes))


async def test_a_photo_waiting_five_minutes_with_no_worker_alive_is_a_warning(
    fakes: Fakes, tmp_path: Path
) -> None:
    """A photo queued 6 minutes ago and the only heartbeat older than ALIVE_WITHIN: warned,
    naming both ways of running the worker; that worker is still shown.
    """
    await waiting_since(fakes, tmp_path, minutes=6)
    await fakes.catalog.record_heartbeat(heartbeat(T0 - ALIVE_WITHIN - timedelta(seconds=1)))
    seen = await overview(fakes.ports, clock=lambda: T0)
    assert [beat.worker for beat in seen.workers] == ["host:9"]
    [warning] = seen.warnings
    assert "came in 6 min ago" in warning
    assert "photogate worker" in warning and "Functions app" in warning


async def test_a_fresh_wait_a_live_worker_or_an_empty_queue_is_no_warning(
    fakes: Fakes, tmp_path: Path
) -> None:
    """Nothing waiting with no worker (Functions at rest), a photo waiting a minute (a delayed
    copy, a waking app) and a live worker are all fine.
    """
    assert (await overview(fakes.ports, clock=lambda: T0)).warnings == ()
    await waiting_since(fakes, tmp_path, minutes=1)
    assert (await overview(fakes.ports, clock=lambda: T0)).warnings == ()
    await waiting_since(fakes, tmp_path, minutes=30)
    await fakes.catalog.record_heartbeat(heartbeat(T0 - timedelta(seconds=20)))
    assert (await overview(fakes.ports, clock=lambda: T0)).warnings == ()


async def test_a_worker_whose_scanner_fails_is_a_warning_for_ten_minutes(fakes: Fakes) -> None:
    """A breaker open in a beat 9 minutes old (a Functions instance between delayed copies) is
    still a warning naming the worker and its last error; at 11 minutes it is gone.
    """
    await fakes.catalog.record_heartbeat(heartbeat(T0, breaker_open=True))
    later = T0 + timedelta(minutes=9)
    [warning] = (await overview(fakes.ports, clock=lambda: later)).warnings
    assert "host:9" in warning
    assert "connection refused" in warning
    much_later = T0 + timedelta(minutes=11)
    assert (await overview(fakes.ports, clock=lambda: much_later)).warnings == ()


async def test_a_later_healthy_beat_outweighs_an_older_failing_one(fakes: Fakes) -> None:
    """A worker that failed 8 minutes ago (dead since, or an idle Functions instance) and one
    answering now: the scanner answers, so no warning.
    """
    await fakes.catalog.record_heartbeat(heartbeat(T0 - timedelta(minutes=8), breaker_open=True))
    await fakes.catalog.record_heartbeat(a_heartbeat("fresh:1", T0 - timedelta(seconds=5)))
    seen = await overview(fakes.ports, clock=lambda: T0)
    assert len(seen.workers) == 2
    assert seen.warnings == ()


async def test_a_worker_whose_last_beat_says_stopped_is_not_alive(
    fakes: Fakes, tmp_path: Path
) -> None:
    """A fresh beat marked stopped: shown as stopped, not counted alive, so a photo waiting
    five minutes is warned of; its open breaker is no longer news.
    """
    await waiting_since(fakes, tmp_path, minutes=6)
    beat = replace(heartbeat(T0 - timedelta(seconds=5), breaker_open=True), stopped=True)
    await fakes.catalog.record_heartbeat(beat)
    seen = await overview(fakes.ports, clock=lambda: T0)
    assert [b.scanner_state() for b in seen.workers] == ["worker stopped"]
    assert seen.alive == ()
    [warning] = seen.warnings
    assert "no scan worker has reported" in warning


async def test_keep_beating_beats_until_the_work_is_done_then_marks_the_last_beat_stopped() -> None:
    """Only the beat written after `stop` is set says stopped."""
    catalog, stop, first = InMemoryCatalog(), asyncio.Event(), asyncio.Event()

    class Watching(InMemoryCatalog):
        async def record_heartbeat(self, beat: Heartbeat) -> None:
            await catalog.record_heartbeat(beat)
            first.set()

    writer = HeartbeatWriter(Watching(), limiter(), clock=Now(), worker="host:7")
    task = asyncio.create_task(keep_beating(writer, stop, every_s=60))
    await first.wait()
    [running] = await catalog.recent_heartbeats(T0)
    stop.set()
    await task
    [last] = await catalog.recent_heartbeats(T0)
    assert (running.stopped, last.stopped) == (False, True)
