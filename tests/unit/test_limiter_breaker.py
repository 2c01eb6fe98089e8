"""The limiter's circuit breaker, Retry-After cap and slow rate caps: what room() tells the
consumer and what a caller meets while the scanner is down or refuses our settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from photogate.domain.scan import ScanResult, Verdict
from photogate.errors import ScannerMisconfigured, ScannerUnavailable, Throttled
from photogate.scanning.circuit_breaker import BreakerTuning
from photogate.scanning.concurrency_limit import ConcurrencyLimit
from photogate.scanning.limiter import AdaptiveLimiter, AdaptiveScanner, limiter_for
from photogate.scanning.token_bucket import TokenBucket
from photogate.settings import ScannerSettings


def gate(pause_s: float = 30.0, *, patience_s: float = 2.0) -> AdaptiveLimiter:
    """A limiter of limit 4 (room 6) whose breaker opens after 3 failures for `pause_s`."""
    breaker = BreakerTuning(failures=3, first_pause_s=pause_s, max_pause_s=pause_s * 4)
    limit = ConcurrencyLimit(initial=4, maximum=4)
    return AdaptiveLimiter(limit, breaker=breaker, patience_s=patience_s)


async def fail(limiter: AdaptiveLimiter, error: Exception) -> None:
    """One call through `limiter` that ends in `error`."""
    with contextlib.suppress(type(error)):
        async with limiter.call():
            raise error


async def test_three_failures_in_a_row_leave_no_room_for_new_messages() -> None:
    """After a run of 5xx the consumer is told there is no room, so it takes nothing more."""
    limiter = gate()
    for _ in range(2):
        await fail(limiter, ScannerUnavailable("500"))
    assert limiter.room() > 0
    await fail(limiter, ScannerUnavailable("timed out"))
    assert limiter.room() == 0
    paused = limiter.snapshot()
    assert paused.paused_for_s == paused.breaker_pause_s == pytest.approx(30, abs=5)
    assert paused.retry_after_pause_s == 0


async def test_a_caller_that_meets_an_open_breaker_is_throttled_not_failed() -> None:
    """A message already taken gives its work back as Throttled (no attempt), with the pause."""
    limiter = gate()
    for _ in range(3):
        await fail(limiter, ScannerUnavailable("500"))
    with pytest.raises(Throttled) as caught:
        async with limiter.call():
            pytest.fail("no call may start while the breaker is open")
    assert not isinstance(caught.value, ScannerUnavailable)
    assert caught.value.retry_after == pytest.approx(30, abs=5)


async def test_after_the_pause_one_probe_at_a_time_and_its_success_restores_the_room() -> None:
    """Half-open: room for one call; while it runs no other starts; its success closes it."""
    limiter = gate(pause_s=0.05)
    for _ in range(3):
        await fail(limiter, ScannerUnavailable("500"))
    async with asyncio.timeout(5):
        await limiter.wait_for_room(5)
        while limiter.room() == 0:
            await limiter.wait_for_room(0.05)
    assert limiter.room() == 1
    probe_may_end = asyncio.Event()
    entered: list[int] = []

    async def call() -> None:
        async with limiter.call():
            entered.append(limiter.snapshot().in_flight)
            await probe_may_end.wait()

    probe = asyncio.create_task(call())
    second = asyncio.create_task(call())
    async with asyncio.timeout(5):
        while limiter.snapshot().waiting < 1 or not entered:
            await asyncio.sleep(0.001)
    assert entered == [1]
    assert limiter.room() == 0
    probe_may_end.set()
    await asyncio.gather(probe, second)
    assert entered == [1, 1]
    assert limiter.room() > 1  # the limit and its headroom again


async def test_a_refused_api_key_pauses_every_call_at_once_and_says_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One 401 pauses calls (no run needed) and logs an ERROR naming the setting, not the key;
    the adaptive limit is left alone: a refusal says nothing about capacity.
    """
    limiter = gate()
    refusal = ScannerMisconfigured(
        "scanner refused our API key (401): check PHOTOGATE_SCANNER__API_KEY"
    )
    with caplog.at_level(logging.ERROR, logger="photogate.scanning.limiter"):
        await fail(limiter, refusal)
    assert limiter.room() == 0
    assert limiter.snapshot().limit == 4
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert "PHOTOGATE_SCANNER__API_KEY" in record.getMessage()


async def test_a_huge_retry_after_pauses_no_longer_than_max_pause_s() -> None:
    """A Retry-After of a billion seconds pauses every call for max_pause_s at most."""
    limiter = limiter_for(ScannerSettings(max_pause_s=120))
    with contextlib.suppress(ScannerUnavailable):
        async with limiter.call():
            raise ScannerUnavailable("503", retry_after=1e9)
    paused = limiter.snapshot()
    assert 0 < paused.paused_for_s == paused.retry_after_pause_s <= 120
    assert paused.breaker_pause_s == 0


def test_settings_build_the_breaker() -> None:
    """breaker_failures from the settings is the run that opens the breaker."""
    settings = ScannerSettings(breaker_failures=1, breaker_pause_s=20, breaker_max_pause_s=40)
    limiter = limiter_for(settings)
    asyncio.run(fail(limiter, ScannerUnavailable("500")))
    assert limiter.room() == 0
    assert limiter.snapshot().paused_for_s == pytest.approx(20, abs=5)


