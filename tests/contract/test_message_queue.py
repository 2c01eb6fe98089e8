"""Contract of the MessageQueue port, run against every implementation.

Time-dependent tests run on a `timing` fixture: the in-memory and SQLite queues take an
injectable clock, moved by hand and checked to the tenth of a second; Azure counts in whole
seconds on its own clock, so there the tests wait for real, polling with deadlines.
"""

from __future__ import annotations

import asyncio
import base64
import math
import os
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import pytest
from azure.storage.queue.aio import QueueServiceClient

from photogate.adapters.azure_queue import AzureStorageQueue
from photogate.adapters.memory.queue import InMemoryMessageQueue
from photogate.adapters.sqlite_queue import SqliteMessageQueue
from photogate.errors import ReceiptExpired
from photogate.ports.queue import MessageQueue, PeekableQueue, QueueMessage
from tests.support import azurite

Q = "scan"
AZURE = pytest.param("azure", marks=pytest.mark.integration)
# Azure's clock and ours agree only to about this; it rounds visibility to whole seconds.
REAL_EARLY_S = 0.5
REAL_SLACK_S = 5.0
POLL_S = 0.05


class FakeClock:
    """Wall-clock seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Timing(Protocol):
    """How a test lets time pass for the queue under test."""

    def now(self) -> float:
        """The queue's current time, in seconds since the epoch."""
        ...

    async def passes(self, queue: MessageQueue, seconds: float) -> None:
        """Return once at least `seconds` have passed on the queue's clock."""
        ...

    async def received_after(
        self, queue: MessageQueue, name: str, seconds: float, **receive: Any
    ) -> list[QueueMessage]:
        """Check `name` has nothing visible until `seconds` pass, then receive from it."""
        ...


class FakeTime:
    """Moves the injected clock: waiting is instant and boundaries are exact."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    def now(self) -> float:
        return self.clock()

    async def passes(self, queue: MessageQueue, seconds: float) -> None:
        self.clock.advance(seconds)

    async def received_after(
        self, queue: MessageQueue, name: str, seconds: float, **receive: Any
    ) -> list[QueueMessage]:
        self.clock.advance(seconds - 0.1)
        assert await queue.receive(name) == []
        self.clock.advance(0.1)
        return await queue.receive(name, **receive)


class RealTime:
    """Lets the server's clock run, and waits by polling the queue itself, never blind."""

    def now(self) -> float:
        return time.time()

    async def passes(self, queue: MessageQueue, seconds: float) -> None:
        # A message delayed by `seconds` on a queue of its own turns visible once the
        # server's clock has moved on that far.
        await queue.send("clock", "tick", delay=seconds)
        await self.received_after(queue, "clock", seconds)

    async def received_after(
        self, queue: MessageQueue, name: str, seconds: float, **receive: Any
    ) -> list[QueueMessage]:
        started = time.monotonic()
        assert await queue.receive(name) == []
        deadline = started + seconds + REAL_SLACK_S
        while not (messages := await queue.receive(name, **receive)):
            assert time.monotonic() < deadline, f"nothing visible on {name} after {seconds}s"
            await asyncio.sleep(POLL_S)
        assert time.monotonic() - started >= seconds - REAL_EARLY_S, "visible too early"
        return messages


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "sqlite", AZURE])
def backend(request: pytest.FixtureRequest) -> str:
    """The name of the implementation under test."""
    return str(request.param)


@pytest.fixture
def timing(backend: str, clock: FakeClock) -> Timing:
    """Fake time for the queues that take a clock, real time for Azure."""
    return RealTime() if backend == "azure" else FakeTime(clock)


@pytest.fixture
async def queue(backend: str, clock: FakeClock, tmp_path: Path) -> AsyncIterator[MessageQueue]:
    if backend == "memory":
        yield InMemoryMessageQueue(clock=clock)
    elif backend == "sqlite":
        sqlite_queue = SqliteMessageQueue(tmp_path / "queue.sqlite3", clock=clock)
        yield sqlite_queue
        sqlite_queue.close()
    else:
        connection, prefix = azurite.azurite_connection_string(), azurite.unique_prefix()
        azure_queue = AzureStorageQueue.from_settings(azurite.settings_for(connection, prefix))
        yield azure_queue
        await azure_queue.aclose()
        await azurite.delete_queues(connection, prefix)


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


async def test_messages_come_back_in_send_order(queue: MessageQueue, timing: Timing) -> None:
    """Messages are received oldest first, also when they were sent in the same instant."""
    for body in ["a", "b", "c"]:
        await queue.send(Q, body)
    await timing.passes(queue, 1)
    await queue.send(Q, "d")
    received = await queue.receive(Q, max_messages=10)
    assert [m.body for m in received] == ["a", "b", "c", "d"]


