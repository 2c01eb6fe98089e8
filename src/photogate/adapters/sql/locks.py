"""Locks a catalog transaction takes before it reads what it then decides on.

- SQLite has one write lock for the whole database, and its driver begins a transaction only
  at the first write: a read before any write runs outside the transaction. SQLITE_WRITE_LOCK
  is a write that changes nothing, run first, so the reads after it see every other process's
  committed rows and no one else's pending ones.
- PostgreSQL takes transaction-scoped advisory locks, numbered by advisory_lock_id; callers
  taking several take them in number order, so two transactions cannot deadlock.
"""

from __future__ import annotations

import hashlib
from typing import Final

from sqlalchemy import false, update

from photogate.adapters.sql import tables as db

SQLITE_WRITE_LOCK: Final = update(db.submissions).where(false()).values(id=db.submissions.c.id)


def advisory_lock_id(*parts: str) -> int:
    """A signed 64-bit number for `parts`, as pg_advisory_xact_lock takes."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
