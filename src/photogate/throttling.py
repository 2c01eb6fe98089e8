"""Rate limits counted in the catalog, so every web process shares them: N events per window."""

from __future__ import annotations

import hashlib
import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from photogate.ports.rate_limits import RateLedger

# An IPv6 customer is handed a whole /64 network (often more): counted by address, each of its
# 2**64 addresses would get a limit of its own.
IPV6_NETWORK_BITS = 64


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


def client_key(address: str) -> str:
    """The limit key of a client address: an IPv4 address (also one mapped into IPv6) as it
    is, an IPv6 address by its /64 network, anything else (no IP: a test client) as given.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return limit_key(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return limit_key(str(ip.ipv4_mapped))
        network = ipaddress.IPv6Network((ip, IPV6_NETWORK_BITS), strict=False)
        return limit_key(str(network))
    return limit_key(str(ip))


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
