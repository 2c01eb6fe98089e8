"""The circuit breaker, on a fake clock: a run of failures opens it, the pause doubles while
probes fail, a success closes it, and failures already counted do not count again.
"""

from __future__ import annotations

import pytest

from photogate.scanning.circuit_breaker import BreakerTuning, CircuitBreaker
from tests.unit.test_concurrency_limit import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


def breaker(clock: Clock, failures: int = 3, max_pause_s: float = 8.0) -> CircuitBreaker:
    tuning = BreakerTuning(failures=failures, first_pause_s=1.0, max_pause_s=max_pause_s)
    return CircuitBreaker(tuning, clock=clock)


def fail(gate: CircuitBreaker, times: int = 1) -> list[bool]:
    """`times` calls, each started in the current epoch and failing in turn."""
    return [gate.failed(gate.epoch) for _ in range(times)]


def test_a_run_of_failures_opens_it_and_a_success_between_starts_the_count_over(
    clock: Clock,
) -> None:
    """Two failures, a success, two more: still closed; the third in a row opens it."""
    gate = breaker(clock)
    assert fail(gate, 2) == [False, False]
    gate.succeeded()
    assert fail(gate, 2) == [False, False]
    assert gate.paused_for == 0
    assert fail(gate) == [True]
    assert gate.paused_for == pytest.approx(1.0)
    assert not gate.half_open


def test_after_the_pause_one_probe_decides_and_failed_probes_double_the_pause(
    clock: Clock,
) -> None:
    """Half-open after each pause; a failed probe reopens it for twice as long, up to the cap."""
    gate = breaker(clock, max_pause_s=4.0)
    fail(gate, 3)
    pauses = []
    for _ in range(4):
        clock.now += gate.paused_for
        assert gate.half_open
        assert fail(gate) == [True]  # one failure is enough once it has opened
        pauses.append(gate.paused_for)
    assert pauses == pytest.approx([2.0, 4.0, 4.0, 4.0])


def test_a_shortened_pause_is_the_first_one_and_so_is_the_next(clock: Clock) -> None:
    """After a failed probe whose photo was at fault, the pause (doubled to 4 s) is cut to the
    first one, and the next failed probe opens it for no longer; closed, there is nothing to
    shorten.
    """
    gate = breaker(clock)
    assert not gate.shorten_pause()
    fail(gate, 3)
    clock.now += gate.paused_for
    fail(gate)
    clock.now += gate.paused_for
    fail(gate)
    assert gate.paused_for == pytest.approx(4.0)
    assert gate.shorten_pause()
    assert gate.paused_for == pytest.approx(1.0)
    clock.now += gate.paused_for
    fail(gate)
    assert gate.paused_for == pytest.approx(1.0)


def test_a_success_closes_it_and_the_next_run_starts_from_the_first_pause(clock: Clock) -> None:
    """The first success forgets everything: the next opening needs a full run and pauses 1 s."""
    gate = breaker(clock)
    fail(gate, 3)
    clock.now += gate.paused_for
    fail(gate)
    clock.now += gate.paused_for
    gate.succeeded()
    assert (gate.half_open, gate.paused_for) == (False, 0.0)
    assert fail(gate, 3) == [False, False, True]
    assert gate.paused_for == pytest.approx(1.0)


def test_failures_of_calls_started_before_it_opened_do_not_lengthen_the_pause(
    clock: Clock,
) -> None:
    """Eight calls in flight when the scanner went down open it once, for the first pause."""
    gate = breaker(clock)
    epochs = [gate.epoch] * 8
    opened = [gate.failed(epoch) for epoch in epochs]
    assert opened.count(True) == 1
    assert gate.paused_for == pytest.approx(1.0)


def test_trip_opens_it_at_once_and_only_once_per_epoch(clock: Clock) -> None:
    """A refused API key opens it without a run; the same refusal in flight does not again."""
    gate = breaker(clock)
    epoch = gate.epoch
    assert gate.trip(epoch)
    assert not gate.trip(epoch)
    assert gate.paused_for == pytest.approx(1.0)
    clock.now += 1.0
    assert gate.half_open
