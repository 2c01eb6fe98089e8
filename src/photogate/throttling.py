"""Rate limits counted in the catalog, so every web process shares them: N events per window."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from photogate.ports.rate_limits import RateLedger


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


async def take_slot(ledger: RateLedger, limit: Limit, key: str, now: datetime) -> float | None:
    """Count one event of `key` now if `limit` allows it (None), else the seconds to wait.

    The check and the count are one step, so work done after a slot is taken (a password
    hash, decoding a photo) cannot be raced past the limit by requests sent at once.
    """
    if not limit.enabled:
        return None
    oldest = await ledger.take_rate_slot(
        limit.bucket,
        key,
        now,
        since=now - limit.window,
        max_events=limit.max_events,
        prune_before=now - limit.window,
    )
    if oldest is None:
        return None
    return float(max(1, math.ceil((oldest + limit.window - now).total_seconds())))


async def give_back(ledger: RateLedger, limit: Limit, key: str, taken_at: datetime) -> None:
    """Return the slot `take_slot` took for `key` at `taken_at`: the event did not count."""
    if limit.enabled:
        await ledger.give_back_rate_slot(limit.bucket, key, taken_at)


def in_words(seconds: float) -> str:
    """ "about 25 minutes", "about 3 hours": a wait as a person would say it."""
    minutes = max(1, math.ceil(seconds / 60))
    if minutes < 90:
        return "about a minute" if minutes == 1 else f"about {minutes} minutes"
    return f"about {math.ceil(minutes / 60)} hours"
