"""Repeats: a failed direct upload records the earlier submission it repeats in a column.

Until now the id was only written at the end of the failure's reason and read back from the
text; the rows failed that way get it copied into the column, so they keep answering.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None

# Rows are read and rewritten this many at a time, so a large catalog never sits in memory.
_BATCH = 1000
# A revision is history: the table and the reason's old wording are spelt out here, as
# intake.repeats wrote and read them when this revision was written.
_SUBMISSIONS = sa.table(
    "submissions",
    sa.column("id", sa.String),
    sa.column("status", sa.String),
    sa.column("status_reason", sa.Text),
    sa.column("repeat_of", sa.String),
)
_REPEAT_CODE = "already_sent: "
_EARLIER = re.compile(r"\(earlier submission ([0-9a-f]{32})\)\Z")
_FILL = (
    _SUBMISSIONS.update()
    .where(_SUBMISSIONS.c.id == sa.bindparam("row_id"))
    .values(repeat_of=sa.bindparam("earlier"))
)


def upgrade() -> None:
    """Add submissions.repeat_of (nullable) and fill it for the repeats failed before."""
    # A nullable column: SQLite adds it in place, without copying the table.
    op.add_column("submissions", sa.Column("repeat_of", sa.String(), nullable=True))
    _backfill(op.get_bind())


def downgrade() -> None:
    """Drop the column in place (no table rebuild, so no cascade can delete other rows).

    The reasons still name the earlier submission, as the code before this revision reads it.
    """
    op.drop_column("submissions", "repeat_of")


def _backfill(conn: sa.Connection) -> None:
    after = ""
    while batch := _failed_repeats_after(conn, after):
        fills = [
            {"row_id": row_id, "earlier": earlier}
            for row_id, reason in batch
            if (earlier := _earlier(reason)) is not None
        ]
        if fills:
            conn.execute(_FILL, fills)
        after = batch[-1][0]


def _failed_repeats_after(conn: sa.Connection, after: str) -> list[tuple[str, str]]:
    """The next batch of (id, status_reason) of failed repeats, in id order, after `after`."""
    rows = _SUBMISSIONS.c
    # LIKE's "_" matches any one character (and SQLite's LIKE ignores case): _earlier checks
    # the code exactly.
    repeats = (rows.status == "failed") & rows.status_reason.like(f"{_REPEAT_CODE}%")
    query = (
        sa.select(rows.id, rows.status_reason)
        .where(repeats, rows.id > after)
        .order_by(rows.id)
        .limit(_BATCH)
    )
    return [(row_id, reason) for row_id, reason in conn.execute(query)]


def _earlier(reason: str) -> str | None:
    """The earlier submission's id at the end of a repeat's reason, or None (recorded before
    reasons named it).
    """
    if not reason.startswith(_REPEAT_CODE):
        return None
    noted = _EARLIER.search(reason)
    return noted[1] if noted else None
