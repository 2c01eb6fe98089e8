"""Contract of the MessageQueue port, run against every implementation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from photogate.adapters.memory.queue import InMemoryMessageQueue
from photogate.adapters.sqlite_queue import SqliteMessageQueue
from photogate.errors import ReceiptExpired
from photogate.ports.queue import MessageQueue

Q = "scan"


class FakeClock:
    """Wall-clock seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "sqlite"])
def queue(
    request: pytest.FixtureRequest, clock: FakeClock, tmp_path: Path
) -> Iterator[MessageQueue]:
    if request.param == "memory":
        yield InMemoryMessageQueue(clock=clock)
        return
    sqlite_queue = SqliteMessageQueue(tmp_path / "queue.sqlite3", clock=clock)
    yield sqlite_queue
    sqlite_queue.close()


async def test_sent_message_is_received_once_and_gone_after_delete(queue: MessageQueue) -> None:
    """A sent message comes back with its id, body and dequeue count 1, and delete removes it."""
    message_id = await queue.send(Q, "hello")
    [message] = await queue.receive(Q)
    assert (message.id, message.body, message.dequeue_count) == (message_id, "hello", 1)
    await queue.delete(Q, message)
    assert await queue.count(Q) == 0
    assert await queue.receive(Q, visibility_timeout=0) == []


async def test_receive_on_an_empty_or_unknown_queue_returns_nothing(queue: MessageQueue) -> None:
    """Receiving from a queue nobody has sent to is an empty list, not an error."""
    assert await queue.receive("never-used", max_messages=5) == []
    assert await queue.count("never-used") == 0


async def test_messages_come_back_in_send_order(queue: MessageQueue, clock: FakeClock) -> None:
    """Messages are received oldest first, also when they were sent in the same instant."""
    for body in ["a", "b", "c"]:
        await queue.send(Q, body)
    clock.advance(1)
    await queue.send(Q, "d")
    received = await queue.receive(Q, max_messages=10)
    assert [m.body for m in received] == ["a", "b", "c", "d"]


async def test_inserted_at_is_the_send_time(queue: MessageQueue, clock: FakeClock) -> None:
    """A message's inserted_at is the clock at send, as an aware UTC datetime."""
    await queue.send(Q, "x", delay=5)
    clock.advance(10)
    [message] = await queue.receive(Q)
    assert message.inserted_at == datetime.fromtimestamp(1_700_000_000.0, tz=UTC)


async def test_received_message_is_hidden_then_redelivered_with_a_new_receipt(
    queue: MessageQueue, clock: FakeClock
) -> None:
    """A received message stays hidden for the visibility timeout, then returns with count 2."""
    await queue.send(Q, "job")
    [first] = await queue.receive(Q, visibility_timeout=30)
    clock.advance(29.9)
    assert await queue.receive(Q) == []
    clock.advance(0.1)
    [second] = await queue.receive(Q)
    assert second.id == first.id
    assert second.dequeue_count == 2
    assert second.pop_receipt != first.pop_receipt


async def test_stale_receipt_cannot_delete_but_the_new_one_can(
    queue: MessageQueue, clock: FakeClock
) -> None:
    """After redelivery only the latest receipt deletes; the earlier one raises ReceiptExpired."""
    await queue.send(Q, "job")
    [first] = await queue.receive(Q, visibility_timeout=10)
    clock.advance(11)
    [second] = await queue.receive(Q, visibility_timeout=10)
    with pytest.raises(ReceiptExpired):
        await queue.delete(Q, first)
    await queue.delete(Q, second)
    assert await queue.count(Q) == 0


async def test_receipt_still_deletes_after_timeout_if_nobody_received_it_again(
    queue: MessageQueue, clock: FakeClock
) -> None:
    """As on Azure, a receipt stays valid past the timeout until the message is received again."""
    await queue.send(Q, "slow job")
    [message] = await queue.receive(Q, visibility_timeout=10)
    clock.advance(60)
    await queue.delete(Q, message)
    assert await queue.count(Q) == 0


async def test_deleting_twice_raises_receipt_expired(queue: MessageQueue) -> None:
    """A message already deleted answers ReceiptExpired, as Azure answers 404."""
    await queue.send(Q, "job")
    [message] = await queue.receive(Q)
    await queue.delete(Q, message)
    with pytest.raises(ReceiptExpired):
        await queue.delete(Q, message)