async def test_inserted_at_is_the_send_time(queue: MessageQueue, timing: Timing) -> None:
    """A message's inserted_at is the clock at send (Azure: to the second), aware and in UTC."""
    before = timing.now()
    await queue.send(Q, "x", delay=1)
    after = timing.now()
    [message] = await timing.received_after(queue, Q, 1)
    assert message.inserted_at.utcoffset() == timedelta(0)
    assert math.floor(before) <= message.inserted_at.timestamp() <= after


async def test_received_message_is_hidden_then_redelivered_with_a_new_receipt(
    queue: MessageQueue, timing: Timing
) -> None:
    """A received message stays hidden for the visibility timeout, then returns with count 2."""
    await queue.send(Q, "job")
    [first] = await queue.receive(Q, visibility_timeout=2)
    [second] = await timing.received_after(queue, Q, 2)
    assert second.id == first.id
    assert second.dequeue_count == 2
    assert second.pop_receipt != first.pop_receipt


async def test_stale_receipt_cannot_delete_but_the_new_one_can(
    queue: MessageQueue, timing: Timing
) -> None:
    """After redelivery only the latest receipt deletes; the earlier one raises ReceiptExpired."""
    await queue.send(Q, "job")
    [first] = await queue.receive(Q, visibility_timeout=1)
    [second] = await timing.received_after(queue, Q, 1, visibility_timeout=10)
    with pytest.raises(ReceiptExpired):
        await queue.delete(Q, first)
    await queue.delete(Q, second)
    assert await queue.count(Q) == 0


async def test_receipt_still_deletes_after_timeout_if_nobody_received_it_again(
    queue: MessageQueue, timing: Timing
) -> None:
    """As on Azure, a receipt stays valid past the timeout until the message is received again."""
    await queue.send(Q, "slow job")
    [message] = await queue.receive(Q, visibility_timeout=1)
    await timing.passes(queue, 2)
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
    queue: MessageQueue, timing: Timing
) -> None:
    """A message sent with a delay is counted but cannot be received before the delay ends."""
    await queue.send(Q, "later", delay=2)
    assert await queue.count(Q) == 1
    [message] = await timing.received_after(queue, Q, 2)
    assert (message.body, message.dequeue_count) == ("later", 1)


async def test_update_visibility_extends_hiding_and_replaces_the_receipt(
    queue: MessageQueue, timing: Timing
) -> None:
    """update_visibility hides the message from now on and only its new receipt deletes."""
    await queue.send(Q, "long job")
    [message] = await queue.receive(Q, visibility_timeout=2)
    await timing.passes(queue, 1)
    renewed = await queue.update_visibility(Q, message, 8)
    assert (renewed.id, renewed.body, renewed.dequeue_count) == (message.id, "long job", 1)
    assert renewed.pop_receipt != message.pop_receipt
    # Past the first timeout and seconds short of the new one, even when a real server's
    # clock rounds to whole seconds.
    await timing.passes(queue, 2)
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
    queue: MessageQueue, timing: Timing
) -> None:
    """update_visibility refuses a receipt that was superseded by a later receive."""
    await queue.send(Q, "job")
    [first] = await queue.receive(Q, visibility_timeout=1)
    await timing.received_after(queue, Q, 1)
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


async def test_concurrent_sends_each_arrive_once_under_their_own_id(queue: MessageQueue) -> None:
    """Sends that arrive together (one transaction in the SQLite adapter) each return their own
    id and each message arrives once, on its own queue, delayed ones later.
    """
    sends = [queue.send("mail" if n % 2 else Q, str(n)) for n in range(20)]
    ids = await asyncio.gather(*sends, queue.send(Q, "later", delay=60))
    assert len(set(ids)) == 21
    received = await queue.receive(Q, max_messages=32)
    received += await queue.receive("mail", max_messages=32)
    sent = zip(ids[:20], map(str, range(20)), strict=True)
    assert sorted((m.id, m.body) for m in received) == sorted(sent)
    assert await queue.count(Q) == 11


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
    [
        "",
        "Grüße, 写真, 📷 and a NUL\x00 byte",
        '{"json": ["quotes", "\\\\"]}',
        "é" * (24 * 1024),
        "x" * 1_000_000,
    ],
    ids=["empty", "unicode", "json", "azure-maximum", "one-megabyte"],
)
async def test_bodies_round_trip_unchanged(queue: MessageQueue, backend: str, body: str) -> None:
    """Empty, non-ASCII, JSON and large bodies (up to 48 KiB on Azure) come back exactly as sent."""
    if backend == "azure" and len(body) > 64 * 1024:
        pytest.skip("Azure Storage Queues take at most 48 KiB of text (64 KiB in base64)")
    await queue.send(Q, body)
    [message] = await queue.receive(Q)
    assert message.body == body


