"""Worker heartbeats for tests: a healthy one, or one whose scanner keeps failing."""

from __future__ import annotations

from datetime import datetime, timedelta

from photogate.domain.heartbeat import Heartbeat


def a_heartbeat(worker: str, seen_at: datetime, *, failing: str | None = None) -> Heartbeat:
    """`worker` at `seen_at`, started an hour before, 120 scans done; with `failing`, its
    breaker open after 9 failures, the last of them `failing`.
    """
    return Heartbeat(
        worker=worker,
        started_at=seen_at - timedelta(hours=1),
        seen_at=seen_at,
        limit=1 if failing else 8,
        in_flight=0 if failing else 3,
        waiting=1,
        succeeded=120,
        throttled=2,
        failed=9 if failing else 0,
        paused_s=16.0 if failing else 0.0,
        breaker_open=failing is not None,
        last_error=failing,
    )
