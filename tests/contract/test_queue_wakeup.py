"""Contract of the optional WakeableQueue: a send wakes a consumer waiting for messages."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from photogate.adapters.memory.queue import InMemoryMessageQueue
from photogate.adapters.sqlite_queue import SqliteMessageQueue
from photogate.ports.queue import MessageQueue, WakeableQueue

Q = "scans"


@dataclass
class Pair:
    """The consumer's side and the sender's side of one queue (two processes' views of it)."""

    consumer: MessageQueue
    sender: MessageQueue


@pytest.fixture(params=["memory", "sqlite"])
async def pair(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Pair]:
    if request.param == "memory":
        queue = InMemoryMessageQueue()
        yield Pair(queue, queue)
        return
    consumer = SqliteMessageQueue(tmp_path / "queue.sqlite3")
    sender = SqliteMessageQueue(tmp_path / "queue.sqlite3")
    yield Pair(consumer, sender)
    consumer.close()
    sender.close()


async def wait(queue: MessageQueue, seconds: float) -> tuple[bool, float]:
    """Wait for messages on Q; returns what the wait said and how long it took."""
    assert isinstance(queue, WakeableQueue)
    started = time.monotonic()
    came = await queue.wait_for_messages(Q, seconds)
    return came, time.monotonic() - started


async def test_a_send_ends_the_wait_at_once(pair: Pair) -> None:
    """A consumer waiting for messages is woken by a send within milliseconds."""
    await pair.consumer.receive(Q)
    waiting = asyncio.create_task(wait(pair.consumer, 5))
    # One turn of the loop runs the wait up to its first await: it is listening now (nothing
    # in it leaves the loop). A send before the wait begins is covered below.
    await asyncio.sleep(0)
    assert not waiting.done()
    await pair.sender.send(Q, "hello")
    came, took = await waiting
    assert came
    assert took < 3  # the wait would last 5 s


async def test_a_send_between_receive_and_wait_is_not_lost(pair: Pair) -> None:
    """A message sent after the consumer looked but before it waited still ends the wait."""
    assert await pair.consumer.receive(Q) == []
    await pair.sender.send(Q, "hello")
    came, took = await wait(pair.consumer, 5)
    assert came
    assert took < 0.5


async def test_without_a_send_the_wait_lasts_its_time(pair: Pair) -> None:
    """With nothing sent the wait says so after its timeout; a send elsewhere does not count."""
    await pair.consumer.receive(Q)
    await pair.sender.send("other-queue", "not for us")
    came, took = await wait(pair.consumer, 0.2)
    assert not came
    assert 0.15 < took < 1


async def test_a_delayed_send_does_not_wake_anyone(pair: Pair) -> None:
    """A message that is not visible yet is no reason to wake a consumer."""
    await pair.consumer.receive(Q)
    await pair.sender.send(Q, "later", delay=60)
    came, _ = await wait(pair.consumer, 0.2)
    assert not came
