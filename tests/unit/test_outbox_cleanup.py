"""Dispatched outbox messages are deleted a week on, a batch at a time, by a reconcile chore."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from photogate.clock import utcnow
from photogate.domain.submission import Status
from photogate.entrypoints.functions.timers import sweep_and_reconcile
from photogate.outbox import KEEP_DISPATCHED, forget_dispatched
from photogate.ports import Ports
from tests.support.privacy import sent_by
from tests.unit.conftest import SKU, Fakes
from tests.unit.test_direct_upload import services_for

DAY = timedelta(days=1)


async def dispatched(ports: Ports, count: int) -> None:
    """`count` submissions received, their scan messages handed to the queue at once."""
    for n in range(count):
        await sent_by(ports, SKU, f"c{n}@example.com", Status.RECEIVED)
    assert await ports.catalog.pending_outbox(100) == []


async def test_messages_dispatched_over_a_week_ago_are_deleted_newer_ones_kept(
    fakes: Fakes,
) -> None:
    """A message goes once KEEP_DISPATCHED has passed since its dispatch, not before."""
    await dispatched(fakes.ports, 3)
    now = utcnow()
    assert await forget_dispatched(fakes.catalog, clock=lambda: now + KEEP_DISPATCHED - DAY) == 0
    assert await forget_dispatched(fakes.catalog, clock=lambda: now + KEEP_DISPATCHED + DAY) == 3
    assert await forget_dispatched(fakes.catalog, clock=lambda: now + 365 * DAY) == 0


async def test_a_run_deletes_in_batches_and_stops_after_its_share(fakes: Fakes) -> None:
    """Batches of `batch` until fewer are left, at most `batches` a run; the next run goes on."""
    await dispatched(fakes.ports, 5)
    later = utcnow() + 2 * KEEP_DISPATCHED

    async def run() -> int:
        return await forget_dispatched(fakes.catalog, clock=lambda: later, batch=2, batches=2)

    assert [await run(), await run(), await run()] == [4, 1, 0]


async def test_the_reconcile_timer_deletes_week_old_dispatched_messages(
    fakes: Fakes, tmp_path: Path
) -> None:
    """The chore is one of the reconcile chores the worker and the Functions timer share."""
    await dispatched(fakes.ports, 2)
    services = services_for(fakes, tmp_path, fakes.blobs)
    later = utcnow() + 2 * KEEP_DISPATCHED
    services.clock = lambda: later
    await sweep_and_reconcile(services)
    assert await fakes.catalog.forget_dispatched_outbox(later, 100) == 0
