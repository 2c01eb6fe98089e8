"""Outages of the real reference scanner poison none of the backlog: a short run of 500s (the
limiter's circuit breaker stops the consumer taking messages meanwhile), and a long outage
(the breaker's probes cost no attempt while /v1/health says down). Photos it answers 500 while
up are still poisoned after exactly their attempts.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from photogate.adapters.http_scanner import HttpScanner
from photogate.adapters.memory.queue import InMemoryMessageQueue
from photogate.refscanner import BackgroundRefScanner, RefScannerConfig
from photogate.refscanner.faults import KINDS, FaultConfig
from photogate.scanning.limiter import AdaptiveScanner, limiter_for
from photogate.settings import QueueSettings, ScannerSettings
from photogate.testing import samples
from photogate.worker.consumer import QueueConsumer, Route
from tests.unit.test_consumer import Script, until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

MESSAGES = 40
ALL_500 = FaultConfig(share=1.0, weights={kind: float(kind == "error_500") for kind in KINDS})


async def test_a_short_run_of_500s_poisons_none_of_the_backlog() -> None:
    """Every answer a 500 for 1.5 s, with a 10 ms backoff base: all messages are scanned after
    it and none poisoned, and the breaker kept the failing calls to about one probe per pause
    (its health says up throughout, so each probe waits the first pause, 50 ms), not the
    thousands 64 handlers retrying every 10 ms would make.
    """
    image = samples.clean_jpeg(64, 48, seed=3)
    config = RefScannerConfig(latency_s=0.0, faults=ALL_500)
    with BackgroundRefScanner(config) as ref:
        settings = ScannerSettings(url=ref.url, breaker_pause_s=0.05, breaker_max_pause_s=0.3)
        queue = InMemoryMessageQueue()
        for n in range(MESSAGES):
            await queue.send("scans", f"outage-{n}")
        script, scanned = Script(), set[str]()
        async with HttpScanner(settings) as http:
            scanner = AdaptiveScanner(http, limiter_for(settings))

            async def handle(body: str) -> object:
                scanned.add((await scanner.scan(body, image, "image/jpeg")).request_id)
                return None

            route = Route("scans", handle, script.on_poison, 64, admission=scanner.limiter)
            fast = QueueSettings(backoff_base_s=0.01, backoff_max_s=0.2, poll_interval_s=0.01)
            stop = asyncio.Event()
            task = asyncio.create_task(QueueConsumer(queue, route, fast).run(stop))
            await asyncio.sleep(1.5)  # the outage's length, measured, not synchronisation
            async with httpx.AsyncClient() as admin:
                await admin.post(f"{ref.url}/v1/admin/faults", json={"share": 0.0})
                faults = (await admin.get(f"{ref.url}/v1/admin/faults")).json()
            await until(lambda: len(scanned) + len(script.poisoned) == MESSAGES, seconds=30)
            stop.set()
            await task
    assert script.poisoned == []
    # The run of 3 that opened it, one probe per 50 ms, and the calls in flight at the opening.
    assert 3 <= faults["injected"]["error_500"] <= 1.5 / 0.05 + 3 + 8


async def run_small_backlog(
    config: RefScannerConfig, image: bytes, *, until_failed: int, attempts: int
) -> tuple[Script, set[str], int, str]:
    """Three messages, `attempts` attempts each, scanned through the real HTTP scanner with
    a fast breaker and retries after 0.1-0.4 s; once `until_failed` scans failed (or any was
    poisoned) the scanner is switched available and its faults off. What was poisoned,
    scanned and failed, and the scanner URL.
    """
    with BackgroundRefScanner(config) as ref:
        settings = ScannerSettings(url=ref.url, breaker_pause_s=0.01, breaker_max_pause_s=0.04)
        queue = InMemoryMessageQueue()
        for n in range(3):
            await queue.send("scans", f"small-{n}")
        script, scanned, failed = Script(), set[str](), [0]
        async with HttpScanner(settings) as http:
            scanner = AdaptiveScanner(http, limiter_for(settings))

            async def handle(body: str) -> object:
                try:
                    scanned.add((await scanner.scan(body, image, "image/jpeg")).request_id)
                except Exception:
                    failed[0] += 1
                    raise
                return None

            route = Route("scans", handle, script.on_poison, 64, admission=scanner.limiter)
            # Retries wait 0.1-0.2 s: long enough for the three first calls to open the
            # breaker before any comes back (so only probes are left to count or not).
            fast = QueueSettings(
                max_attempts=attempts,
                backoff_base_s=0.2,
                backoff_max_s=0.4,
                poll_interval_s=0.01,
            )
            stop = asyncio.Event()
            task = asyncio.create_task(QueueConsumer(queue, route, fast).run(stop))
            await until(lambda: failed[0] >= until_failed or bool(script.poisoned), seconds=30)
            async with httpx.AsyncClient() as admin:
                await admin.post(f"{ref.url}/v1/admin/capacity", json={"unavailable": False})
                await admin.post(f"{ref.url}/v1/admin/faults", json={"share": 0.0})
            await until(lambda: len(scanned) + len(script.poisoned) == 3, seconds=30)
            stop.set()
            await task
    return script, scanned, failed[0], ref.url


async def test_a_long_outage_poisons_none_of_a_small_backlog() -> None:
    """The scanner down (scans 503, /v1/health too) through ten failed calls with three
    messages of three attempts each: the breaker's probes give their messages back without
    an attempt, so none is poisoned, and all three are scanned once it is back.

    Each message spends one attempt on the calls that open the breaker, and may spend one
    more on a probe whose scan failed just before the scanner came back and whose health
    check came just after: three attempts leave room for both, and no more.
    """
    image = samples.clean_jpeg(64, 48, seed=3)
    config = RefScannerConfig(latency_s=0.0, unavailable=True, retry_after_s=0)
    script, scanned, failed, _ = await run_small_backlog(config, image, until_failed=10, attempts=3)
    assert script.poisoned == []
    assert len(scanned) == 3
    assert failed >= 10


async def test_photos_the_scanner_always_fails_are_poisoned_while_it_is_up() -> None:
    """The scanner up (its health says so) but answering 500 to these three photos: the
    probes count, and each is poisoned after exactly its two attempts.
    """
    image = samples.clean_jpeg(64, 48, seed=3)
    config = RefScannerConfig(latency_s=0.0, faults=FaultConfig(fail_sizes=frozenset({(64, 48)})))
    script, scanned, failed, _ = await run_small_backlog(
        config, image, until_failed=1000, attempts=2
    )
    assert sorted(body for body, _ in script.poisoned) == ["small-0", "small-1", "small-2"]
    assert scanned == set()
    assert failed == 6
