"""The adaptive limiter against the real reference scanner: it finds the capacity and keeps it
busy with few 429s, alone and as three uncoordinated workers sharing one scanner.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from photogate.adapters.http_scanner import HttpScanner
from photogate.adapters.memory.queue import InMemoryMessageQueue
from photogate.scanning.limiter import AdaptiveLimiter, AdaptiveScanner, limiter_for
from photogate.settings import QueueSettings, ScannerSettings
from photogate.testing import samples
from photogate.worker.consumer import QueueConsumer, Route
from tests.support.processes import reference_scanner

pytestmark = [pytest.mark.integration, pytest.mark.slow]

Q = "scans"
# Scans take long beside a call's own cost (a few ms), as real scans do, so the figures measure
# the limiter and not how quickly this shared machine turns a call around. The three-worker
# test's scans are shorter, for enough calls that its limiters' probes stay a small share.
LATENCY_S = 0.2
SHARED_LATENCY_S = 0.1
IMAGE = samples.clean_jpeg(64, 64)


@dataclass
class Worker:
    """One worker process's share: its limiter and consumer, and when its scans finished."""

    limiter: AdaptiveLimiter
    consumer: QueueConsumer
    scanner: HttpScanner
    finished: list[float] = field(default_factory=list)


def worker(queue: InMemoryMessageQueue, url: str) -> Worker:
    """A consumer of Q whose handler scans through its own limiter, as a worker process would."""
    settings = ScannerSettings(url=url, timeout_s=10)
    http, limiter = HttpScanner(settings), limiter_for(settings)
    scanner = AdaptiveScanner(http, limiter)
    finished: list[float] = []

    async def handle(body: str) -> object:
        result = await scanner.scan(body, IMAGE, "image/jpeg")
        finished.append(time.monotonic())
        return result

    async def on_poison(body: str, reason: str) -> None:
        raise AssertionError(f"{body} poisoned: {reason}")

    route = Route(Q, handle, on_poison, max_in_flight=96, admission=limiter)
    return Worker(limiter, QueueConsumer(queue, route, QueueSettings()), http, finished)


async def drain(workers: list[Worker], count: int, seconds: float) -> list[list[int]]:
    """Run the workers until `count` scans finished; samples each one's calls in flight."""
    stop = asyncio.Event()
    runs = [asyncio.create_task(w.consumer.run(stop)) for w in workers]
    in_flight: list[list[int]] = []
    async with asyncio.timeout(seconds):
        while sum(len(w.finished) for w in workers) < count:
            in_flight.append([w.limiter.snapshot().in_flight for w in workers])
            await asyncio.sleep(0.02)
    stop.set()
    await asyncio.gather(*runs)
    for w in workers:
        await w.scanner.aclose()
    return in_flight


async def fill(queue: InMemoryMessageQueue, count: int) -> None:
    for n in range(count):
        await queue.send(Q, f"scan-{n}")


@pytest.fixture
def scanner_4_slots(tmp_path: Path) -> Iterator[str]:
    """The reference scanner in its own process: in a thread of this one it would share the
    workers' interpreter lock and count its own work against the limiter.
    """
    with reference_scanner(4, LATENCY_S, tmp_path / "scanner.log") as url:
        yield url


@pytest.fixture
def scanner_8_slots(tmp_path: Path) -> Iterator[str]:
    """Like scanner_4_slots, with 8 slots and shorter scans."""
    with reference_scanner(8, SHARED_LATENCY_S, tmp_path / "scanner.log") as url:
        yield url


def busy_share(url: str) -> tuple[float, dict[str, int]]:
    stats = httpx.get(f"{url}/v1/stats").json()
    return stats["busy"] / (stats["busy"] + stats["scans"]), stats


async def test_one_worker_keeps_the_scanner_busy_with_few_429s(
    scanner_4_slots: str,
) -> None:
    """160 scans against 4 slots x 0.2 s: under 5 % answered 429, and the capacity kept in use
    (at least half of it, on a noisy machine) once the first Retry-After pause (the price of
    finding the capacity) is over.
    """
    capacity, count = 4 / LATENCY_S, 160
    queue = InMemoryMessageQueue()
    await fill(queue, count)
    one = worker(queue, scanner_4_slots)
    started = time.monotonic()
    await drain([one], count, seconds=90)
    share, stats = busy_share(scanner_4_slots)
    total = time.monotonic() - started
    settled = [t for t in one.finished if t > started + 2.0]
    steady = (len(settled) - 1) / (settled[-1] - settled[0]) / capacity
    print(
        f"\n{count} scans in {total:.2f}s (ideal {count / capacity:.2f}s):"
        f" {count / total / capacity:.0%} of capacity overall, {steady:.0%} after warm-up;"
        f" 429s {stats['busy']} ({share:.2%}); final limit {one.limiter.snapshot().limit}"
    )
    assert share < 0.05
    # The benchmark measures the real figure (97 %); this only guards against a collapse, with
    # room for a shared CI machine's noise.
    assert steady >= 0.5
    assert stats["max_in_flight"] == 4


async def test_three_uncoordinated_workers_share_the_capacity(
    scanner_8_slots: str,
) -> None:
    """Three limiters, one scanner of 8 slots: after warm-up they keep most of the 8 calls in
    flight together (at least half, on a noisy machine), and 429s are rare.
    """
    count = 640
    queue = InMemoryMessageQueue()
    await fill(queue, count)
    workers = [worker(queue, scanner_8_slots) for _ in range(3)]
    samples_in_flight = await drain(workers, count, seconds=90)
    share, stats = busy_share(scanner_8_slots)
    totals = [sum(sample) for sample in samples_in_flight]
    after_warmup = totals[100:-25]  # from 2 s on, leaving out the last half second's tail
    limits = [w.limiter.snapshot().limit for w in workers]
    print(
        f"\nmean calls in flight after warm-up {statistics.mean(after_warmup):.2f} of 8;"
        f" 429s {stats['busy']} ({share:.2%}); limits {limits}"
    )
    assert statistics.mean(after_warmup) >= 4.0  # half the capacity: guards against a collapse
    assert share < 0.05
    assert sum(limits) <= 10
