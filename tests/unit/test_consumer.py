"""The queue consumer: delete on success, retry after Retry-After or backoff, then poison."""

from __future__ import annotations

import asyncio
import json

import pytest

from photogate.adapters.memory.queue import InMemoryMessageQueue
from photogate.errors import PermanentError, ScannerBusy, ScannerUnavailable
from photogate.settings import QueueSettings
from photogate.worker.consumer import QueueConsumer, Route


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
        clock.now += 1.5
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
