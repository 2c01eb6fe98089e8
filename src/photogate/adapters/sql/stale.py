"""The reconciler's query: scannable submissions that stopped moving, their messages all sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select

from photogate.adapters.sql import tables as db
from photogate.domain.submission import SCANNABLE

# Statuses are bound as plain values: a driver may adapt an Enum by its name.
_SCANNABLE = sorted(status.value for status in SCANNABLE)


def stale_query(older_than: datetime, limit: int) -> Select[Any]:
    """Scannable submissions unchanged since before `older_than`, least recently changed first.

    Those with an undispatched outbox message are left out: the outbox relay sends that one.
    """
    row = db.submissions.c
    # Two plain comparisons rather than one COALESCE, so (status, updated_at) is usable.
    unchanged = or_(
        row.updated_at < older_than,
        and_(row.updated_at.is_(None), row.created_at < older_than),
    )
    undispatched = exists().where(
        db.outbox.c.submission_id == row.id, db.outbox.c.dispatched_at.is_(None)
    )
    return (
        select(db.submissions)
        .where(row.status.in_(_SCANNABLE), unchanged, ~undispatched)
        .order_by(func.coalesce(row.updated_at, row.created_at), row.id)
        .limit(limit)
    )
