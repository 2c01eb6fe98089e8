"""What a scan worker last said about itself and its scanner calls, for operators.

Each worker process (or Functions instance) writes one heartbeat every few seconds; `photogate
status` and the console's Pipeline page read the recent ones. The limiter lives in each
process, so this is the only place an operator sees it without reading logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

# A worker writes every BEAT_EVERY; one not heard from for ALIVE_WITHIN is taken for gone.
BEAT_EVERY: Final = timedelta(seconds=15)
ALIVE_WITHIN: Final = timedelta(seconds=60)
# Operators see the workers heard from this recently: a Functions instance beats only while
# messages come, and in an outage those are delayed copies, minutes apart.
SHOWN_WITHIN: Final = timedelta(minutes=10)
# Scans waiting this long with no worker alive are a warning (shorter waits may be copies put
# back with a delay, or a Functions app still waking up).
UNATTENDED_AFTER: Final = timedelta(minutes=5)
# Heartbeats of workers gone this long are forgotten.
FORGET_AFTER: Final = timedelta(days=1)
LAST_ERROR_CHARS: Final = 300


@dataclass(frozen=True)
class Heartbeat:
    """One worker at `seen_at`: its scan limiter's state and counters since `started_at`;
    `stopped` on the last beat it writes, after it finished what it had in hand.
    """

    worker: str
    started_at: datetime
    seen_at: datetime
    limit: int
    in_flight: int
    waiting: int
    succeeded: int
    throttled: int
    failed: int
    paused_s: float
    breaker_open: bool
    last_error: str | None = None
    stopped: bool = False

    def scanner_state(self) -> str:
        """The scanner as this worker sees it, in a few words (none once it stopped)."""
        if self.stopped:
            return "worker stopped"
        if self.breaker_open:
            return "down: calls paused after repeated failures"
        if self.paused_s > 0:
            return f"asked us to wait ({self.paused_s:.0f} s)"
        return "answering"
