"""Heartbeats: what each scan worker last said about itself (part of the Catalog; see
worker/heartbeat.py and domain/heartbeat.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from photogate.domain.heartbeat import Heartbeat


class HeartbeatLedger(Protocol):
    """What each scan worker last said about itself, for operators (domain/heartbeat.py)."""

    async def record_heartbeat(self, beat: Heartbeat) -> None:
        """Store `beat` as its worker's latest (one per worker), and forget workers silent
        for FORGET_AFTER.
        """
        ...

    async def recent_heartbeats(self, since: datetime) -> list[Heartbeat]:
        """Each worker's latest heartbeat if it came at or after `since`, the newest first."""
        ...
