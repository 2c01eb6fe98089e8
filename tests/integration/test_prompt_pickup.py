"""Prompt pickup on the SQLite queue: a send from another process starts its handling at once,
and an idle consumer barely touches the database.
"""

from __future__ import annotations

import asyncio
import json
import math
import multiprocessing
import random
import time
from pathlib import Path

import pytest

from photogate.adapters.sqlite_queue import SqliteMessageQueue
from photogate.ports import QueueMessage
from photogate.settings import QueueSettings
from photogate.worker.consumer import QueueConsumer, Route

pytestmark = pytest.mark.integration

Q = "scans"
UPLOADS = 100


class CountingQueue(SqliteMessageQueue):
    """The SQLite queue, counting receive calls."""

    receives = 0

    async def receive(
        self, queue: str, *, max_messages: int = 1, visibility_timeout: float = 30.0
    ) -> list[QueueMessage]:
        self.receives += 1
        return await super().receive(
            queue, max_messages=max_messages, visibility_timeout=visibility_timeout
        )


def _upload_one_at_a_time(path: Path, count: int) -> None:
    """Sender process: `count` single messages, each into an idle system, stamped when sent."""
    asyncio.run(_send_spaced(path, count))


async def _send_spaced(path: Path, count: int) -> None:
    queue = SqliteMessageQueue(path)
    rng = random.Random(7)
    for _ in range(count):
        # Spaced out at random, so each send lands at another point of the consumer's idle wait.
        await asyncio.sleep(rng.uniform(0.02, 0.08))
        await queue.send(Q, json.dumps({"sent": time.time()}))
    queue.close()


async def test_a_send_from_another_process_is_picked_up_within_250_ms_p99(tmp_path: Path) -> None:
    """Over 100 single sends into an idle consumer with the default settings, p99 of
    send-to-handling is under 250 ms (one slow pickup is allowed). That the wake-up alone ends
    an idle wait is shown with a 30 s poll interval in test_consumer and test_queue_wakeup.
    """
    path = tmp_path / "queue.sqlite3"
    queue = CountingQueue(path)
    delays: list[float] = []

    async def handle(body: str) -> object:
        delays.append(time.time() - json.loads(body)["sent"])
        return None

    async def on_poison(body: str, reason: str) -> None:
        raise AssertionError(reason)

    stop = asyncio.Event()
    consumer = QueueConsumer(queue, Route(Q, handle, on_poison, 4), QueueSettings())
    running = asyncio.create_task(consumer.run(stop))
    sender = multiprocessing.get_context("spawn").Process(
        target=_upload_one_at_a_time, args=(path, UPLOADS)
    )
    sender.start()
    await asyncio.to_thread(sender.join, 60)
    async with asyncio.timeout(5):
        while len(delays) < UPLOADS:
            await asyncio.sleep(0.01)
    before_idle = queue.receives
    await asyncio.sleep(2.0)  # two idle seconds, measured: not a stand-in for synchronisation
    idle_receives = queue.receives - before_idle
    stop.set()
    await running
    queue.close()
    ordered = sorted(delays)
    # Nearest rank: the 99th of 100 delays, so one outlier is the 1 % p99 allows.
    p50, p99 = ordered[len(ordered) // 2], ordered[math.ceil(len(ordered) * 0.99) - 1]
    print(f"\npickup p50 {p50 * 1e3:.1f} ms, p99 {p99 * 1e3:.1f} ms; idle receives {idle_receives}")
    assert sender.exitcode == 0
    assert p99 < 0.25
    assert idle_receives <= 20  # waits grow to the 0.2 s poll interval: about 10 in 2 s
