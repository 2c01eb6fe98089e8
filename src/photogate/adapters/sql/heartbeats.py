"""SqlCatalog's heartbeats: one row per worker, rewritten in place, forgotten after a day."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import asdict
from datetime import datetime
from typing import Protocol

from sqlalchemy import Insert, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from photogate.adapters.sql import tables as db
from photogate.domain.heartbeat import FORGET_AFTER, Heartbeat


class Connected(Protocol):
    """What these methods need of the SqlCatalog they are mixed into."""

    def _read(self) -> AbstractAsyncContextManager[AsyncConnection]: ...

    def _write(self) -> AbstractAsyncContextManager[AsyncConnection]: ...


class SqlHeartbeats:
    """Mixed into SqlCatalog."""

    async def record_heartbeat(self: Connected, beat: Heartbeat) -> None:
        """Store `beat` as its worker's latest, and forget workers silent for a day."""
        beats = db.heartbeats.c
        async with self._write() as conn:
            # One statement, so deliveries of one process beating at once never collide.
            await conn.execute(_upsert(conn.dialect.name, asdict(beat)))
            forgotten = beats.seen_at < beat.seen_at - FORGET_AFTER
            await conn.execute(delete(db.heartbeats).where(forgotten))

    async def recent_heartbeats(self: Connected, since: datetime) -> list[Heartbeat]:
        """Each worker's latest heartbeat if it came at or after `since`, the newest first."""
        beats = db.heartbeats.c
        query = select(db.heartbeats).where(beats.seen_at >= since).order_by(beats.seen_at.desc())
        async with self._read() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [Heartbeat(**row) for row in rows]


def _upsert(dialect: str, values: dict[str, object]) -> Insert:
    """INSERT the worker's row, or UPDATE it if there is one (SQLite and PostgreSQL alike)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(db.heartbeats).values(values)
    changes = {name: statement.excluded[name] for name in values if name != "worker"}
    return statement.on_conflict_do_update(index_elements=["worker"], set_=changes)
