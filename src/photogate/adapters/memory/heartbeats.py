"""InMemoryCatalog's heartbeats, with the SQL catalog's rules."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from photogate.adapters.memory.emails import require_aware
from photogate.domain.heartbeat import FORGET_AFTER, Heartbeat


class _Stored(Protocol):
    """What these methods need of the InMemoryCatalog they are mixed into."""

    _heartbeats: dict[str, Heartbeat]


class InMemoryHeartbeats:
    """Mixed into InMemoryCatalog."""

    async def record_heartbeat(self: _Stored, beat: Heartbeat) -> None:
        """Store `beat` as its worker's latest, and forget workers silent for a day."""
        require_aware(beat.started_at, beat.seen_at)
        self._heartbeats[beat.worker] = beat
        for worker, old in list(self._heartbeats.items()):
            if old.seen_at < beat.seen_at - FORGET_AFTER:
                del self._heartbeats[worker]

    async def recent_heartbeats(self: _Stored, since: datetime) -> list[Heartbeat]:
        """Each worker's latest heartbeat if it came at or after `since`, the newest first."""
        require_aware(since)
        recent = [beat for beat in self._heartbeats.values() if beat.seen_at >= since]
        return sorted(recent, key=lambda beat: beat.seen_at, reverse=True)
