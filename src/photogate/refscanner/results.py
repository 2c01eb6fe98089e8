"""Idempotency: results kept by X-Request-Id for 24 h, so a retry is answered, not rescanned."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

TTL_S = 24 * 3600.0

ScanBody = dict[str, object]


class ResultStore:
    """Stored scan results, and the scans still running, so no request id is scanned twice.

    A request whose id is being scanned right now waits for that scan instead of starting
    another; if that scan ends without a result (refused, cancelled), one waiter takes over.
    """

    def __init__(self, ttl_s: float = TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._done: dict[str, tuple[float, ScanBody]] = {}
        self._running: dict[str, asyncio.Future[ScanBody | None]] = {}

    async def claim(self, request_id: str) -> ScanBody | None:
        """The stored result for `request_id`, or None: then the caller scans and calls finish()."""
        while True:
            stored = self._stored(request_id)
            if stored is not None:
                return stored
            running = self._running.get(request_id)
            if running is None:
                self._running[request_id] = asyncio.get_running_loop().create_future()
                return None
            await asyncio.shield(running)

    def finish(self, request_id: str, body: ScanBody | None) -> None:
        """End the caller's scan: store `body` (None: there is no result) and wake the waiters."""
        if body is not None:
            self._prune()
            self._done.pop(request_id, None)  # re-inserted at the end, keeping the order by time
            self._done[request_id] = (self._clock(), body)
        running = self._running.pop(request_id, None)
        if running is not None and not running.done():
            running.set_result(body)

    def _stored(self, request_id: str) -> ScanBody | None:
        entry = self._done.get(request_id)
        if entry is None or self._clock() - entry[0] > self._ttl_s:
            return None
        return entry[1]

    def _prune(self) -> None:
        # Entries sit in the order they were stored, so the expired ones are at the front.
        now = self._clock()
        while self._done:
            request_id, (stored_at, _) = next(iter(self._done.items()))
            if now - stored_at <= self._ttl_s:
                return
            del self._done[request_id]
