"""The scanner limiter: a shared Retry-After pause, slots, room for consumers, a rate cap."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from photogate.adapters.memory.scanner import InMemoryScanner, scan_result
from photogate.domain.scan import ScanResult
from photogate.errors import ScanInputRejected, ScannerBusy, ScannerUnavailable, Throttled
from photogate.scanning.concurrency_limit import ConcurrencyLimit, LimitTuning
from photogate.scanning.limiter import AdaptiveLimiter, AdaptiveScanner, limiter_for
from photogate.scanning.token_bucket import TokenBucket
from photogate.settings import ScannerSettings

JPEG = "image/jpeg"


class SlowScanner:
    """A scanner whose calls last until released; it records when each started and the most
    that were in flight at once.
    """

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.starts: list[float] = []
        self.in_flight = self.most_in_flight = 0
        self.release = asyncio.Event()
        self.release.set()

    async def scan(self, request_id: str, image: bytes, content_type: str) -> ScanResult:
        self.starts.append(time.monotonic())
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self.release.wait()
            if self.errors:
                raise self.errors.pop(0)
            return scan_result()
        finally:
            self.in_flight -= 1


def limiter(
    initial: int = 4,
    maximum: int = 64,
    *,
    bucket: TokenBucket | None = None,
    patience_s: float = 2.0,
) -> AdaptiveLimiter:
    limit = ConcurrencyLimit(initial=initial, maximum=maximum)
    return AdaptiveLimiter(limit, bucket=bucket, patience_s=patience_s)


async def scan_many(scanner: AdaptiveScanner, count: int) -> list[object]:
    calls = [scanner.scan(f"r{n}", b"img", JPEG) for n in range(count)]
    return await asyncio.gather(*calls, return_exceptions=True)


async def test_retry_after_pauses_every_caller_including_those_already_waiting() -> None:
    """After a 429 with Retry-After, no call starts, queued or new, until the pause is over."""
    inner = SlowScanner(ScannerBusy("429", retry_after=0.3))
    scanner = AdaptiveScanner(inner, limiter(initial=1, maximum=1))
    results = await scan_many(scanner, 6)
    refused_at = inner.starts[0]
    assert isinstance(results[0], ScannerBusy)
    assert all(isinstance(result, ScanResult) for result in results[1:])
    assert min(inner.starts[1:]) >= refused_at + 0.3


async def test_a_503_with_retry_after_pauses_every_caller_too() -> None:
    """The service's 503 with Retry-After is honoured like a 429's."""
    inner = SlowScanner(ScannerUnavailable("503", retry_after=0.2))
    scanner = AdaptiveScanner(inner, limiter(initial=1, maximum=1))
    await scan_many(scanner, 3)
    assert min(inner.starts[1:]) >= inner.starts[0] + 0.2


async def test_a_429_to_a_probe_above_the_ceiling_pauses_no_one() -> None:
    """A refused probe only drops the limit back to the ceiling; the next call starts at once."""
    eager = LimitTuning(probe_interval_s=1e-9)  # probe at the first success after a refusal
    gate = AdaptiveLimiter(ConcurrencyLimit(initial=2, maximum=4, tuning=eager))
    with contextlib.suppress(ScannerBusy):  # two in flight, one refused: the ceiling is 1
        async with gate.call(), gate.call():
            raise ScannerBusy("429", retry_after=None)
    async with gate.call():  # a success at the ceiling: the next step probes above it
        pass
    assert (gate.snapshot().ceiling, gate.snapshot().limit) == (1, 2)
    async with gate.call():
        with pytest.raises(ScannerBusy):
            async with gate.call():  # the second call in flight: a probe, refused
                raise ScannerBusy("429", retry_after=30)
    assert gate.snapshot().paused_for_s == 0
    async with asyncio.timeout(5), gate.call():  # a 30 s pause would not end in time
        pass


async def test_a_pause_longer_than_patience_gives_the_work_back_at_once() -> None:
    """A caller that would wait past its patience raises Throttled with the time left."""
    gate = limiter(patience_s=10)
    gate.pause(30)
    started = time.monotonic()
    with pytest.raises(Throttled) as caught:
        async with gate.call():
            pytest.fail("no call may start while paused")
    assert time.monotonic() - started < 5  # waiting out its patience would take 10 s
    assert caught.value.retry_after == pytest.approx(30, abs=5)


async def test_calls_in_flight_never_exceed_the_limit() -> None:
    """However many callers come, the scanner never sees more calls than the limit at once."""
    inner = SlowScanner()
    inner.release.clear()
    scanner = AdaptiveScanner(inner, limiter(initial=3, maximum=3))
    calls = asyncio.gather(*[scanner.scan(f"r{n}", b"img", JPEG) for n in range(20)])
    async with asyncio.timeout(2):
        while inner.in_flight < 3:
            await asyncio.sleep(0.001)
    assert scanner.limiter.snapshot().waiting == 17
    inner.release.set()
    await calls
    assert inner.most_in_flight == 3


async def test_room_counts_reservations_waiting_and_in_flight_calls() -> None:
    """Room is the limit plus half of it, less the callers reserved, waiting or in flight."""
    gate = limiter(initial=4)
    assert gate.room() == 6
    first, second = gate.reserve(), gate.reserve()
    assert gate.room() == 4
    inner = SlowScanner()
    inner.release.clear()
    scanner = AdaptiveScanner(inner, gate)

    async def reserved_scan() -> None:
        with first:
            await scanner.scan("r1", b"img", JPEG)

    task = asyncio.create_task(reserved_scan())
    async with asyncio.timeout(2):
        while gate.snapshot().in_flight < 1:
            await asyncio.sleep(0.001)
    assert (gate.snapshot().reserved, gate.snapshot().in_flight, gate.room()) == (1, 1, 4)
    with second:
        pass  # its handler finished without calling the scanner
    inner.release.set()
    await task
    assert gate.room() == 6


async def test_room_is_zero_while_paused() -> None:
    """While a Retry-After pause runs, consumers are told there is no room."""
    gate = limiter()
    gate.pause(0.2)
    assert gate.room() == 0
    await gate.wait_for_room(5)
    assert gate.room() == 6


async def test_outcomes_teach_the_limit_and_show_in_the_snapshot() -> None:
    """Successes, 429s and errors are counted; a rejected image is none of them."""
    inner = InMemoryScanner()
    inner.script_next(
        ScannerBusy("429"), ScannerUnavailable("500"), ScanInputRejected(413, "too large")
    )
    scanner = AdaptiveScanner(inner, limiter(initial=8))
    for n in range(4):
        with contextlib.suppress(ScannerBusy, ScannerUnavailable, ScanInputRejected):
            await scanner.scan(f"r{n}", b"img", JPEG)
    snapshot = scanner.limiter.snapshot()
    counts = (snapshot.started, snapshot.succeeded, snapshot.throttled, snapshot.failed)
    assert counts == (4, 1, 1, 1)
    assert snapshot.limit < 8
    assert snapshot.in_flight == snapshot.waiting == snapshot.reserved == 0


async def test_rate_cap_spaces_out_call_starts() -> None:
    """With max_per_second, calls start no faster than the rate, however many wait."""
    inner = SlowScanner()
    scanner = AdaptiveScanner(inner, limiter(bucket=TokenBucket(50, burst=1)))
    await scan_many(scanner, 11)
    assert inner.starts[-1] - inner.starts[0] >= 10 / 50 - 0.01


def test_with_a_rate_cap_room_is_what_starts_within_patience() -> None:
    """At 1 call a second and 2 s of patience, only two callers may queue up at a time."""
    gate = limiter(initial=8, bucket=TokenBucket(1), patience_s=2)
    assert gate.room() == 2
    with gate.reserve():
        assert gate.room() == 1


def test_token_bucket_refills_at_its_rate() -> None:
    """A bucket of burst 2 at 4 per second lends two at once, then one every 0.25 s."""
    now = [0.0]
    bucket = TokenBucket(4, burst=2, clock=lambda: now[0])
    bucket.take()
    bucket.take()
    assert bucket.wait_time() == pytest.approx(0.25)
    now[0] += 0.25
    assert bucket.wait_time() == 0
    bucket.take()
    now[0] += 10
    assert bucket.wait_time() == 0


def test_settings_build_the_limiter_with_their_bounds() -> None:
    """The limiter starts at initial_limit, within min_limit and max_in_flight, rate-capped."""
    gate = limiter_for(ScannerSettings(initial_limit=3, min_limit=2, max_in_flight=5))
    assert gate.snapshot().limit == 3
    assert gate.room() == 5
