"""Readiness checks: each dependency that fails or does not answer in time is named."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from photogate.adapters.memory.queue import InMemoryMessageQueue
from photogate.entrypoints.web.readiness import unreachable
from photogate.errors import StorageUnavailable
from photogate.messages import Queue
from tests.unit.conftest import Fakes


class BrokenQueue(InMemoryMessageQueue):
    """A queue whose service refuses every call."""

    async def count(self, queue: Queue) -> int:
        raise StorageUnavailable("queue service refused the connection")


class SilentQueue(InMemoryMessageQueue):
    """A queue whose service never answers."""

    async def count(self, queue: Queue) -> int:
        await asyncio.Event().wait()
        return 0


async def test_nothing_is_unreachable_while_both_answer(fakes: Fakes) -> None:
    """In-memory catalog and queue always answer: the list is empty."""
    assert await unreachable(fakes.ports) == []


async def test_a_failing_queue_is_named(fakes: Fakes) -> None:
    """A queue raising on its cheapest call is named; the catalog is not."""
    ports = replace(fakes.ports, queue=BrokenQueue())
    assert await unreachable(ports) == ["queue"]


async def test_a_queue_that_does_not_answer_in_time_is_named(fakes: Fakes) -> None:
    """A call that hangs is cut off at the timeout and counts as unreachable."""
    ports = replace(fakes.ports, queue=SilentQueue())
    assert await unreachable(ports, timeout_s=0.01) == ["queue"]
