"""The lease on a message being handled: a failed renewal is retried before the message shows
again, so no second consumer receives it; the retries stop once its visibility ran out.

Time is virtual and driven by the test: the lease's waits end only when the test lets them,
and at the end of each wait the test looks for the message as a second consumer would.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from photogate.adapters.memory.queue import InMemoryMessageQueue
from photogate.ports import QueueMessage
from photogate.worker.lease import Lease

VISIBILITY = 10.0
START = 1_000.0


class Timeline:
    """Virtual seconds shared by the lease (as its Timer) and the in-memory queue (its clock)."""

    def __init__(self) -> None:
        self.now_s = START
        self._waits: asyncio.Queue[tuple[float, asyncio.Event]] = asyncio.Queue()

    def __call__(self) -> float:
        return self.now_s

    def now(self) -> float:
        return self.now_s

    async def wait(self, done: asyncio.Event, seconds: float) -> None:
        """Wait until the test lets `seconds` pass, or the lease ends."""
        passed = asyncio.Event()
        self._waits.put_nowait((seconds, passed))
        ends = [asyncio.ensure_future(done.wait()), asyncio.ensure_future(passed.wait())]
        try:
            await asyncio.wait(ends, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for end in ends:
                end.cancel()

    async def elapse(self) -> float:
        """Let the lease's next wait run its full length; returns that length."""
        async with asyncio.timeout(5):  # a guard against a lease that stopped waiting
            seconds, passed = await self._waits.get()
        self.now_s += seconds
        passed.set()
        return seconds

    def waiting(self) -> bool:
        """Whether the lease waits for time to pass (it has not stopped renewing)."""
        return not self._waits.empty()


class FlakyQueue(InMemoryMessageQueue):
    """The in-memory queue whose next `failures` renewals fail, each after `slow_s` seconds."""

    def __init__(self, timeline: Timeline, failures: int, slow_s: float = 0.0) -> None:
        super().__init__(clock=timeline)
        self.timeline = timeline
        self.failures = failures
        self.slow_s = slow_s
        self.tries: list[float] = []
        self._tried: asyncio.Queue[float] = asyncio.Queue()

    async def update_visibility(
        self, queue: str, message: QueueMessage, visibility_timeout: float
    ) -> QueueMessage:
        self.tries.append(self.timeline.now_s)
        self._tried.put_nowait(self.timeline.now_s)
        if self.failures > 0:
            self.failures -= 1
            self.timeline.now_s += self.slow_s
            raise ConnectionError("transient storage blip")
        return await super().update_visibility(queue, message, visibility_timeout)

    async def next_try(self) -> float:
        """When the lease next tries to renew; by then it has dealt with the outcome."""
        async with asyncio.timeout(5):  # a guard against a lease that stopped renewing
            return await self._tried.get()


async def received(queue: FlakyQueue) -> QueueMessage:
    await queue.send("q", "work")
    [message] = await queue.receive("q", visibility_timeout=VISIBILITY)
    return message


async def test_one_failed_renewal_is_retried_before_a_second_consumer_can_receive_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A renewal failing slowly at half the visibility is retried a second later: a second
    consumer looking at the end of every wait, over many visibilities, finds nothing.
    """
    timeline = Timeline()
    queue = FlakyQueue(timeline, failures=1, slow_s=0.5)
    message = await received(queue)
    waits: list[float] = []
    async with Lease(queue, "q", message, VISIBILITY, timer=timeline) as lease:
        for _ in range(8):
            waits.append(await timeline.elapse())
            assert await queue.receive("q") == [], f"a second consumer got it at {timeline.now_s}"
    assert waits == [5.0, 1.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0]
    assert queue.tries[:3] == [1005.0, 1006.5, 1011.5]
    await queue.delete("q", lease.message)  # the receipt of the last renewal is still valid
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "renewing" in warnings[0].getMessage()


async def test_renewals_failing_for_a_whole_visibility_stop_when_it_ran_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Retries come every second while the message is hidden, then stop with one warning more;
    the failures in between are not logged as warnings.
    """
    timeline = Timeline()
    queue = FlakyQueue(timeline, failures=1_000)
    message = await received(queue)
    async with Lease(queue, "q", message, VISIBILITY, timer=timeline):
        for wait in [5.0, 1.0, 1.0, 1.0, 1.0, 1.0]:
            assert await timeline.elapse() == wait
            assert await queue.next_try() == timeline.now_s
        assert not timeline.waiting(), "the lease tries no more once the visibility ran out"
    assert queue.tries == [1005.0, 1006.0, 1007.0, 1008.0, 1009.0, 1010.0]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "renewing" in warnings[0] and "visibility ran out" in warnings[1]


async def test_the_retry_interval_is_a_tenth_of_a_short_visibility() -> None:
    """With a 2 s visibility a failed renewal is retried after 0.2 s, not after a second."""
    timeline = Timeline()
    queue = FlakyQueue(timeline, failures=1)
    await queue.send("q", "work")
    [message] = await queue.receive("q", visibility_timeout=2.0)
    async with Lease(queue, "q", message, 2.0, timer=timeline):
        waits = [await timeline.elapse() for _ in range(3)]
    assert waits == pytest.approx([1.0, 0.2, 1.0])
