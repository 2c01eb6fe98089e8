"""How many scanner calls may be in flight: an adaptive limit learned from each call's outcome.

The algorithm is loss-based AIMD (TCP Reno's shape, as in Netflix concurrency-limits'
AIMDLimit), with a slow start, a probe clock and a latency brake. Why not Vegas or a gradient
as the main signal: both infer overload from latency growing as a server queues work, but our
scanner does not queue, it answers 429 at once past capacity, so latency says nothing until it
is too late; and its latency varies 40-fold with image size (50 ms to 2 s), which a latency
controller mistakes for congestion. A 429 is an exact, cheap signal, so it drives the limit,
and latency only brakes (short-term average over twice the long-term one: a service that
queues instead of refusing).

- Slow start: while the limit is the bound (a call started with `limit` in flight), every
  success adds one, doubling the limit per round trip until the first sign of overload.
- On 429 or rising latency: multiply by `backoff` (0.9), and go no higher than the calls still
  in flight when a 429 comes back, itself not counted (as the refusals of one burst return, that
  narrows down to the calls the scanner admitted); that level becomes the known *ceiling*. One
  decrease per episode: outcomes of calls started before the last decrease only refine it.
- On 5xx and timeouts: multiply by `error_backoff` (0.7); the ceiling stays, since an error is
  weak evidence about capacity, and the limit grows back to the ceiling one per success.
- Above the ceiling the limit only *probes*: one step after `probe_interval_s` of calm. A call
  that succeeds above the ceiling, having started one Retry-After after the probe began, raises
  the ceiling and doubles the next step, so a doubled capacity is found within a few seconds.
  (The wait keeps a probe from mistaking the slots of another process, paused by its own
  Retry-After, for new capacity.) A failed probe doubles the wait (up to 4x), except after a
  drop below the ceiling: capacity that was there minutes ago may come back (a redeploy ends),
  so until the ceiling is back up, probes come every interval. A 5xx or timeout that drops a
  probe back to the ceiling ends it as a refusal does: the next comes one wait later. A probe's
  429 pauses no other call (limiter.py): it only says the extra capacity is not there yet, so a
  failed probe costs one refused call, not a Retry-After of this process's throughput; the
  probe interval trades those refusals (one per interval at most) against how soon added
  capacity is noticed.

Several processes, each with its own limit and no coordination, converge near the scanner's
capacity together: their sum only grows while no one is refused, and every refusal shrinks the
one refused (Chiu and Jain's AIMD argument: additive increase, multiplicative decrease on a
shared congestion signal converges to full use). The service refuses the call that arrives when
it is full, most often the prober's extra call, so a failed probe mostly costs the prober; and
since all processes drain the same queue, how evenly the capacity is shared does not matter.
tests/integration/test_adaptive_limiter.py shows three limiters sharing 8 slots.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_PROBE_WAIT_FACTOR = 4
# For this many probe intervals after the capacity dropped, it may come back (a redeploy ends,
# the service scales out again), so failed probes back toward it do not slow probing down.
HIGH_WATER_MEMORY = 30


@dataclass(frozen=True)
class LimitTuning:
    """The algorithm's constants (see the module docstring)."""

    backoff: float = 0.9
    error_backoff: float = 0.7
    probe_interval_s: float = 10.0
    latency_tolerance: float = 2.0
    short_samples: int = 10
    long_samples: int = 200


@dataclass(frozen=True)
class CallStart:
    """When a call started, how many were in flight then (itself included), whether that
    filled the limit (only such calls prove the limit, not the work, was the bound), and
    whether it went above the known ceiling (a probe for more capacity).
    """

    started_at: float
    concurrency: int
    saturated: bool
    probe: bool = False


