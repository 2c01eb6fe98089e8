"""Compare-and-set of a submission's status and its audit entry, in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from photogate.adapters.sql import mapping
from photogate.adapters.sql import tables as db
from photogate.domain.submission import AuditEntry, Status

# A compare-and-set that lost a race re-reads the status; after this many losses, give up.
_ATTEMPTS = 3


@dataclass(frozen=True)
class Since:
    """A move's extra guard: the submission's `updated_at` is still `at` (None: never moved)."""

    at: datetime | None


@dataclass(frozen=True)
class Shown:
    """A move's status_reason when it is not the audit's: an undone rejection is audited as
    undone, yet the photo shows the reason it was in review for.
    """

    reason: str | None


@dataclass(frozen=True)
class Move:
    """A state change to apply only if the submission is still in `allowed_from`."""

    submission_id: str
    allowed_from: frozenset[Status]
    to: Status
    actor: str
    reason: str | None
    at: datetime
    changes: mapping.Values = field(default_factory=dict)
    # The reconciler re-queues only what has not changed since it looked.
    unchanged: Since | None = None
    # None: the submission's status_reason is the audit's `reason`.
    shown: Shown | None = None


async def apply_move(conn: AsyncConnection, move: Move) -> bool:
    """Move the submission and audit it; False if it is gone or elsewhere than `allowed_from`.

    The UPDATE is guarded by the status just read, so of two racing stages only one moves it;
    the loser re-reads and gives up unless the new status is still allowed.
    """
    for _ in range(_ATTEMPTS):
        seen = await _status(conn, move.submission_id)
        if seen is None or seen not in move.allowed_from:
            return False
        if await _compare_and_set(conn, move, seen):
            return True
    return False


async def _status(conn: AsyncConnection, submission_id: str) -> Status | None:
    # FOR UPDATE makes PostgreSQL racers queue here; SQLite's compiler leaves it out.
    query = select(db.submissions.c.status).where(db.submissions.c.id == submission_id)
    seen = await conn.scalar(query.with_for_update())
    return None if seen is None else Status(seen)


async def _compare_and_set(conn: AsyncConnection, move: Move, seen: Status) -> bool:
    # Statuses are bound as plain values: a driver may adapt an Enum by its name.
    row = db.submissions.c
    still_seen = (row.id == move.submission_id) & (row.status == seen.value)
    if move.unchanged is not None:
        still_seen &= _updated_at_is(move.unchanged.at)
    values = {
        **move.changes,
        "status": move.to.value,
        "status_reason": move.reason if move.shown is None else move.shown.reason,
        "updated_at": move.at,
        # A claim is on a submission in review; whatever moves it, the claim has done its work.
        "claimed_by": None,
        "claimed_until": None,
    }
    changed = await conn.execute(update(db.submissions).where(still_seen).values(values))
    if changed.rowcount == 0:
        return False
    entry = AuditEntry(move.submission_id, seen, move.to, move.actor, move.reason, move.at)
    await conn.execute(insert(db.audit_log).values(mapping.audit_values(entry)))
    return True


def _updated_at_is(at: datetime | None) -> ColumnElement[bool]:
    column = db.submissions.c.updated_at
    return column.is_(None) if at is None else column == at
