"""The queue consumer: delete on success, retry after Retry-After or backoff, then poison;
throttling costs no attempt, receives fit the room, leases are renewed, idle waits are cheap.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections.abc import Callable

import pytest

from photogate.adapters.memory.queue import InMemoryMessageQueue
from photogate.errors import PermanentError, ScannerBusy, ScannerUnavailable, StorageUnavailable
from photogate.ports import QueueMessage
from photogate.scanning.concurrency_limit import ConcurrencyLimit
from photogate.scanning.limiter import AdaptiveLimiter
from photogate.settings import QueueSettings
from photogate.worker.consumer import QueueConsumer, Route
from photogate.worker.envelope import open_envelope


class Clock:
    """A hand-driven clock for the in-memory queue."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class Script:
    """A handler that raises the scripted errors in turn, then succeeds."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls: list[str] = []
        self.poisoned: list[tuple[str, str]] = []

    async def handle(self, body: str) -> object:
        self.calls.append(body)
        if self.errors:
            raise self.errors.pop(0)
        return None

    async def on_poison(self, body: str, reason: str) -> None:
        self.poisoned.append((body, reason))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue(clock: Clock) -> InMemoryMessageQueue:
    return InMemoryMessageQueue(clock=clock)


def consumer(queue: InMemoryMessageQueue, script: Script, attempts: int = 3) -> QueueConsumer:
    route = Route("q", script.handle, script.on_poison, max_in_flight=2)
    settings = QueueSettings(max_attempts=attempts, backoff_base_s=2, backoff_max_s=60)
    return QueueConsumer(queue, route, settings)


async def deliver(queue: InMemoryMessageQueue, worker: QueueConsumer) -> bool:
    """Receive one visible message and process it; False if none was visible."""
    messages = await queue.receive("q", visibility_timeout=120)
    for message in messages:
        await worker.process(message)
    return bool(messages)


async def test_success_deletes_the_message(queue: InMemoryMessageQueue) -> None:
    """A handled message is deleted, so it is never delivered again."""
    script = Script()
    await queue.send("q", "a")
    assert await deliver(queue, consumer(queue, script))
    assert await queue.count("q") == 0
    assert script.calls == ["a"]


async def test_retry_after_is_honoured(queue: InMemoryMessageQueue, clock: Clock) -> None:
    """A throttled message comes back after exactly the Retry-After the scanner asked for."""
    script = Script(ScannerBusy("429", retry_after=7))
    worker = consumer(queue, script)
    await queue.send("q", "a")
    await deliver(queue, worker)
    clock.now += 6.9
    assert not await deliver(queue, worker)
    clock.now += 0.2
    assert await deliver(queue, worker)
    assert await queue.count("q") == 0


async def test_backoff_without_retry_after_is_bounded(queue: InMemoryMessageQueue) -> None:
    """Without Retry-After the delay is an exponential backoff with jitter under its cap."""
    worker = consumer(queue, Script())
    delays = [worker.backoff(attempt) for attempt in range(1, 12) for _ in range(20)]
    assert all(0 <= d <= 60 for d in delays)
    assert max(worker.backoff(1) for _ in range(50)) <= 2


async def test_poison_after_max_attempts(queue: InMemoryMessageQueue, clock: Clock) -> None:
    """After max_attempts transient failures the message goes to the poison queue with its error."""
    errors = [ScannerUnavailable("503 redeploy", retry_after=1) for _ in range(3)]
    script = Script(*errors)
    worker = consumer(queue, script, attempts=3)
    await queue.send("q", "a")
    for _ in range(3):
        assert await deliver(queue, worker)
        clock.now += 61  # past backoff_max_s: the backoff is the floor under Retry-After
    assert await queue.count("q") == 0
    poisoned = await queue.receive("q-poison")
    record = json.loads(poisoned[0].body)
    assert record == {"body": "a", "error": "503 redeploy", "attempts": 3}
    assert script.poisoned == [("a", "503 redeploy")]


async def test_permanent_error_is_poisoned_at_once(queue: InMemoryMessageQueue) -> None:
    """A permanent error is not retried: one attempt, then the poison queue."""
    script = Script(PermanentError("malformed message"))
    await queue.send("q", "garbage")
    await deliver(queue, consumer(queue, script))
    assert script.calls == ["garbage"]
    assert await queue.count("q-poison") == 1


async def test_message_of_crashed_worker_is_poisoned_after_limit(
    queue: InMemoryMessageQueue, clock: Clock
) -> None:
    """A message whose workers kept dying (never settled) is poisoned once past the limit."""
    script = Script()
    await queue.send("q", "a")
    for _ in range(3):
        assert await queue.receive("q", visibility_timeout=10)
        clock.now += 11
    await deliver(queue, consumer(queue, script, attempts=3))
    assert script.calls == []
    assert script.poisoned[0][1] == "delivered 3 times without completing"


class FailingOnce(Script):
    """A script whose first giving-up fails, as a catalog that is briefly unavailable does."""

    async def on_poison(self, body: str, reason: str) -> None:
        if not self.poisoned:
            self.poisoned.append(("(failed)", reason))
            raise StorageUnavailable("the catalog database is unavailable")
        self.poisoned.append((body, reason))


@pytest.mark.parametrize("fails", ["giving-up", "poison-queue"])
async def test_giving_up_that_fails_is_tried_again_and_poisons_once(
    queue: InMemoryMessageQueue, clock: Clock, fails: str
) -> None:
    """Settling a given-up message, or sending its poison record, fails once: the message
    comes back after a backoff (the error does not escape), is given up again, and the
    poison queue holds one record.
    """
    errors = [PermanentError("bad")] * 3
    script = FailingOnce(*errors) if fails == "giving-up" else Script(*errors)
    if fails == "poison-queue":
        send = queue.send
        failures = [StorageUnavailable("queue unavailable")]

        async def flaky_send(name: str, body: str, *, delay: float = 0.0) -> str:
            if name == "q-poison" and failures:
                raise failures.pop()
            return await send(name, body, delay=delay)

        queue.send = flaky_send  # type: ignore[method-assign]
    worker = consumer(queue, script, attempts=3)
    await queue.send("q", "a")
    assert await deliver(queue, worker)
    assert await queue.count("q-poison") == 0
    assert not await deliver(queue, worker)  # hidden for a backoff, not a busy loop
    clock.now += 61
    while await deliver(queue, worker):
        clock.now += 61
    assert await queue.count("q") == 0
    [record] = await queue.receive("q-poison")
    assert json.loads(record.body)["error"] == "bad"  # not "delivered N times"
    assert script.poisoned[-1] == ("a", "bad")


async def test_a_last_attempt_whose_give_up_fails_is_poisoned_for_its_own_error(
    queue: InMemoryMessageQueue, clock: Clock
) -> None:
    """The last attempt fails (503) and giving it up fails too: the message comes back past
    its attempts carrying the 503, and is given up for that, not for its deliveries.
    """
    script = FailingOnce(*[ScannerUnavailable("503 redeploy") for _ in range(3)])
    worker = consumer(queue, script, attempts=3)
    await queue.send("q", "a")
    for _ in range(4):
        assert await deliver(queue, worker)
        clock.now += 61
    assert not await deliver(queue, worker)
    [record] = await queue.receive("q-poison")
    assert json.loads(record.body) == {"body": "a", "error": "503 redeploy", "attempts": 3}
    assert script.poisoned[-1] == ("a", "503 redeploy")
    assert len(script.calls) == 3


async def test_run_consumes_until_stopped(queue: InMemoryMessageQueue) -> None:
    """The run loop handles every queued message and returns once stopped."""
    script = Script()
    for n in range(5):
        await queue.send("q", str(n))
    stop = asyncio.Event()
    worker = consumer(queue, script)
    task = asyncio.create_task(worker.run(stop))
    async with asyncio.timeout(5):
        while await queue.count("q"):
            await asyncio.sleep(0.01)
    stop.set()
    await task
    assert sorted(script.calls) == ["0", "1", "2", "3", "4"]


class RecordingQueue(InMemoryMessageQueue):
    """The in-memory queue, recording what the consumer asks of it."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        super().__init__(clock=clock)
        self.ops: list[tuple[str, str]] = []
        self.asked: list[int] = []

    async def receive(
        self, queue: str, *, max_messages: int = 1, visibility_timeout: float = 30.0
    ) -> list[QueueMessage]:
        if queue == "q":
            self.asked.append(max_messages)
        return await super().receive(
            queue, max_messages=max_messages, visibility_timeout=visibility_timeout
        )

    async def send(self, queue: str, body: str, *, delay: float = 0.0) -> str:
        self.ops.append(("send", queue))
        return await super().send(queue, body, delay=delay)

    async def delete(self, queue: str, message: QueueMessage) -> None:
        self.ops.append(("delete", message.id))
        await super().delete(queue, message)

    async def update_visibility(
        self, queue: str, message: QueueMessage, visibility_timeout: float
    ) -> QueueMessage:
        self.ops.append(("hide", message.id))
        return await super().update_visibility(queue, message, visibility_timeout)


