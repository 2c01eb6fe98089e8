"""The consumer through a scanner outage: Retry-After bounded by our own delays, a refused API
key costing no attempt, a short or long outage poisoning none of the backlog, and photos the
scanner always fails on (while its health says up) poisoned after exactly max_attempts.
"""

from __future__ import annotations

import asyncio

import pytest

from photogate.adapters.memory.queue import InMemoryMessageQueue
from photogate.adapters.memory.scanner import scan_result
from photogate.domain.scan import ScanResult
from photogate.errors import ScannerBusy, ScannerMisconfigured, ScannerUnavailable
from photogate.scanning.limiter import AdaptiveScanner, limiter_for
from photogate.settings import QueueSettings, ScannerSettings
from photogate.worker.consumer import QueueConsumer, Route
from tests.unit.test_consumer import Clock, Script, consumer, deliver, until

REFUSED = "scanner refused our API key (401): check PHOTOGATE_SCANNER__API_KEY"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue(clock: Clock) -> InMemoryMessageQueue:
    return InMemoryMessageQueue(clock=clock)


@pytest.mark.parametrize(
    "error", [ScannerUnavailable("503", retry_after=0), ScannerBusy("429", retry_after=0)]
)
async def test_a_zero_retry_after_does_not_bring_the_message_straight_back(
    queue: InMemoryMessageQueue, clock: Clock, error: Exception
) -> None:
    """Retry-After 0 (or a date past) waits our own delay, at least half the base (2 s) here."""
    worker = consumer(queue, Script(error))
    await queue.send("q", "a")
    await deliver(queue, worker)
    clock.now += 0.99
    assert not await deliver(queue, worker)
    clock.now += 1.02
    assert await deliver(queue, worker)


async def test_a_retry_after_beyond_backoff_max_is_cut_to_it(
    queue: InMemoryMessageQueue, clock: Clock
) -> None:
    """A Retry-After of a billion seconds parks the message for backoff_max_s (60 s), no more."""
    worker = consumer(queue, Script(ScannerBusy("429", retry_after=1e9)))
    await queue.send("q", "a")
    await deliver(queue, worker)
    clock.now += 60.01
    assert await deliver(queue, worker)


async def test_a_refused_api_key_costs_no_attempt_and_comes_back_after_a_long_delay(
    queue: InMemoryMessageQueue, clock: Clock
) -> None:
    """Ten 401s in a row with max_attempts 3: nothing poisoned, each back after a minute."""
    script = Script(*[ScannerMisconfigured(REFUSED) for _ in range(10)])
    worker = consumer(queue, script, attempts=3)
    await queue.send("q", "a")
    for _ in range(10):
        assert await deliver(queue, worker)
        clock.now += 50
        assert not await deliver(queue, worker)
        clock.now += 10.01
    assert await deliver(queue, worker)
    assert script.poisoned == []
    assert await queue.count("q") == 0


class FlakyScanner:
    """A scanner that raises `outage()` while `down` (and then says so at /v1/health, unless
    `healthy_while_failing`: the photos, not the scanner, are at fault), and counts its answers.
    """

    def __init__(self, outage: type[Exception], *, healthy_while_failing: bool = False) -> None:
        self.outage = outage
        self.down = True
        self.healthy_while_failing = healthy_while_failing
        self.failures = 0
        self.calls: dict[str, int] = {}
        self.scanned: set[str] = set()

    async def health(self) -> bool:
        return self.healthy_while_failing or not self.down

    async def scan(self, request_id: str, image: bytes, content_type: str) -> ScanResult:
        await asyncio.sleep(0.002)  # a round trip, so calls overlap as they would
        self.calls[request_id] = self.calls.get(request_id, 0) + 1
        if self.down:
            self.failures += 1
            raise self.outage(
                "the scanner answered 500" if self.outage is ScannerUnavailable else REFUSED
            )
        self.scanned.add(request_id)
        return scan_result()


