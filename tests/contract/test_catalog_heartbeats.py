"""Contract of the catalog's worker heartbeats: the in-memory fake, SQLite and PostgreSQL alike."""

# The catalog suite's fixtures are imported by name, and tests take them as parameters of the
# same name: that is how pytest injects them, not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from photogate.domain.heartbeat import FORGET_AFTER, Heartbeat
from photogate.ports.catalog import Catalog
from tests.contract.test_catalog import (  # noqa: F401 - fixtures are found by name
    T0,
    backend,
    catalog,
    clock,
    postgres_url,
)
from tests.support.heartbeats import a_heartbeat


def beat(worker: str, seen_at: datetime, **changes: object) -> Heartbeat:
    """A healthy heartbeat of `worker` at `seen_at` (see a_heartbeat), with `changes`."""
    return replace(a_heartbeat(worker, seen_at), **changes)  # type: ignore[arg-type]


async def test_the_latest_heartbeat_of_each_worker_is_kept_and_read_back_whole(
    catalog: Catalog,
) -> None:
    """Two beats of one worker leave one row, the latest, with every field as written."""
    await catalog.record_heartbeat(beat("host-a:10", T0))
    later = beat(
        "host-a:10",
        T0 + timedelta(seconds=15),
        breaker_open=True,
        paused_s=4.5,
        failed=7,
        last_error="the scanner answered 500",
    )
    await catalog.record_heartbeat(later)
    assert await catalog.recent_heartbeats(T0 - timedelta(minutes=1)) == [later]


async def test_only_workers_heard_from_since_are_listed_newest_first(catalog: Catalog) -> None:
    """A worker silent before `since` is left out; the rest come newest first."""
    await catalog.record_heartbeat(beat("gone:1", T0))
    await catalog.record_heartbeat(beat("old:2", T0 + timedelta(seconds=50)))
    await catalog.record_heartbeat(beat("new:3", T0 + timedelta(seconds=70)))
    since = T0 + timedelta(seconds=50)
    assert [b.worker for b in await catalog.recent_heartbeats(since)] == ["new:3", "old:2"]


async def test_workers_silent_for_a_day_are_forgotten(catalog: Catalog) -> None:
    """A beat forgets every worker last seen more than FORGET_AFTER before it."""
    await catalog.record_heartbeat(beat("gone:1", T0))
    await catalog.record_heartbeat(beat("alive:2", T0 + FORGET_AFTER + timedelta(seconds=1)))
    everyone = await catalog.recent_heartbeats(T0 - timedelta(days=30))
    assert [b.worker for b in everyone] == ["alive:2"]


async def test_a_naive_time_is_refused(catalog: Catalog) -> None:
    """Times without a zone are a caller's bug, refused as the other catalog writes refuse them."""
    naive = beat("host:1", T0).seen_at.astimezone(UTC).replace(tzinfo=None)
    with pytest.raises(ValueError, match="naive"):
        await catalog.record_heartbeat(beat("host:1", naive))


async def test_beats_of_one_worker_at_once_leave_one_row(catalog: Catalog) -> None:
    """Deliveries of one Functions process beating at the same moment never collide, even on
    the worker's first beat: one row per worker, holding one of its beats (20 workers, three
    beats each at once, to give a race its chances).
    """
    for worker in range(20):
        beats = [beat(f"fn-{worker}:1", T0, succeeded=n) for n in range(3)]
        await asyncio.gather(*(catalog.record_heartbeat(b) for b in beats))
    kept = await catalog.recent_heartbeats(T0 - timedelta(minutes=1))
    assert sorted(b.worker for b in kept) == sorted(f"fn-{worker}:1" for worker in range(20))
    assert {b.succeeded for b in kept} <= {0, 1, 2}
