"""A scan worker's heartbeat: its limiter's state written to the catalog every BEAT_EVERY, so
`photogate status` and the console's Pipeline page can say whether workers are alive and
whether the scanner answers them (see domain/heartbeat.py).

The worker writes on a timer; a Functions instance, which runs only while messages come,
writes after a delivery when one is due. A failed write is logged and tried at the next beat:
health reporting never stops scans.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from datetime import datetime
from typing import Protocol

from photogate.clock import Clock, utcnow
from photogate.domain.heartbeat import BEAT_EVERY, LAST_ERROR_CHARS, Heartbeat
from photogate.ports.catalog import HeartbeatLedger
from photogate.scanning.limiter import LimiterSnapshot

log = logging.getLogger(__name__)


class Snapshots(Protocol):
    """What a heartbeat needs of the scan limiter."""

    def snapshot(self) -> LimiterSnapshot: ...


def worker_name() -> str:
    """This process, as operators find it: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


class HeartbeatWriter:
    """Writes this process's heartbeats; `beat_if_due` writes at most one per BEAT_EVERY."""

    def __init__(
        self,
        ledger: HeartbeatLedger,
        limiter: Snapshots,
        *,
        clock: Clock = utcnow,
        worker: str | None = None,
    ) -> None:
        self._ledger = ledger
        self._limiter = limiter
        self._clock = clock
        self._worker = worker or worker_name()
        self._started_at = clock()
        self._last: datetime | None = None

    def heartbeat(self) -> Heartbeat:
        """This worker now, from its limiter's snapshot."""
        now = self._limiter.snapshot()
        error = None if now.last_error is None else now.last_error[:LAST_ERROR_CHARS]
        return Heartbeat(
            worker=self._worker,
            started_at=self._started_at,
            seen_at=self._clock(),
            limit=now.limit,
            in_flight=now.in_flight,
            waiting=now.waiting,
            succeeded=now.succeeded,
            throttled=now.throttled,
            failed=now.failed,
            paused_s=now.paused_for_s,
            breaker_open=now.breaker_open,
            last_error=error,
        )

    async def beat(self) -> None:
        """Write a heartbeat now; a failure is logged, not raised."""
        beat = self.heartbeat()
        try:
            await self._ledger.record_heartbeat(beat)
        except Exception:
            log.warning("could not write the worker's heartbeat; trying again later", exc_info=True)
            return
        self._last = beat.seen_at

    async def beat_if_due(self) -> None:
        """Write a heartbeat unless one was written less than BEAT_EVERY ago."""
        if self._last is None or self._clock() - self._last >= BEAT_EVERY:
            await self.beat()


async def keep_beating(
    writer: HeartbeatWriter, stop: asyncio.Event, *, every_s: float | None = None
) -> None:
    """Write a heartbeat every `every_s` (BEAT_EVERY) until `stop` is set, and once at the end."""
    every_s = BEAT_EVERY.total_seconds() if every_s is None else every_s
    while not stop.is_set():
        await writer.beat()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)
    await writer.beat()
