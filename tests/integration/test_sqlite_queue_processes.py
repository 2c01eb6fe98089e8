"""SqliteMessageQueue shared by real processes: each message goes to exactly one of them."""

from __future__ import annotations

import asyncio
import multiprocessing
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from photogate.adapters.sqlite_queue import SqliteMessageQueue

pytestmark = pytest.mark.integration

Q = "scan"
WORKERS = 4
MESSAGES = 500


def _drain(path: Path, results: Path, start: Barrier) -> None:
    """Worker process: receive and delete one message at a time until the queue is empty."""
    start.wait(timeout=60)
    ids = asyncio.run(_drain_async(path))
    results.write_text("\n".join(ids), encoding="utf-8")


async def _drain_async(path: Path) -> list[str]:
    queue = SqliteMessageQueue(path)
    ids: list[str] = []
    # Everything was sent before the workers started and the timeout outlives the test,
    # so an empty receive means every message has been taken.
    while messages := await queue.receive(Q, max_messages=1, visibility_timeout=600):
        for message in messages:
            ids.append(message.id)
            await queue.delete(Q, message)
    queue.close()
    return ids


async def _fill(path: Path) -> set[str]:
    queue = SqliteMessageQueue(path)
    sent = {await queue.send(Q, f"photo {n}") for n in range(MESSAGES)}
    queue.close()
    return sent


async def test_concurrent_processes_each_get_every_message_exactly_once(tmp_path: Path) -> None:
    """Four processes draining one queue together receive each of 500 messages exactly once."""
    path = tmp_path / "queue.sqlite3"
    sent = await _fill(path)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(WORKERS)
    results = [tmp_path / f"worker-{n}.txt" for n in range(WORKERS)]
    workers = [context.Process(target=_drain, args=(path, r, start)) for r in results]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0] * WORKERS
    per_worker = [r.read_text(encoding="utf-8").split() for r in results]
    received = [message_id for ids in per_worker for message_id in ids]
    assert sorted(received) == sorted(sent)
    # The barrier releases all workers at once; if one took everything, nothing was contended.
    assert sum(1 for ids in per_worker if ids) >= 2
    leftover = SqliteMessageQueue(path)
    assert await leftover.count(Q) == 0
    leftover.close()


async def test_two_instances_on_one_file_share_messages_and_receipts(tmp_path: Path) -> None:
    """A message sent through one instance is received by another and deleted by a third."""
    path = tmp_path / "queue.sqlite3"
    sender, receiver, deleter = (SqliteMessageQueue(path) for _ in range(3))
    message_id = await sender.send(Q, "shared")
    [message] = await receiver.receive(Q)
    assert message.id == message_id
    assert await sender.receive(Q) == []
    await deleter.delete(Q, message)
    assert await sender.count(Q) == 0
    for queue in (sender, receiver, deleter):
        queue.close()
