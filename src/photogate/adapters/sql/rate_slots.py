"""Rate-limit slots taken atomically: count and count in under one lock per key, many at once.

Run on a sync connection (SqlCatalog's blocking engine) inside a transaction, group committed
like the other hot writes (see group_commit). What keeps callers from all slipping under a limit
at once is a write lock held from before the count until the commit:

- SQLite: the first statement is the INSERT, which takes the database's one write lock (a
  writer that finds it held waits out busy_timeout, then starts afresh on the newest data), so
  the count that follows sees every other process's committed slots and no one else's pending.
- PostgreSQL: a transaction-scoped advisory lock per bucket and key, taken first, in key order
  (so two batches cannot deadlock). Under READ COMMITTED each statement sees what was committed
  before it began, so the count after the lock sees the previous holder's slot.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select

from photogate.adapters.sql import tables as db
from photogate.adapters.sql.batches import RateEvent, prune_rate_events
from photogate.adapters.sql.locks import advisory_lock_id


@dataclass
class SlotClaim:
    """take_rate_slot's arguments, and its answer once written: `refused_since` is the oldest
    event counted when the slot was refused, None when it was taken.
    """

    event: RateEvent
    since: datetime
    max_events: int
    refused_since: datetime | None = None


def take_rate_slots(conn: Connection, claims: Sequence[SlotClaim]) -> None:
    """Decide each claim in turn (later ones count the earlier ones taken), then prune."""
    if conn.dialect.name == "postgresql":
        for lock in sorted({advisory_lock_id(c.event.bucket, c.event.key) for c in claims}):
            conn.execute(select(func.pg_advisory_xact_lock(lock)))
    for claim in claims:
        _take(conn, claim)
    prune_rate_events(conn, [claim.event for claim in claims if claim.refused_since is None])


def give_back_rate_slot(conn: Connection, bucket: str, key: str, at: datetime) -> None:
    """Delete one event of `key` in `bucket` at `at`, if there is one."""
    events = db.rate_events.c
    same = (events.bucket == bucket) & (events.key == key) & (events.at == at)
    one = select(func.min(events.id)).where(same).scalar_subquery()
    conn.execute(delete(db.rate_events).where(events.id == one))


def forget_rate_keys(conn: Connection, bucket: str, keys: Collection[str]) -> None:
    """Delete every event of these keys in `bucket`."""
    events = db.rate_events.c
    conn.execute(delete(db.rate_events).where(events.bucket == bucket, events.key.in_(keys)))


def _take(conn: Connection, claim: SlotClaim) -> None:
    event, events = claim.event, db.rate_events.c
    row = {"bucket": event.bucket, "key": event.key, "at": event.at}
    (slot,) = conn.execute(insert(db.rate_events).values(row)).inserted_primary_key or (None,)
    others = (events.bucket == event.bucket) & (events.key == event.key) & (events.id != slot)
    query = select(func.count(), func.min(events.at)).where(others & (events.at >= claim.since))
    count, oldest = conn.execute(query).one()
    if count >= claim.max_events:
        # Undone by hand, not by rolling back: the batch's other claims stand.
        conn.execute(delete(db.rate_events).where(events.id == slot))
        claim.refused_since = oldest
