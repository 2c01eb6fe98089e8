"""A circuit breaker for scanner calls: after a run of failures, no call at all for a while.

The adaptive limit alone cannot stop an outage from burning the backlog: it floors at one call,
so the worker keeps taking messages and each failed call costs one of a message's attempts.
After `failures` calls in a row fail (5xx, timeouts, no answer) the breaker *opens*: every call
waits `first_pause_s`, and the worker takes no message meanwhile. Then it is *half-open*: one
call at a time probes the scanner; a success closes the breaker, a failure opens it again for
twice as long, up to `max_pause_s`. A refused API key or a wrong URL opens it at once (`trip`):
our settings, not the images, are at fault, so every call would fail alike.

Calls already in flight when it opens are likely failing too; their outcomes are counted only
once (`started` hands out the epoch, a count of openings), so they do not double the pause.

Whether a failed probe costs its message an attempt is the scanner decorator's call
(limiter.AdaptiveScanner asks the scanner's health endpoint); the breaker only says which
call was the probe.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class BreakerTuning:
    """How many failures in a row open the breaker, and how long it stays open."""

    failures: int = 3
    first_pause_s: float = 1.0
    max_pause_s: float = 60.0


class CircuitBreaker:
    """Counts failures in a row and says how long calls must wait; pure, for a fake clock."""

    def __init__(
        self, tuning: BreakerTuning | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._tuning = tuning or BreakerTuning()
        self._clock = clock
        self._failures = 0
        self._epoch = 0
        self._tripped = False
        self._open_until = -math.inf
        self._next_pause_s = self._tuning.first_pause_s

    @property
    def epoch(self) -> int:
        """How many times the breaker opened: a call records it when it starts."""
        return self._epoch

    @property
    def paused_for(self) -> float:
        """Seconds until calls may start again (0.0 unless open)."""
        return max(0.0, self._open_until - self._clock())

    @property
    def tripped(self) -> bool:
        """Whether calls failed until it opened and none has succeeded since (open or
        half-open).
        """
        return self._tripped

    @property
    def half_open(self) -> bool:
        """Whether the pause is over but no call has succeeded since: one call at a time."""
        return self._tripped and self.paused_for == 0.0

    def succeeded(self) -> None:
        """A call answered: the scanner is back, close the breaker and forget the failures."""
        self._failures = 0
        self._tripped = False
        self._open_until = -math.inf
        self._next_pause_s = self._tuning.first_pause_s

    def failed(self, epoch: int) -> bool:
        """A call started in `epoch` failed; True if that opened the breaker."""
        if epoch != self._epoch:
            return False  # it started before the last opening, which counted its kind already
        self._failures += 1
        if self._tripped or self._failures >= self._tuning.failures:
            self._open()
            return True
        return False

    def trip(self, epoch: int) -> bool:
        """A call started in `epoch` showed every call will fail: open now; True if it did."""
        if epoch != self._epoch:
            return False
        self._open()
        return True

    def shorten_pause(self) -> bool:
        """Make the pause just begun (by a failed probe) the first pause again, and the next one
        after it no longer; True if the breaker was open.
        """
        if not self._tripped:
            return False
        self._open_until = min(self._open_until, self._clock() + self._tuning.first_pause_s)
        self._next_pause_s = self._tuning.first_pause_s
        return True

    def _open(self) -> None:
        self._tripped = True
        self._epoch += 1
        self._open_until = self._clock() + self._next_pause_s
        self._next_pause_s = min(self._tuning.max_pause_s, self._next_pause_s * 2)
