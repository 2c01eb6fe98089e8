"""Scanner calls through one limiter: a shared Retry-After pause, a circuit breaker, a rate cap
and an adaptive limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from photogate.domain.scan import ScanResult
from photogate.errors import ScannerMisconfigured, ScannerUnavailable, Throttled
from photogate.ports import Scanner
from photogate.scanning.circuit_breaker import BreakerTuning, CircuitBreaker
from photogate.scanning.concurrency_limit import CallStart, ConcurrencyLimit, LimitTuning
from photogate.scanning.token_bucket import TokenBucket
from photogate.settings import ScannerSettings

# How long a caller waits for its turn before it gives the work back (Throttled) instead.
PATIENCE_S = 2.0
# Callers let in beyond the limit, as a share of it: when a call ends, the next caller has its
# image ready and starts at once, so the scanner never waits for us to prepare one.
HEADROOM = 0.5
# The longest one Retry-After pauses every call: a wild header must not stop the worker for days.
MAX_PAUSE_S = 300.0

log = logging.getLogger(__name__)

_RESERVATION: contextvars.ContextVar[Reservation | None] = contextvars.ContextVar(
    "photogate_scan_reservation", default=None
)


@dataclass(frozen=True)
class LimiterSnapshot:
    """The limiter at one moment: its limit, who holds or waits for a slot, and its counters."""

    limit: int
    ceiling: int | None
    in_flight: int
    waiting: int
    reserved: int
    # How long calls stay paused: the longer of the two pauses below, which are told apart
    # because they mean different things (the scanner asked for it; its calls kept failing).
    paused_for_s: float
    started: int
    succeeded: int
    throttled: int
    failed: int
    retry_after_pause_s: float = 0.0
    breaker_pause_s: float = 0.0
    # Whether the circuit breaker is open or probing (calls kept failing), and the last
    # failure's message: what an operator wants to know first when nothing is scanned.
    breaker_open: bool = False
    last_error: str | None = None


@dataclass(frozen=True)
class Ticket:
    """One admitted scanner call: whether it is the circuit breaker's probe."""

    breaker_probe: bool


