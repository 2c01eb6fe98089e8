"""Limited capacity as in production: scan slots, 429 at once when none is free, a 503 switch."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass

from photogate.refscanner.refusal import Refusal


@dataclass
class Stats:
    """Counters for benchmarks and tests (served on GET /v1/stats)."""

    scans: int = 0
    replays: int = 0
    busy: int = 0
    unavailable_answers: int = 0
    rejected: int = 0
    in_flight: int = 0
    max_in_flight: int = 0


class Capacity:
    """Scan slots and simulated scan time; changeable at run time.

    Everything runs on the server's one event loop, so plain counters need no lock.
    """

    def __init__(
        self, slots: int, latency_s: float, *, retry_after_s: int, unavailable: bool = False
    ) -> None:
        self.slots = slots
        self.latency_s = latency_s
        self.retry_after_s = retry_after_s
        self.unavailable = unavailable
        self.stats = Stats()

    def check_available(self) -> None:
        """Refusal 503 while switched to unavailable (a redeploy, say)."""
        if self.unavailable:
            self.stats.unavailable_answers += 1
            detail = "the scanner is redeploying; try again later"
            raise Refusal(503, "unavailable", detail, retry_after=self.retry_after_s)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a scan slot for at least `latency_s`; Refusal 429 at once when none is free."""
        if self.stats.in_flight >= self.slots:
            self.stats.busy += 1
            detail = f"all {self.slots} scan slots are busy"
            raise Refusal(429, "busy", detail, retry_after=self.retry_after_s)
        started = time.monotonic()
        self._enter()
        try:
            yield
            # The simulated work: a scan takes latency_s even when the rules finish sooner.
            await asyncio.sleep(max(0.0, self.latency_s - (time.monotonic() - started)))
        finally:
            self.stats.in_flight -= 1

    def change(
        self,
        *,
        slots: int | None = None,
        latency_s: float | None = None,
        unavailable: bool | None = None,
    ) -> None:
        """Change capacity for the requests that arrive from now on."""
        self.slots = self.slots if slots is None else slots
        self.latency_s = self.latency_s if latency_s is None else latency_s
        self.unavailable = self.unavailable if unavailable is None else unavailable

    def describe(self) -> dict[str, object]:
        """Current capacity and counters, as JSON-ready data."""
        settings = {"slots": self.slots, "latency_s": self.latency_s}
        return {**settings, "unavailable": self.unavailable, **asdict(self.stats)}

    def _enter(self) -> None:
        self.stats.in_flight += 1
        self.stats.max_in_flight = max(self.stats.max_in_flight, self.stats.in_flight)
