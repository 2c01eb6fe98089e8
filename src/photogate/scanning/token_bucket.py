"""A token bucket: a hard ceiling on how many calls start per second."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class TokenBucket:
    """At most `rate` starts per second on average, in bursts of at most `burst`.

    The default burst is a tenth of a second's worth (at least one), so starts are spread
    out instead of arriving in one clump at the top of each second.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be over 0, not {rate}")
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate / 10)
        self._clock = clock
        self._tokens = self.burst
        self._updated = clock()

    def wait_time(self) -> float:
        """Seconds until a token is there (0.0 if one is there now)."""
        self._refill()
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate

    def starts_within(self, seconds: float) -> int:
        """How many calls could start within `seconds` from now (strictly before it ends): the
        tokens here plus those that come meanwhile, so a rate under one per `seconds` still
        lets a call start when its token is near.
        """
        self._refill()
        return max(0, math.ceil(self._tokens + self.rate * seconds) - 1)

    def take(self) -> None:
        """Spend one token; call only when `wait_time()` is 0."""
        self._refill()
        self._tokens -= 1

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