def test_breaker_pauses_out_of_order_are_refused() -> None:
    """A first pause longer than the longest is a settings error naming both variables."""
    with pytest.raises(ValueError, match="BREAKER_MAX_PAUSE_S"):
        ScannerSettings(breaker_pause_s=90, breaker_max_pause_s=60)


def test_a_rate_under_one_call_per_patience_still_leaves_room() -> None:
    """At 0.2 calls a second (one per 5 s, 2 s of patience) there is room for one call."""
    assert limiter_for(ScannerSettings(max_per_second=0.2)).room() == 1


def test_a_slow_rate_takes_a_message_once_its_token_is_within_patience() -> None:
    """At 0.2/s: one start now, then no room until the next token is under 2 s away, so a
    message is taken only when it can start: one every 5 s, none given back.
    """
    now = [0.0]
    bucket = TokenBucket(0.2, clock=lambda: now[0])
    assert bucket.starts_within(2.0) == 1
    bucket.take()
    rooms = []
    for _ in range(5):
        now[0] += 1.0
        rooms.append(bucket.starts_within(2.0))
    assert rooms == [0, 0, 0, 1, 1]


class DownOrBadPhoto:
    """A scanner whose every scan fails with a 500; `up` is what its health endpoint says."""

    def __init__(self, *, up: bool) -> None:
        self.up = up
        self.health_checks = 0

    async def scan(self, request_id: str, image: bytes, content_type: str) -> ScanResult:
        raise ScannerUnavailable("the scanner answered 500")

    async def health(self) -> bool:
        self.health_checks += 1
        return self.up


async def probe_after_three_failures(inner: DownOrBadPhoto) -> Exception:
    """Three failed scans open the breaker (pause 50 ms); what the probe's caller then gets."""
    scanner = AdaptiveScanner(inner, gate(pause_s=0.05))
    for request in ("a", "b", "c"):
        with contextlib.suppress(ScannerUnavailable):
            await scanner.scan(request, b"img", "image/jpeg")
    assert inner.health_checks == 0  # only a probe asks
    async with asyncio.timeout(5):
        while scanner.limiter.room() == 0:
            await scanner.limiter.wait_for_room(0.05)
    try:
        await scanner.scan("d", b"img", "image/jpeg")
    except Exception as exc:
        return exc
    raise AssertionError("the probe did not fail")


async def test_a_failed_probe_while_the_scanner_is_down_is_throttled_with_the_new_pause() -> None:
    """Health says down: the probe's caller is Throttled (no attempt) until the doubled pause
    ends, not failed.
    """
    inner = DownOrBadPhoto(up=False)
    caught = await probe_after_three_failures(inner)
    assert isinstance(caught, Throttled)
    assert not isinstance(caught, ScannerUnavailable)
    assert caught.retry_after == pytest.approx(0.1, abs=0.05)
    assert "scanner is down" in str(caught)
    assert inner.health_checks == 1


async def test_a_failed_probe_while_the_scanner_is_up_fails_as_any_call() -> None:
    """Health says up: the photos are at fault, so the probe fails as an error (an attempt)."""
    inner = DownOrBadPhoto(up=True)
    caught = await probe_after_three_failures(inner)
    assert isinstance(caught, ScannerUnavailable)
    assert inner.health_checks == 1


class BadPhotos:
    """A scanner that is up and fails only the photos whose request id starts with "bad"."""

    def __init__(self) -> None:
        self.scanned: list[str] = []

    async def scan(self, request_id: str, image: bytes, content_type: str) -> ScanResult:
        if request_id.startswith("bad"):
            raise ScannerUnavailable("the scanner answered 500")
        self.scanned.append(request_id)
        return ScanResult(Verdict.PASS, {}, ("ok",), "v1", None)

    async def health(self) -> bool:
        return True


async def test_photos_the_scanner_fails_do_not_hold_up_the_photos_behind_them() -> None:
    """Three bad photos open the breaker; its probe, a fourth bad one, fails while the scanner
    says it is up, so the next probe comes after the first pause again, not a doubled one (up
    to a minute): the good photo behind them is then scanned and closes the breaker.
    """
    inner = BadPhotos()
    scanner = AdaptiveScanner(inner, gate(pause_s=0.05))
    for request in ("bad-1", "bad-2", "bad-3"):
        with contextlib.suppress(ScannerUnavailable):
            await scanner.scan(request, b"img", "image/jpeg")
    await until_room(scanner)
    with pytest.raises(ScannerUnavailable):  # the probe: an attempt for its photo
        await scanner.scan("bad-4", b"img", "image/jpeg")
    assert scanner.limiter.snapshot().breaker_pause_s <= 0.05
    await until_room(scanner)
    await scanner.scan("good-1", b"img", "image/jpeg")
    assert inner.scanned == ["good-1"]
    assert not scanner.limiter.snapshot().breaker_open


async def until_room(scanner: AdaptiveScanner) -> None:
    """Wait until the limiter has room again (its breaker's pause over)."""
    async with asyncio.timeout(5):
        while scanner.limiter.room() == 0:
            await scanner.limiter.wait_for_room(0.05)