def _peekable(queue: MessageQueue) -> PeekableQueue:
    if not isinstance(queue, PeekableQueue):
        pytest.skip("this queue does not implement the optional PeekableQueue.peek")
    return queue


async def test_peek_shows_visible_messages_oldest_first_without_receiving_them(
    queue: MessageQueue,
) -> None:
    """peek returns visible messages in receive order, with no receipt, and changes nothing."""
    peekable = _peekable(queue)
    for body in ["a", "b"]:
        await queue.send(Q, body)
    await queue.send(Q, "later", delay=3600)
    peeked = await peekable.peek(Q, max_messages=10)
    assert [(m.body, m.dequeue_count, m.pop_receipt) for m in peeked] == [
        ("a", 0, ""),
        ("b", 0, ""),
    ]
    received = await queue.receive(Q, max_messages=10)
    assert [(m.id, m.body, m.dequeue_count) for m in received] == [
        (peeked[0].id, "a", 1),
        (peeked[1].id, "b", 1),
    ]


async def test_peek_leaves_out_hidden_messages_and_honours_max_messages(
    queue: MessageQueue,
) -> None:
    """A received (hidden) message is not peeked; max_messages caps the answer."""
    peekable = _peekable(queue)
    for body in ["a", "b", "c"]:
        await queue.send(Q, body)
    await queue.receive(Q)
    assert [m.body for m in await peekable.peek(Q, max_messages=1)] == ["b"]
    assert [m.body for m in await peekable.peek(Q, max_messages=5)] == ["b", "c"]
    assert await peekable.peek("never-used", max_messages=5) == []


# --- Azure only -------------------------------------------------------------------------


@pytest.fixture
async def az_queue() -> AsyncIterator[tuple[AzureStorageQueue, QueueServiceClient, str]]:
    """An Azure queue on Azurite with queues of its own, a raw SDK client and the prefix."""
    connection, prefix = azurite.azurite_connection_string(), azurite.unique_prefix()
    azure_queue = AzureStorageQueue.from_settings(azurite.settings_for(connection, prefix))
    async with QueueServiceClient.from_connection_string(connection) as raw:
        yield azure_queue, raw, prefix
    await azure_queue.aclose()
    await azurite.delete_queues(connection, prefix)


@pytest.mark.integration
async def test_messages_are_base64_text_under_the_prefixed_name(
    az_queue: tuple[AzureStorageQueue, QueueServiceClient, str],
) -> None:
    """On the wire a body is base64 of its UTF-8, in queue <prefix><name>, as Functions expect."""
    azure_queue, raw, prefix = az_queue
    await azure_queue.send("scans", '{"submission": "Grüße"}')
    [peeked] = await raw.get_queue_client(f"{prefix}scans").peek_messages()
    assert peeked.content == base64.b64encode('{"submission": "Grüße"}'.encode()).decode()


@pytest.mark.integration
async def test_a_body_over_48_kib_is_refused_before_sending(
    az_queue: tuple[AzureStorageQueue, QueueServiceClient, str],
) -> None:
    """A body Azure would refuse raises ValueError, and nothing is enqueued."""
    azure_queue, _, _ = az_queue
    with pytest.raises(ValueError, match="48 KiB"):
        await azure_queue.send(Q, "x" * (48 * 1024 + 1))
    assert await azure_queue.count(Q) == 0


async def test_a_queue_name_azure_refuses_is_a_value_error() -> None:
    """Names Azure refuses (capitals, underscores, double hyphens) raise ValueError at once."""
    async with QueueServiceClient.from_connection_string("UseDevelopmentStorage=true") as service:
        azure_queue = AzureStorageQueue(service, prefix="shop-")
        for name in ["Scans", "scans_poison", "-scans", "a--b"]:
            with pytest.raises(ValueError, match="not a valid Azure queue name"):
                await azure_queue.send(name, "x")


async def test_a_new_sqlite_queue_is_readable_by_our_user_only(tmp_path: Path) -> None:
    """The queue's file and SQLite's journal files beside it are 0600 whatever the umask: its
    messages name submissions, whose ids open their status pages.
    """
    old_umask = os.umask(0o022)
    try:
        queue = SqliteMessageQueue(tmp_path / "queue.sqlite3")
        await queue.send("scans", "a message")
        files = sorted(tmp_path.glob("queue.sqlite3*"))
        modes = {f.name: f.stat().st_mode & 0o777 for f in files}
        queue.close()
    finally:
        os.umask(old_umask)
    assert modes and modes == dict.fromkeys(modes, 0o600)