async def test_delayed_message_is_invisible_until_its_delay_passes(
    queue: MessageQueue, clock: FakeClock
) -> None:
    """A message sent with a delay is counted but cannot be received before the delay ends."""
    await queue.send(Q, "later", delay=60)
    assert await queue.count(Q) == 1
    clock.advance(59.9)
    assert await queue.receive(Q) == []
    clock.advance(0.1)
    [message] = await queue.receive(Q)
    assert (message.body, message.dequeue_count) == ("later", 1)


async def test_update_visibility_extends_hiding_and_replaces_the_receipt(
    queue: MessageQueue, clock: FakeClock
) -> None:
    """update_visibility hides the message from now on and only its new receipt deletes."""
    await queue.send(Q, "long job")
    [message] = await queue.receive(Q, visibility_timeout=10)
    clock.advance(5)
    renewed = await queue.update_visibility(Q, message, 30)
    assert (renewed.id, renewed.body, renewed.dequeue_count) == (message.id, "long job", 1)
    assert renewed.pop_receipt != message.pop_receipt
    clock.advance(29.9)
    assert await queue.receive(Q) == []
    with pytest.raises(ReceiptExpired):
        await queue.delete(Q, message)
    await queue.delete(Q, renewed)


async def test_update_visibility_to_zero_releases_the_message_at_once(
    queue: MessageQueue,
) -> None:
    """A receiver giving up with timeout 0 makes the message receivable again immediately."""
    await queue.send(Q, "job")
    [message] = await queue.receive(Q, visibility_timeout=30)
    await queue.update_visibility(Q, message, 0)
    [again] = await queue.receive(Q)
    assert (again.id, again.dequeue_count) == (message.id, 2)


async def test_update_visibility_with_a_stale_receipt_raises(
    queue: MessageQueue, clock: FakeClock
) -> None:
    """update_visibility refuses a receipt that was superseded by a later receive."""
    await queue.send(Q, "job")
    [first] = await queue.receive(Q, visibility_timeout=10)
    clock.advance(10)
    await queue.receive(Q)
    with pytest.raises(ReceiptExpired):
        await queue.update_visibility(Q, first, 30)


async def test_count_includes_hidden_and_delayed_messages(queue: MessageQueue) -> None:
    """count reports every message in the queue, whether visible, received or delayed."""
    await queue.send(Q, "visible")
    await queue.send(Q, "received")
    await queue.send(Q, "delayed", delay=100)
    await queue.receive(Q)
    assert await queue.count(Q) == 3


async def test_queues_are_independent_by_name(queue: MessageQueue) -> None:
    """Messages sent to one queue are neither received nor counted in another."""
    await queue.send("scan", "for scanning")
    await queue.send("mail", "for mailing")
    [scan] = await queue.receive("scan", max_messages=10)
    assert scan.body == "for scanning"
    assert await queue.count("mail") == 1
    with pytest.raises(ReceiptExpired):
        await queue.delete("mail", scan)
    [mail] = await queue.receive("mail", max_messages=10)
    assert mail.body == "for mailing"


async def test_max_messages_is_honoured(queue: MessageQueue) -> None:
    """receive returns at most max_messages and leaves the rest for the next receiver."""
    for n in range(7):
        await queue.send(Q, str(n))
    first = await queue.receive(Q, max_messages=5)
    second = await queue.receive(Q, max_messages=5)
    assert [m.body for m in first] == ["0", "1", "2", "3", "4"]
    assert [m.body for m in second] == ["5", "6"]


@pytest.mark.parametrize(
    "body",
    ["", "Grüße, 写真, 📷 and a NUL\x00 byte", '{"json": ["quotes", "\\\\"]}', "x" * 1_000_000],
    ids=["empty", "unicode", "json", "one-megabyte"],
)
async def test_bodies_round_trip_unchanged(queue: MessageQueue, body: str) -> None:
    """Empty, non-ASCII, JSON and very large bodies come back exactly as sent."""
    await queue.send(Q, body)
    [message] = await queue.receive(Q)
    assert message.body == body