class Reservation:
    """A caller that will come for a slot soon, counted until it does or finishes without one.

    Entered in the task that will make the call: the limiter finds it there when it is called.
    """

    def __init__(self, release: Callable[[], None]) -> None:
        self._release = release
        self._open = True
        self._token: contextvars.Token[Reservation | None] | None = None

    def __enter__(self) -> Reservation:
        self._token = _RESERVATION.set(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._token is not None:
            _RESERVATION.reset(self._token)
        self.redeem()

    def redeem(self) -> None:
        """Stop counting this reservation; the second call does nothing."""
        if self._open:
            self._open = False
            self._release()


class AdaptiveLimiter:
    """Admits scanner calls: none while paused by a Retry-After or the circuit breaker (one at a
    time once its pause is over), then within the rate cap and the adaptive concurrency limit;
    every call's outcome teaches the limit and the breaker.

    All callers share one event loop, so plain counters need no lock.
    """

    def __init__(
        self,
        limit: ConcurrencyLimit,
        *,
        bucket: TokenBucket | None = None,
        breaker: BreakerTuning | None = None,
        patience_s: float = PATIENCE_S,
        max_pause_s: float = MAX_PAUSE_S,
    ) -> None:
        self._limit = limit
        self._bucket = bucket
        self._clock = time.monotonic  # the event loop's clock: the waits below are real
        self._breaker = CircuitBreaker(breaker, clock=self._clock)
        self._patience_s = patience_s
        self._max_pause_s = max_pause_s
        self._paused_until = -math.inf
        self._in_flight = self._waiting = self._reserved = 0
        self._started = self._succeeded = self._throttled = self._failed = 0
        self._last_error: str | None = None
        self._changed = asyncio.Event()

    def room(self) -> int:
        """How many more callers can start soon: none while paused, one probe at a time while
        the breaker is half-open, else the limit plus headroom, less the calls in flight,
        waiting and reserved; with a rate cap, no more than it lets start within the callers'
        patience.
        """
        if self._pause_left() > 0:
            return 0
        limit = 1 if self._breaker.half_open else self._limit.limit
        queued = self._waiting + self._reserved
        headroom = 0 if self._breaker.half_open else math.ceil(limit * HEADROOM)
        room = limit + headroom - self._in_flight - queued
        if self._bucket is not None:
            room = min(room, self._bucket.starts_within(self._patience_s) - queued)
        return max(0, room)

    def reserve(self) -> Reservation:
        """Count a caller that is on its way (a message received, its image being prepared)."""
        self._reserved += 1
        return Reservation(self._unreserve)

    async def wait_for_room(self, seconds: float) -> None:
        """Return once room may have grown (a call ended, the pause lifted), or after `seconds`."""
        paused = self._pause_left()
        await self._wait_change(min(seconds, paused) if paused > 0 else seconds)

    def pause(self, seconds: float) -> None:
        """Start no call for `seconds` (at most max_pause_s); a longer pause set is kept."""
        until = self._clock() + min(seconds, self._max_pause_s)
        self._paused_until = max(self._paused_until, until)

    @asynccontextmanager
    async def call(self) -> AsyncIterator[Ticket]:
        """Hold a slot for one scanner call and learn from how it ends.

        Waits for the pause to lift, a slot and a token; raises Throttled instead when that
        would take longer than its patience. A 429 or 503 with Retry-After pauses every caller,
        except a 429 to a probe above the known ceiling; so does a run of failures, or one
        refusal of our API key or URL (the circuit breaker). The ticket says whether the call
        is the breaker's probe.
        """
        start = await self._acquire()
        epoch, ticket = self._breaker.epoch, Ticket(breaker_probe=self._breaker.half_open)
        try:
            yield ticket
        except ScannerMisconfigured as exc:
            self._failed += 1
            self._last_error = str(exc)
            self._misconfigured(epoch, exc)
            raise
        except Throttled as exc:
            self._limit.throttled(start, self._in_flight, exc.retry_after)
            self._throttled += 1
            # A refused probe means only "no more capacity yet": the limit is back at the
            # ceiling, and the refused message waits out Retry-After on its own (the consumer
            # puts it back with that delay). Pausing everyone would cost Retry-After x capacity.
            if not start.probe:
                self._pause_for(exc.retry_after)
            raise
        except ScannerUnavailable as exc:
            self._limit.failed(start)
            self._failed += 1
            self._last_error = str(exc)
            self._pause_for(exc.retry_after)
            self._count_failure(epoch, exc)
            raise
        else:
            self._limit.succeeded(start)
            self._breaker.succeeded()
            self._last_error = None  # the scanner answers: an old error would mislead
            self._succeeded += 1
        finally:
            self._in_flight -= 1
            self._notify()

    def snapshot(self) -> LimiterSnapshot:
        """The current limit, slots, pauses and counters."""
        retry_after, breaker = self._retry_after_left(), self._breaker.paused_for
        return LimiterSnapshot(
            limit=self._limit.limit,
            ceiling=self._limit.ceiling,
            in_flight=self._in_flight,
            waiting=self._waiting,
            reserved=self._reserved,
            paused_for_s=max(retry_after, breaker),
            started=self._started,
            succeeded=self._succeeded,
            throttled=self._throttled,
            failed=self._failed,
            retry_after_pause_s=retry_after,
            breaker_pause_s=breaker,
            breaker_open=self._breaker.tripped,
            last_error=self._last_error,
        )

    async def _acquire(self) -> CallStart:
        reservation = _RESERVATION.get()
        if reservation is not None:
            reservation.redeem()  # from now on it counts as waiting
        self._waiting += 1
        try:
            await self._wait_turn()
        finally:
            self._waiting -= 1
        self._in_flight += 1
        self._started += 1
        if self._bucket is not None:
            self._bucket.take()
        return self._limit.started(self._in_flight)

    async def _wait_turn(self) -> None:
        deadline = self._clock() + self._patience_s
        while (delay := self._turn_delay()) != 0.0:
            now = self._clock()
            if now + (delay or 0.0) > deadline:
                raise self._impatient()
            await self._wait_change(deadline - now if delay is None else delay)

    def _turn_delay(self) -> float | None:
        """0.0: start now; seconds: wait that long; None: wait for a slot to free."""
        paused = self._pause_left()
        if paused > 0:
            return paused
        limit = 1 if self._breaker.half_open else self._limit.limit  # one probe at a time
        if self._in_flight >= limit:
            return None
        return self._bucket.wait_time() if self._bucket is not None else 0.0

    def _pause_left(self) -> float:
        """Seconds until calls may start: the longer of a Retry-After pause and the breaker's."""
        return max(self._retry_after_left(), self._breaker.paused_for)

    def _retry_after_left(self) -> float:
        return max(0.0, self._paused_until - self._clock())

    def _impatient(self) -> Throttled:
        paused = self._pause_left()
        if paused > 0:
            return Throttled(f"scanner calls are paused for {paused:.1f} s", retry_after=paused)
        return Throttled(f"no scanner slot came free within {self._patience_s:g} s")

    def _pause_for(self, retry_after: float | None) -> None:
        if retry_after is not None:
            self.pause(retry_after)

    def photo_at_fault(self, exc: ScannerUnavailable) -> None:
        """A probe failed though the scanner says it is up: most likely its photo is at fault
        (the one that failed before, taken first again), so the next probe, with another photo
        from behind it, comes after the first pause again, not a doubled one. Photos the
        scanner always fails on then hold up those behind them for seconds, not minutes; a
        scanner that fails every call while saying it is up costs a message an attempt per
        first pause.
        """
        if self._breaker.shorten_pause():
            log.warning("a probe failed but the scanner says it is up: %s", exc)

    def still_down(self, exc: ScannerUnavailable) -> Throttled:
        """What the caller of a failed probe gets when the scanner is down, not its photo at
        fault: Throttled (no attempt) until the breaker's new pause is over.
        """
        paused = self._pause_left()
        return Throttled(f"the scanner is down: {exc}", retry_after=paused or None)

    def _count_failure(self, epoch: int, exc: ScannerUnavailable) -> None:
        if self._breaker.failed(epoch):
            paused = self._breaker.paused_for
            log.warning(
                "scanner calls failed in a row; pausing them all for %.1f s: %s", paused, exc
            )

    def _misconfigured(self, epoch: int, exc: ScannerMisconfigured) -> None:
        # Not a capacity signal: the limit stays; every call would be refused alike, so pause.
        if self._breaker.trip(epoch):
            paused = self._breaker.paused_for
            log.error("scanner refused our settings; pausing calls for %.1f s: %s", paused, exc)

    def _unreserve(self) -> None:
        self._reserved -= 1
        self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_change(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), seconds)


