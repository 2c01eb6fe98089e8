"""Rate limits counted in the catalog, so every web process shares them: N events per window."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from photogate.ports.catalog import RateLedger


@dataclass(frozen=True)
class Limit:
    """At most `max_events` events per key in any `window`; 0 turns the limit off."""

    bucket: str
    max_events: int
    window: timedelta

    @property
    def enabled(self) -> bool:
        """Whether this limit counts anything at all."""
        return self.max_events > 0


def limit_key(*parts: str) -> str:
    """A one-way key for `parts` (an IP address, an email and a SKU): no personal data stored."""
    return hashlib.sha256("\x1f".join(("photogate-limit", *parts)).encode()).hexdigest()[:32]


async def retry_after(ledger: RateLedger, limit: Limit, key: str, now: datetime) -> float | None:
    """Seconds until `key` may act again under `limit`, or None if it may act now."""
    if not limit.enabled:
        return None
    count, oldest = await ledger.count_rate_events(limit.bucket, key, since=now - limit.window)
    if count < limit.max_events or oldest is None:
        return None
    return float(max(1, math.ceil((oldest + limit.window - now).total_seconds())))


async def record(ledger: RateLedger, limit: Limit, key: str, now: datetime) -> None:
    """Count one event of `key`, forgetting the bucket's events older than the window."""
    if limit.enabled:
        await ledger.record_rate_event(limit.bucket, key, now, prune_before=now - limit.window)


def in_words(seconds: float) -> str:
    """ "about 25 minutes", "about 3 hours": a wait as a person would say it."""
    minutes = max(1, math.ceil(seconds / 60))
    if minutes < 90:
        return "about a minute" if minutes == 1 else f"about {minutes} minutes"
    return f"about {math.ceil(minutes / 60)} hours"
