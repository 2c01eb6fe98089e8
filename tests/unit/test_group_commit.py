"""GroupCommit: concurrent writes share a transaction; each caller learns its own outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from photogate.adapters.group_commit import GroupCommit


class GatedWrites:
    """A write function that records its batches and, when gated, waits to be let through."""

    def __init__(self, *, fail_on: str | None = None, error: Exception | None = None) -> None:
        self.batches: list[list[str]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.started = asyncio.Event()
        self.fail_on = fail_on
        self.error = error

    async def __call__(self, batch: Sequence[str]) -> None:
        self.batches.append(list(batch))
        self.started.set()
        await self.gate.wait()
        if self.error is not None:
            raise self.error
        if self.fail_on is not None and self.fail_on in batch:
            raise KeyError(self.fail_on)


async def cancelled_mid_write(writes: GatedWrites) -> asyncio.Task[None]:
    """A caller of a fresh GroupCommit, cancelled while its write is held at the gate."""
    writes.gate.clear()
    caller = asyncio.create_task(GroupCommit(writes).submit("a"))
    await writes.started.wait()
    caller.cancel()
    await asyncio.sleep(0)  # one turn of the loop: the cancellation reaches the caller
    return caller


async def test_a_lone_caller_is_written_at_once_in_a_batch_of_one() -> None:
    writes = GatedWrites()
    await GroupCommit(writes).submit("a")
    assert writes.batches == [["a"]]


async def test_callers_arriving_during_a_write_share_the_next_batch() -> None:
    """While one batch is written, later callers gather and are written together."""
    writes = GatedWrites()
    group = GroupCommit(writes)
    writes.gate.clear()
    first = asyncio.create_task(group.submit("a"))
    await writes.started.wait()
    later = [asyncio.create_task(group.submit(name)) for name in "bcd"]
    await asyncio.sleep(0)  # let them queue up behind the write in progress
    writes.gate.set()
    await asyncio.gather(first, *later)
    assert writes.batches == [["a"], ["b", "c", "d"]]


async def test_batches_are_never_larger_than_max_batch() -> None:
    writes = GatedWrites()
    group = GroupCommit(writes, max_batch=2)
    await asyncio.gather(*(group.submit(str(n)) for n in range(5)))
    assert [len(batch) for batch in writes.batches] == [2, 2, 1]
    assert sorted(n for batch in writes.batches for n in batch) == [str(n) for n in range(5)]


async def test_an_item_error_fails_only_the_item_at_fault() -> None:
    """A batch refused for one item is written again one by one: only that item's caller fails."""
    writes = GatedWrites(fail_on="bad")
    group = GroupCommit(writes, item_errors=(KeyError,))
    outcomes = await asyncio.gather(
        *(group.submit(name) for name in ["x", "bad", "y"]), return_exceptions=True
    )
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], KeyError)
    assert writes.batches == [["x", "bad", "y"], ["x"], ["bad"], ["y"]]


async def test_another_error_fails_the_whole_batch_without_retrying() -> None:
    """An outage is not one item's fault: every caller of the batch gets it, one write only."""
    writes = GatedWrites(error=ConnectionError("database down"))
    group = GroupCommit(writes, item_errors=(KeyError,))
    outcomes = await asyncio.gather(*(group.submit(n) for n in "abc"), return_exceptions=True)
    assert all(isinstance(outcome, ConnectionError) for outcome in outcomes)
    assert writes.batches == [["a", "b", "c"]]


async def test_a_cancelled_caller_waits_for_its_write_and_is_then_cancelled() -> None:
    """Cancelled mid-write, the caller returns only once the write is done, so its cleanup
    (which runs on errors only) never removes what the committed row points at.
    """
    writes = GatedWrites()
    caller = await cancelled_mid_write(writes)
    assert not caller.done()  # still waiting for the outcome
    writes.gate.set()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert writes.batches == [["a"]]


async def test_a_cancelled_caller_whose_write_failed_gets_the_write_error() -> None:
    writes = GatedWrites(error=ConnectionError("database down"))
    caller = await cancelled_mid_write(writes)
    writes.gate.set()
    with pytest.raises(ConnectionError):
        await caller


async def test_max_batch_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_batch"):
        GroupCommit(GatedWrites(), max_batch=0)
