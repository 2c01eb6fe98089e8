"""The adaptive concurrency limit, driven by a fake clock: grow, shrink, probe, stay in bounds."""

from __future__ import annotations

import pytest

from photogate.scanning.concurrency_limit import ConcurrencyLimit, LimitTuning

RTT = 0.1


class Clock:
    """Seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make(clock: Clock, initial: int = 4, **bounds: int) -> ConcurrencyLimit:
    return ConcurrencyLimit(initial=initial, clock=clock, tuning=LimitTuning(), **bounds)


def full_round(limit: ConcurrencyLimit, clock: Clock) -> None:
    """One round trip with a backlog: each call refills a slot just freed, all succeed."""
    calls = [limit.started(limit.limit) for _ in range(limit.limit)]
    clock.now += RTT
    for call in calls:
        limit.succeeded(call)


def overshoot(limit: ConcurrencyLimit, clock: Clock) -> None:
    """A round trip in which the scanner admits all calls but one, refused with Retry-After 1."""
    calls = [limit.started(limit.limit) for _ in range(limit.limit)]
    clock.now += 0.01
    limit.throttled(calls[-1], in_flight=len(calls), retry_after=1.0)
    clock.now += RTT
    for call in calls[:-1]:
        limit.succeeded(call)


def at_ceiling(clock: Clock, ceiling: int = 8) -> ConcurrencyLimit:
    """A limit that has learned (by one refusal) that `ceiling` calls is what the scanner takes."""
    limit = make(clock, initial=ceiling + 1)
    overshoot(limit, clock)
    assert (limit.limit, limit.ceiling) == (ceiling, ceiling)
    return limit


def test_slow_start_doubles_the_limit_every_round_trip(clock: Clock) -> None:
    """Before any sign of overload, each saturated success adds one: the limit doubles per RTT."""
    limit = make(clock, initial=2)
    for expected in (3, 4, 5, 6, 7):
        call = limit.started(limit.limit)
        clock.now += RTT
        limit.succeeded(call)
        assert limit.limit == expected
    full_round(limit, clock)
    assert limit.limit == 14
    full_round(limit, clock)
    assert limit.limit == 28


def test_successes_below_the_limit_do_not_grow_it(clock: Clock) -> None:
    """Calls that never filled the limit prove nothing: the limit stays where it is."""
    limit = make(clock, initial=8)
    for _ in range(50):
        calls = [limit.started(n) for n in range(1, 8)]
        clock.now += RTT
        for call in calls:
            limit.succeeded(call)
    assert limit.limit == 8


def test_a_429_shrinks_to_the_calls_the_scanner_admitted(clock: Clock) -> None:
    """A refusal caps the limit at the other calls in flight, and that level becomes the ceiling."""
    limit = make(clock, initial=12)
    calls = [limit.started(n) for n in range(1, 13)]
    limit.throttled(calls[9], in_flight=12, retry_after=1.0)
    assert limit.limit == 10  # 0.9 x 12 = 10.8, and 11 others were in flight
    limit.throttled(calls[10], in_flight=9, retry_after=1.0)
    limit.throttled(calls[11], in_flight=9, retry_after=1.0)
    assert (limit.limit, limit.ceiling) == (8, 8)


def test_refusals_of_one_episode_decrease_only_once(clock: Clock) -> None:
    """Refusals of calls started before the last decrease narrow it; they do not multiply it."""
    limit = make(clock, initial=20)
    calls = [limit.started(n) for n in range(1, 21)]
    for call in calls[10:]:
        limit.throttled(call, in_flight=20, retry_after=None)
    assert limit.limit == 18  # 0.9 x 20 once, not 0.9 ** 10


def test_a_5xx_shrinks_but_the_limit_grows_back_to_the_ceiling_quickly(clock: Clock) -> None:
    """After an error the limit halves-ish and regains the known ceiling in a round trip or two."""
    limit = at_ceiling(clock)
    clock.now += 0.01
    limit.failed(limit.started(8))
    assert limit.limit == 5  # 0.7 x 8
    clock.now += 0.01
    full_round(limit, clock)
    full_round(limit, clock)
    assert (limit.limit, limit.ceiling) == (8, 8)


def test_rising_latency_shrinks_the_limit(clock: Clock) -> None:
    """When recent calls take more than twice the long-term latency, the limit shrinks."""
    limit = make(clock, initial=10, maximum=10)
    for _ in range(40):
        full_round(limit, clock)
    assert limit.limit == 10
    for _ in range(5):
        calls = [limit.started(n) for n in range(1, limit.limit + 1)]
        clock.now += RTT * 4
        for call in calls:
            limit.succeeded(call)
    assert limit.limit < 10
    assert limit.ceiling == limit.limit


def test_no_probe_above_the_ceiling_before_the_probe_interval(clock: Clock) -> None:
    """Once a ceiling is known, the limit stays there until probe_interval_s of calm passed."""
    limit = at_ceiling(clock)
    for _ in range(90):  # 9 s of saturated success
        full_round(limit, clock)
    assert limit.limit == 8
    clock.now += 1.0
    full_round(limit, clock)
    assert limit.limit == 9


def test_a_proven_probe_doubles_the_next_step(clock: Clock) -> None:
    """Each probe that holds for a Retry-After raises the ceiling and doubles the step."""
    limit = at_ceiling(clock)
    clock.now += 10.0
    full_round(limit, clock)
    assert limit.limit == 9
    levels = []
    for _ in range(4):
        clock.now += 1.0  # outlive any pause that was under way when the probe began
        full_round(limit, clock)
        levels.append(limit.limit)
    assert levels == [11, 15, 23, 39]


def test_a_probe_is_not_proven_while_another_process_may_be_paused(clock: Clock) -> None:
    """Room found within one Retry-After of the probe may be a paused neighbour's: no growth."""
    limit = at_ceiling(clock)
    clock.now += 10.0
    full_round(limit, clock)
    for _ in range(5):  # 0.5 s: less than the Retry-After of 1 s
        full_round(limit, clock)
    assert (limit.limit, limit.ceiling) == (9, 8)


