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

A failed probe is a message's attempt like any failure, unless the run of failures is an
*outage* (`outage`): it has hit at least `failures` different requests, so the scanner, not one
photo, is at fault, and it began less than `grace_s` ago. Then the probe's message gives its
work back without an attempt, and a long outage poisons none of the backlog. A photo the
scanner always fails on, alone in the queue, still reaches the poison queue; so does the
backlog if the scanner stays down past the grace (to be replayed once it is back).
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
    grace_s: float = 3600.0


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
        self._failing: set[str] = set()  # requests failed since the last success (a few)
        self._failing_since = math.inf

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

    @property
    def outage(self) -> bool:
        """Whether the failures since the last success hit `failures` different requests and
        began less than `grace_s` ago: the scanner is down, whatever the photo.
        """
        several = len(self._failing) >= self._tuning.failures
        return several and self._clock() - self._failing_since < self._tuning.grace_s

    def succeeded(self) -> None:
        """A call answered: the scanner is back, close the breaker and forget the failures."""
        self._failures = 0
        self._failing.clear()
        self._failing_since = math.inf
        self._tripped = False
        self._open_until = -math.inf
        self._next_pause_s = self._tuning.first_pause_s

    def failed(self, epoch: int, request: str | None = None) -> bool:
        """A call started in `epoch` (for `request`, if known) failed; True if that opened the
        breaker.
        """
        self._failing_since = min(self._failing_since, self._clock())
        if request is not None and len(self._failing) < self._tuning.failures:
            self._failing.add(request)
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

    def _open(self) -> None:
        self._tripped = True
        self._epoch += 1
        self._open_until = self._clock() + self._next_pause_s
        self._next_pause_s = min(self._tuning.max_pause_s, self._next_pause_s * 2)