class Blocking:
    """A handler that holds every message until released, counting how many it holds."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.holding = self.most_held = self.handled = 0

    async def handle(self, body: str) -> object:
        self.holding += 1
        self.most_held = max(self.most_held, self.holding)
        try:
            await self.release.wait()
        finally:
            self.holding -= 1
        self.handled += 1
        return None

    async def on_poison(self, body: str, reason: str) -> None:
        raise AssertionError(f"nothing should be poisoned: {reason}")


async def until(condition: Callable[[], bool], seconds: float = 3.0) -> None:
    """Wait for `condition`, polling, failing after `seconds`."""
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.005)


@pytest.mark.parametrize(
    "outage",
    [ScannerBusy("429", retry_after=1), StorageUnavailable("database is locked")],
    ids=["scanner-throttling", "storage-unavailable"],
)
async def test_throttling_and_storage_outages_cost_no_attempt(
    queue: InMemoryMessageQueue, clock: Clock, outage: Exception
) -> None:
    """Ten 429s, or ten failures of our own storage (a catalog locked, a disk full), in a row
    and then success: the message is handled, not poisoned (limit 5).
    """
    script = Script(*[outage for _ in range(10)])
    worker = consumer(queue, script, attempts=5)
    await queue.send("q", "a")
    for _ in range(11):
        assert await deliver(queue, worker)
        clock.now += 61  # past backoff_max_s: the throttle delay is the floor under Retry-After
    assert script.calls == ["a"] * 11
    assert script.poisoned == []
    assert await queue.count("q") == await queue.count("q-poison") == 0


async def test_real_failures_still_poison_after_exactly_max_attempts(
    queue: InMemoryMessageQueue, clock: Clock
) -> None:
    """Throttles in between do not hide real failures: the 5th one poisons, with its error."""
    busy, down = ScannerBusy("429", retry_after=1), ScannerUnavailable("503", retry_after=1)
    errors = [down, busy, down, busy, busy, down, down, busy, ScannerUnavailable("timed out")]
    script = Script(*errors)
    worker = consumer(queue, script, attempts=5)
    await queue.send("q", "a")
    while await deliver(queue, worker):
        clock.now += 61
    assert len(script.calls) == 9
    [poisoned] = await queue.receive("q-poison")
    assert json.loads(poisoned.body) == {"body": "a", "error": "timed out", "attempts": 5}
    assert script.poisoned == [("a", "timed out")]


async def test_a_throttled_message_goes_back_as_a_copy_sent_before_the_original_is_deleted(
    clock: Clock,
) -> None:
    """At least once: the fresh copy is sent first, then the throttled original is deleted."""
    queue = RecordingQueue(clock)
    script = Script(ScannerBusy("429", retry_after=3))
    await queue.send("q", "a")
    [message] = await queue.receive("q", visibility_timeout=120)
    queue.ops.clear()
    await consumer(queue, script).process(message)
    assert queue.ops == [("send", "q"), ("delete", message.id)]
    clock.now += 3
    [copy] = await queue.receive("q")
    assert copy.dequeue_count == 1
    assert copy.id != message.id


async def test_throttled_without_retry_after_waits_at_least_half_the_base_backoff(
    queue: InMemoryMessageQueue, clock: Clock
) -> None:
    """Without Retry-After a throttled message still waits (base/2 at least): no busy loop."""
    worker = consumer(queue, Script(ScannerBusy("429")))
    await queue.send("q", "a")
    await deliver(queue, worker)
    clock.now += 0.99
    assert not await deliver(queue, worker)
    assert all(1 <= worker.throttle_delay(n) <= 60 for n in range(1, 40) for _ in range(5))


async def test_the_consumer_receives_no_more_than_the_admission_has_room_for() -> None:
    """With a limiter of limit 2 (room 3) the consumer never holds or asks for more than 3."""
    queue = RecordingQueue()
    for n in range(10):
        await queue.send("q", str(n))
    handler = Blocking()
    admission = AdaptiveLimiter(ConcurrencyLimit(initial=2, maximum=2))
    route = Route("q", handler.handle, handler.on_poison, max_in_flight=50, admission=admission)
    stop = asyncio.Event()
    task = asyncio.create_task(QueueConsumer(queue, route, QueueSettings()).run(stop))
    await until(lambda: handler.holding == 3)
    with contextlib.suppress(TimeoutError):  # give it every chance to take a fourth
        await until(lambda: handler.holding > 3, seconds=0.3)
    assert admission.room() == 0
    handler.release.set()
    await until(lambda: handler.handled == 10)
    stop.set()
    await task
    assert handler.most_held == 3
    assert max(queue.asked) <= 3


async def test_visibility_is_renewed_while_a_long_handler_runs() -> None:
    """A message handled for many visibility timeouts stays hidden and is then deleted."""
    queue = RecordingQueue()
    handler = Blocking()
    route = Route("q", handler.handle, handler.on_poison, max_in_flight=1)
    worker = QueueConsumer(queue, route, QueueSettings(visibility_timeout_s=0.2))
    await queue.send("q", "slow")
    [message] = await queue.receive("q", visibility_timeout=0.2)
    task = asyncio.create_task(worker.process(message))
    await until(lambda: queue.ops.count(("hide", message.id)) >= 4)
    assert await queue.receive("q") == []
    handler.release.set()
    await task
    assert await queue.count("q") == 0
    assert queue.ops[-1] == ("delete", message.id)


async def test_an_idle_consumer_wakes_on_a_send_and_otherwise_rarely_looks() -> None:
    """Idle for a second the consumer looks once or twice; a send is picked up at once.

    The poll interval is 30 s, so only the queue's wake-up can start the handling in time.
    """
    queue = RecordingQueue()
    started: list[float] = []

    async def handle(body: str) -> object:
        started.append(time.monotonic())
        return None

    route = Route("q", handle, Script().on_poison, max_in_flight=4)
    stop = asyncio.Event()
    settings = QueueSettings(poll_interval_s=30)
    task = asyncio.create_task(QueueConsumer(queue, route, settings).run(stop))
    await asyncio.sleep(1.0)  # an idle second, measured, not a stand-in for synchronisation
    assert len(queue.asked) <= 2
    sent = time.monotonic()
    await queue.send("q", "a")
    await until(lambda: bool(started))
    stop.set()
    await task
    assert started[0] - sent < 2.0  # polling alone would take 3.75 s, the first idle wait


class NeverGivesUp(Script):
    """A script whose giving-up always fails, as a catalog down for an hour would."""

    async def on_poison(self, body: str, reason: str) -> None:
        self.poisoned.append((body, reason))
        raise StorageUnavailable("the catalog database is unavailable")


async def test_a_give_up_that_keeps_failing_backs_off_more_each_time(
    queue: InMemoryMessageQueue, clock: Clock
) -> None:
    """Each failed give-up puts the message back later than the one before (up to the cap),
    not every few seconds for as long as the outage lasts.
    """
    script = NeverGivesUp(PermanentError("not a photo"))
    worker = consumer(queue, script, attempts=3)
    await queue.send("q", "a")
    delivered_at, start = [], clock.now
    while clock.now - start < 3600:
        if await deliver(queue, worker):
            delivered_at.append(clock.now)
        clock.now += 1
    gaps = [later - earlier for earlier, later in itertools.pairwise(delivered_at)]
    # The consumer's backoff: 2 s doubling to its 60 s cap, jittered down to half.
    assert gaps[:3] == sorted(gaps[:3]) and gaps[0] <= 2
    assert min(gaps[6:]) >= 30
    assert len(delivered_at) <= 3600 / 30 + 6
    clock.now += 3600  # past the last copy's delay
    tries = [open_envelope(m.body).give_up_tries for m in await queue.receive("q")]
    assert tries == [len(delivered_at)]
    assert script.calls == ["a"]  # handled once: every copy is past its attempts


async def test_messages_put_back_for_a_storage_outage_are_reported_and_so_is_the_end(
    queue: InMemoryMessageQueue, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """A storage outage costs no attempt, so it could go on unseen: its first put-back is a
    WARNING naming the error, repeats within the minute say nothing more, and the message that
    goes through again says the outage is over.
    """
    outage = StorageUnavailable("the catalog database is not a usable SQLite database")
    script = Script(*[outage for _ in range(5)])
    await queue.send("q-outage", "a")
    worker_route = Route("q-outage", script.handle, script.on_poison, max_in_flight=2)
    worker = QueueConsumer(queue, worker_route, QueueSettings(backoff_base_s=2, backoff_max_s=60))
    with caplog.at_level(logging.INFO, logger="photogate.worker.consumer"):
        for _ in range(6):
            [message] = await queue.receive("q-outage", visibility_timeout=120)
            await worker.process(message)
            clock.now += 61
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "handling q-outage messages (storage unavailable) failed: "
        "the catalog database is not a usable SQLite database; retrying"
    ]
    assert any("recovered" in r.getMessage() for r in caplog.records)
    assert script.poisoned == []