@pytest.mark.parametrize("outage", [ScannerUnavailable, ScannerMisconfigured])
async def test_a_short_outage_poisons_none_of_the_backlog(outage: type[Exception]) -> None:
    """50 messages, a scanner down (500s, or 401s) for a second: every message is scanned once
    it is back, none poisoned; the breaker keeps the failed calls to a handful.

    The backoff base (10 ms) would spend five attempts well within the second without it.
    """
    queue = InMemoryMessageQueue()
    for n in range(50):
        await queue.send("q", f"m{n}")
    settings = ScannerSettings(breaker_pause_s=0.05, breaker_max_pause_s=0.2)
    inner = FlakyScanner(outage)
    scanner = AdaptiveScanner(inner, limiter_for(settings))
    script = Script()

    async def handle(body: str) -> object:
        return await scanner.scan(body, b"img", "image/jpeg")

    route = Route("q", handle, script.on_poison, max_in_flight=64, admission=scanner.limiter)
    queue_settings = QueueSettings(backoff_base_s=0.01, backoff_max_s=0.2, poll_interval_s=0.01)
    stop = asyncio.Event()
    task = asyncio.create_task(QueueConsumer(queue, route, queue_settings).run(stop))
    await asyncio.sleep(1.0)  # the outage's length, measured, not a stand-in for synchronisation
    inner.down = False
    await until(lambda: len(inner.scanned) + len(script.poisoned) == 50, seconds=20)
    stop.set()
    await task
    assert script.poisoned == []
    assert inner.failures < 30  # about 4 at first, then one probe per pause


async def outage_rig(
    messages: int, attempts: int, *, bad_photos: bool = False
) -> tuple[FlakyScanner, Script, QueueConsumer]:
    """A consumer of `messages` queued messages scanning through a limiter whose breaker
    pauses 5 to 20 ms, with `attempts` attempts and 10 to 50 ms backoffs; every scan fails,
    with the scanner down, or (`bad_photos`) up and failing on these photos.
    """
    queue = InMemoryMessageQueue()
    for n in range(messages):
        await queue.send("q", f"m{n}")
    settings = ScannerSettings(breaker_pause_s=0.005, breaker_max_pause_s=0.02)
    inner = FlakyScanner(ScannerUnavailable, healthy_while_failing=bad_photos)
    script = Script()
    scanner = AdaptiveScanner(inner, limiter_for(settings))

    async def handle(body: str) -> object:
        return await scanner.scan(body, b"img", "image/jpeg")

    route = Route("q", handle, script.on_poison, max_in_flight=64, admission=scanner.limiter)
    fast = QueueSettings(
        max_attempts=attempts, backoff_base_s=0.01, backoff_max_s=0.05, poll_interval_s=0.01
    )
    return inner, script, QueueConsumer(queue, route, fast)


async def test_a_long_outage_poisons_none_of_a_small_backlog() -> None:
    """Three messages, two attempts each, and a scanner down (its health too) through 30
    failed calls (dozens of breaker probes): each probe's message goes back without an
    attempt, so none is poisoned, and all are scanned once the scanner is back.
    """
    inner, script, worker = await outage_rig(messages=3, attempts=2)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    await until(lambda: inner.failures >= 30 or bool(script.poisoned), seconds=20)
    inner.down = False
    await until(lambda: len(inner.scanned) + len(script.poisoned) == 3, seconds=20)
    stop.set()
    await task
    assert script.poisoned == []
    assert inner.scanned == {"m0", "m1", "m2"}


@pytest.mark.parametrize("photos", [1, 3])
async def test_photos_the_scanner_always_fails_are_poisoned_after_max_attempts(
    photos: int,
) -> None:
    """The scanner is up (its health says so) but fails every call for these photos, one
    alone or three at once: the breaker's probes count as attempts, and each photo is
    poisoned after exactly max_attempts (3) calls.
    """
    inner, script, worker = await outage_rig(messages=photos, attempts=3, bad_photos=True)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    await until(lambda: len(script.poisoned) == photos, seconds=20)
    stop.set()
    await task
    assert sorted(body for body, _ in script.poisoned) == [f"m{n}" for n in range(photos)]
    assert inner.calls == {f"m{n}": 3 for n in range(photos)}
