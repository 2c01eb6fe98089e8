"""A short outage of the real reference scanner (every answer a 500) poisons none of the
backlog: the limiter's circuit breaker stops the consumer from taking messages meanwhile.
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
    it and none poisoned, and the scanner saw only a handful of the failing calls.
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
    assert 3 <= faults["injected"]["error_500"] < 30


async def test_a_long_run_of_500s_poisons_none_of_a_small_backlog() -> None:
    """Three messages with two attempts each and the scanner answering 500 through twenty
    failed calls: the breaker's probes give their messages back without an attempt, so none
    is poisoned, and all three are scanned once the scanner answers again.
    """
    image = samples.clean_jpeg(64, 48, seed=3)
    config = RefScannerConfig(latency_s=0.0, faults=ALL_500)
    with BackgroundRefScanner(config) as ref:
        settings = ScannerSettings(url=ref.url, breaker_pause_s=0.01, breaker_max_pause_s=0.04)
        queue = InMemoryMessageQueue()
        for n in range(3):
            await queue.send("scans", f"long-outage-{n}")
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
            fast = QueueSettings(
                max_attempts=2, backoff_base_s=0.01, backoff_max_s=0.05, poll_interval_s=0.01
            )
            stop = asyncio.Event()
            task = asyncio.create_task(QueueConsumer(queue, route, fast).run(stop))
            await until(lambda: failed[0] >= 20 or bool(script.poisoned), seconds=30)
            async with httpx.AsyncClient() as admin:
                await admin.post(f"{ref.url}/v1/admin/faults", json={"share": 0.0})
            await until(lambda: len(scanned) + len(script.poisoned) == 3, seconds=30)
            stop.set()
            await task
    assert script.poisoned == []
    assert len(scanned) == 3
