"""A Scanner decorator that caps the number of scanner calls in flight."""

from __future__ import annotations

import asyncio

from photogate.domain.scan import ScanResult
from photogate.ports import Scanner


class LimitedScanner:
    """Lets at most `limit` calls reach the wrapped scanner at once; the rest wait their turn."""

    def __init__(self, inner: Scanner, limit: int) -> None:
        self._inner = inner
        self._slots = asyncio.Semaphore(limit)
        self.limit = limit

    async def scan(self, request_id: str, image: bytes, content_type: str) -> ScanResult:
        """Scan through the wrapped scanner once a slot is free."""
        async with self._slots:
            return await self._inner.scan(request_id, image, content_type)