def test_a_failed_probe_doubles_the_wait_for_the_next(clock: Clock) -> None:
    """Probes that keep failing come half as often each time, up to 4x the interval."""
    limit = at_ceiling(clock)
    waits = []
    for _ in range(4):
        started = clock.now
        while limit.limit == 8:
            clock.now += 0.4
            full_round(limit, clock)
        waits.append(round(clock.now - started))
        overshoot(limit, clock)
    assert waits == [10, 20, 40, 40]


def test_the_limit_stays_within_its_bounds(clock: Clock) -> None:
    """Growth stops at the maximum and shrinking at the minimum."""
    limit = make(clock, initial=3, minimum=2, maximum=6)
    for _ in range(10):
        full_round(limit, clock)
    assert limit.limit == 6
    for _ in range(10):
        clock.now += 1
        limit.failed(limit.started(1))
        limit.throttled(limit.started(1), in_flight=1, retry_after=None)
    assert limit.limit == 2


def test_after_a_capacity_drop_probes_keep_coming_every_interval(clock: Clock) -> None:
    """Capacity that dropped may come back: failed probes toward it do not slow probing down."""
    limit = at_ceiling(clock, ceiling=8)
    clock.now += 1
    calls = [limit.started(8) for _ in range(8)]
    limit.throttled(calls[-1], in_flight=5, retry_after=1.0)  # the scanner now takes 4
    assert (limit.limit, limit.ceiling) == (4, 4)
    probes = []
    for _ in range(3):
        started = clock.now
        while limit.limit == 4:
            clock.now += 0.4
            full_round(limit, clock)
        probes.append(round(clock.now - started))
        overshoot(limit, clock)
    assert probes == [10, 10, 10]


def test_only_a_call_above_the_known_ceiling_is_a_probe(clock: Clock) -> None:
    """Calls are probes only once a ceiling is known and they go above it."""
    fresh = make(clock, initial=4)
    assert not fresh.started(4).probe
    limit = at_ceiling(clock)
    assert not limit.started(8).probe
    assert limit.started(9).probe


def test_an_error_during_a_probe_does_not_stop_probing_for_good(clock: Clock) -> None:
    """A 5xx that drops a probe back under the ceiling ends it; the next comes an interval on."""
    limit = at_ceiling(clock)
    clock.now += 10.0
    full_round(limit, clock)
    assert limit.limit == 9  # probing
    clock.now += 0.01
    limit.failed(limit.started(9))
    assert limit.limit < 8
    for _ in range(100):  # 10 s of saturated success: back to the ceiling, then a probe again
        clock.now += 0.1
        full_round(limit, clock)
    assert limit.limit > 8
