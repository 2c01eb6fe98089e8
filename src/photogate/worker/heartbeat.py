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
import math
import os
import re
import socket
import time
from collections.abc import Callable
from typing import Final

from photogate.clock import Clock, utcnow
from photogate.domain.heartbeat import BEAT_EVERY, LAST_ERROR_CHARS, Heartbeat
from photogate.ports.heartbeats import HeartbeatLedger
from photogate.worker.failures import RepeatedFailures
from photogate.worker.limiter_trace import Snapshots

log = logging.getLogger(__name__)
_URL: Final = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?:[^/\s@]*@)?(?P<host>[^/\s?#]*)(?P<path>[^\s?#]*)"
    r"(?:\?[^\s#]*)?",
    re.IGNORECASE,
)


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
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ledger = ledger
        self._limiter = limiter
        self._clock = clock
        self._monotonic = monotonic
        self._worker = worker or worker_name()
        self._started_at = clock()
        self._next_due = -math.inf  # on the monotonic clock: a wall clock may step back
        self._failures = RepeatedFailures(
            log, "writing the worker's heartbeat", monotonic=monotonic
        )

    def heartbeat(self, *, stopped: bool = False) -> Heartbeat:
        """This worker now, from its limiter's snapshot; `stopped` for its last beat."""
        now = self._limiter.snapshot()
        error = None if now.last_error is None else redacted(now.last_error)[:LAST_ERROR_CHARS]
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
            stopped=stopped,
        )

    async def beat(self, *, stopped: bool = False) -> None:
        """Write a heartbeat now (`stopped`: the last one, once the worker finished its work);
        a failure is logged, not raised (the next due beat retries).
        """
        # Due again from now, before the write: deliveries finishing meanwhile do not all beat.
        self._next_due = self._monotonic() + BEAT_EVERY.total_seconds()
        try:
            await self._ledger.record_heartbeat(self.heartbeat(stopped=stopped))
        except Exception as exc:
            self._failures.failed(exc)
            self._next_due = -math.inf
        else:
            self._failures.succeeded()

    async def beat_if_due(self) -> None:
        """Write a heartbeat unless one was written (or is being) less than BEAT_EVERY ago."""
        if self._monotonic() >= self._next_due:
            await self.beat()


def redacted(error: str) -> str:
    """`error` with any URL cut to its scheme, host and path: a query string or user info
    may carry a key, and moderators read heartbeats on the Pipeline page.
    """
    return _URL.sub(lambda url: f"{url['scheme']}{url['host']}{url['path']}", error)


async def keep_beating(
    writer: HeartbeatWriter, stop: asyncio.Event, *, every_s: float | None = None
) -> None:
    """Write a heartbeat every `every_s` (BEAT_EVERY) until `stop` is set, then a last one
    marked stopped: set `stop` once the worker has finished its work, not when it is asked to
    stop, so it keeps reporting while it drains and status never shows a gone worker alive.
    """
    every_s = BEAT_EVERY.total_seconds() if every_s is None else every_s
    while not stop.is_set():
        await writer.beat()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)
    await writer.beat(stopped=True)
