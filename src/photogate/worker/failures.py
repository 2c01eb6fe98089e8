"""RepeatedFailures: a loop's failures logged on one line each, at most once per interval.

A worker loop that retries every few seconds (the outbox relay, the heartbeat, a consumer's
receive) fails every few seconds for as long as the database or queue is down. Logged with
a traceback each time, a short outage buried the log (3,000 lines in 30 s); logged like this,
it costs a line when it starts, one a minute while it lasts and one when it ends.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Final

from photogate.errors import PhotogateError

REPEAT_EVERY_S: Final = 60.0


class RepeatedFailures:
    """Reports `what`'s failures and recovery to `logger`; one instance per retrying loop.

    The first failure is logged at once, repeats at most once per `every_s` with how long and
    how often it has failed, the return to normal once. Tracebacks go to DEBUG only.
    """

    def __init__(
        self,
        logger: logging.Logger,
        what: str,
        *,
        every_s: float = REPEAT_EVERY_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = logger
        self._what = what
        self._every_s = every_s
        self._monotonic = monotonic
        self._failures = 0
        self._since = 0.0
        self._next_report = -math.inf

    def failed(self, exc: BaseException) -> None:
        """Count a failure; log it if it is the first, or the last line is `every_s` old."""
        now = self._monotonic()
        self._log.debug("%s failed", self._what, exc_info=exc)
        if self._failures == 0:
            self._since = now
        self._failures += 1
        if now < self._next_report:
            return
        self._next_report = now + self._every_s
        if self._failures == 1:
            self._log.warning("%s failed: %s; retrying", self._what, one_line(exc))
            return
        self._log.warning(
            "%s failing for %s: %s (%d times)",
            self._what,
            _duration(now - self._since),
            one_line(exc),
            self._failures,
        )

    def succeeded(self) -> None:
        """Note a success: after failures, log that `what` works again."""
        if self._failures == 0:
            return
        took = _duration(self._monotonic() - self._since)
        self._log.info("%s recovered after %s (%d failures)", self._what, took, self._failures)
        self._failures = 0
        self._next_report = -math.inf


def one_line(exc: BaseException) -> str:
    """What went wrong, on one line: our errors' own message, else the type and message."""
    text = " ".join(str(exc).split())
    if isinstance(exc, PhotogateError) and text:
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _duration(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}m{whole % 60:02d}s" if whole >= 60 else f"{whole}s"