class AdaptiveScanner:
    """A Scanner decorator: each call waits its turn at the limiter, which learns from it.

    After a run of failures the circuit breaker lets one probe call through at a time. If the
    probe fails too, is the scanner down, or is it this photo? The scanner's health endpoint
    says: down, and the probe's message gives its work back without an attempt (Throttled),
    so an outage of any length poisons none of the backlog; up, and the failure counts as any
    other, and the next probe comes after the first pause, not a doubled one: photos the
    scanner always fails on reach the poison queue after max_attempts, holding up the photos
    behind them for a pause per probe, not minutes.
    """

    def __init__(self, inner: Scanner, limiter: AdaptiveLimiter) -> None:
        self._inner = inner
        self.limiter = limiter

    async def scan(self, request_id: str, image: bytes, content_type: str) -> ScanResult:
        """Scan through the wrapped scanner once the limiter lets the call start."""
        ticket = Ticket(breaker_probe=False)
        try:
            async with self.limiter.call() as ticket:
                return await self._inner.scan(request_id, image, content_type)
        except ScannerUnavailable as exc:
            if not ticket.breaker_probe:
                raise
            if not await self.health():
                raise self.limiter.still_down(exc) from exc
            self.limiter.photo_at_fault(exc)
            raise

    async def health(self) -> bool:
        """Whether the wrapped scanner says it is up (never waits for the limiter)."""
        return await self._inner.health()


def limiter_for(settings: ScannerSettings, *, tuning: LimitTuning | None = None) -> AdaptiveLimiter:
    """The limiter the settings ask for: its bounds, start value, breaker and optional rate cap."""
    limit = ConcurrencyLimit(
        initial=settings.initial_limit,
        minimum=settings.min_limit,
        maximum=settings.max_in_flight,
        tuning=tuning or LimitTuning(probe_interval_s=settings.probe_interval_s),
    )
    breaker = BreakerTuning(
        failures=settings.breaker_failures,
        first_pause_s=settings.breaker_pause_s,
        max_pause_s=settings.breaker_max_pause_s,
    )
    rate = settings.max_per_second
    bucket = TokenBucket(rate) if rate is not None else None
    return AdaptiveLimiter(limit, bucket=bucket, breaker=breaker, max_pause_s=settings.max_pause_s)