class ConcurrencyLimit:
    """The adaptive limit, fed with call outcomes; pure, so a fake clock drives it in tests."""

    def __init__(
        self,
        *,
        initial: int,
        minimum: int = 1,
        maximum: int = 64,
        clock: Callable[[], float] = time.monotonic,
        tuning: LimitTuning | None = None,
    ) -> None:
        self.minimum, self.maximum = minimum, maximum
        self._clock = clock
        self._tuning = tuning or LimitTuning()
        self._limit = float(self._clamp(initial))
        self._ceiling: float | None = None
        self._step = 1
        self._probe_wait = self._tuning.probe_interval_s
        self._next_probe = math.inf
        self._probed_at = -math.inf
        self._quiet_s = 0.0
        self._dropped_at = -math.inf
        self._high_water = 0.0
        self._high_water_at = -math.inf
        self._latency = _Latency(self._tuning)

    @property
    def limit(self) -> int:
        """How many calls may be in flight now."""
        return int(self._limit)

    @property
    def ceiling(self) -> int | None:
        """The highest limit known to be safe, None until the first sign of overload."""
        return None if self._ceiling is None else int(self._ceiling)

    def started(self, in_flight: int) -> CallStart:
        """Record a call starting with `in_flight` calls in flight, itself included."""
        probe = self._ceiling is not None and in_flight > self._ceiling
        return CallStart(self._clock(), in_flight, in_flight >= self.limit, probe)

    def succeeded(self, call: CallStart) -> None:
        """A call answered; grow if the limit was the bound, shrink if latency is rising."""
        if self._latency.rose(self._clock() - call.started_at):
            self._overloaded(call.started_at, None)
        elif call.started_at > self._dropped_at and call.saturated:
            self._grow(call)

    def throttled(self, call: CallStart, in_flight: int, retry_after: float | None) -> None:
        """The scanner answered 429 while `in_flight` calls (this one included) were in flight:
        shrink, to at most the others, which it did admit or is yet to refuse.
        """
        if retry_after is not None:
            self._quiet_s = retry_after
        self._overloaded(call.started_at, in_flight)

    def failed(self, call: CallStart) -> None:
        """A 5xx, a timeout or no answer: shrink; the known ceiling stays."""
        if call.started_at > self._dropped_at:
            self._shrink(self._tuning.error_backoff)
            self._reschedule_probe()

    def _reschedule_probe(self) -> None:
        """A probe under way waits for its level to prove itself or fail (`_next_probe` = inf);
        an error that drops the limit back to the ceiling ends it unproven, so the next probe
        comes one wait later, as after a refused one, not never.
        """
        at_ceiling = self._ceiling is not None and self._limit <= self._ceiling
        if at_ceiling and math.isinf(self._next_probe):
            self._next_probe = self._clock() + self._probe_wait

    def _overloaded(self, started_at: float, in_flight: int | None) -> None:
        if started_at > self._dropped_at:
            self._adjust_probe_wait()
            self._shrink(self._tuning.backoff)
        if in_flight is not None:  # the refusals of one episode narrow it down to those admitted
            self._limit = float(self._clamp(min(self._limit, in_flight - 1)))
        self._set_ceiling(self._limit)
        self._step = 1
        self._next_probe = self._clock() + self._probe_wait

    def _adjust_probe_wait(self) -> None:
        probing = self._ceiling is not None and self._limit > self._ceiling
        if probing and not self._below_high_water():  # probing found nothing: probe less
            cap = self._tuning.probe_interval_s * MAX_PROBE_WAIT_FACTOR
            self._probe_wait = min(cap, self._probe_wait * 2)
        elif not probing and self._ceiling is not None:  # the capacity dropped below the ceiling
            self._probe_wait = self._tuning.probe_interval_s

    def _set_ceiling(self, ceiling: float) -> None:
        self._ceiling = ceiling
        now = self._clock()
        if ceiling >= self._high_water or not self._below_high_water():
            self._high_water, self._high_water_at = ceiling, now

    def _below_high_water(self) -> bool:
        memory = self._tuning.probe_interval_s * HIGH_WATER_MEMORY
        recent = self._clock() - self._high_water_at <= memory
        return recent and self._ceiling is not None and self._ceiling < self._high_water

    def _shrink(self, factor: float) -> None:
        self._limit = max(float(self.minimum), self._limit * factor)
        self._dropped_at = self._clock()

    def _grow(self, call: CallStart) -> None:
        if self._ceiling is None:
            self._limit += 1
        elif self._limit < self._ceiling:
            self._limit = min(self._ceiling, self._limit + 1)
        else:
            self._probe(call)
        self._limit = min(self._limit, float(self.maximum))

    def _probe(self, call: CallStart) -> None:
        assert self._ceiling is not None
        now = self._clock()
        if call.concurrency > self._ceiling and self._proves_probe(call):
            self._set_ceiling(float(call.concurrency))
            self._step *= 2
            self._probe_wait = self._tuning.probe_interval_s
            self._next_probe = now
        if now >= self._next_probe:
            self._limit = self._ceiling + self._step
            self._probed_at = now
            self._next_probe = math.inf  # until this level proves itself or fails

    def _proves_probe(self, call: CallStart) -> bool:
        """A call above the ceiling came back fine; it proves the probe only if it started once
        every pause under way when the probe began (one Retry-After) was over: the capacity it
        found may just be that of another process holding back for a Retry-After.
        """
        return call.started_at >= self._probed_at + self._quiet_s

    def _clamp(self, value: float) -> int:
        return int(min(self.maximum, max(self.minimum, value)))


class _Latency:
    """Short- and long-term averages of call latency; `rose` compares them."""

    def __init__(self, tuning: LimitTuning) -> None:
        self._tolerance = tuning.latency_tolerance
        self._fast = 2 / (tuning.short_samples + 1)
        self._slow = 2 / (tuning.long_samples + 1)
        self._warmup = tuning.short_samples * 2
        self._samples = 0
        self._short = self._long = 0.0

    def rose(self, latency_s: float) -> bool:
        """Record one latency; True when the recent ones run far above the long-term level."""
        self._samples += 1
        if self._samples == 1:
            self._short = self._long = latency_s
            return False
        self._short += self._fast * (latency_s - self._short)
        self._long += self._slow * (latency_s - self._long)
        if self._samples < self._warmup or self._short <= self._tolerance * self._long:
            return False
        self._short = self._long  # one decrease per rise, not one per sample
        return True
