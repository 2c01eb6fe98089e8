"""Email keys: each submission's address trimmed and case folded, so erasure finds it in SQL.

SQL lower() folds only A-Z in SQLite and depends on the locale in PostgreSQL, so an erasure
asked for Åsa.Berg@example.se missed åsa.berg@example.se. The key is folded in Python instead.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

_INDEX = "ix_submissions_email_key"
# Rows are read and rewritten this many at a time, so a large catalog never sits in memory.
_BATCH = 1000
# A revision is history: the table and the folding are spelt out here, not imported from
# today's code, and stay what domain.submission.email_key was when this revision was written.
_SUBMISSIONS = sa.table(
    "submissions", sa.column("id", sa.String), sa.column("email", sa.String), sa.column("email_key")
)
_FILL = (
    _SUBMISSIONS.update()
    .where(_SUBMISSIONS.c.id == sa.bindparam("row_id"))
    .values(email_key=sa.bindparam("key"))
)


def upgrade() -> None:
    """Add submissions.email_key, fill it for the rows already there, then index it."""
    # NOT NULL with a default: SQLite adds it in place, without rebuilding the table (which
    # other tables reference, fingerprints with ON DELETE CASCADE).
    column = sa.Column("email_key", sa.String(), nullable=False, server_default="")
    op.add_column("submissions", column)
    _backfill(op.get_bind())
    op.create_index(_INDEX, "submissions", ["email_key"])


def downgrade() -> None:
    """Drop the index and the column."""
    # The index first: SQLite drops no indexed column. Then a plain ALTER TABLE ... DROP COLUMN
    # (SQLite 3.35 and later), not a batch rebuild: with foreign keys on, dropping the old
    # submissions table deletes its rows first, and with them every fingerprint (ON DELETE
    # CASCADE), or fails on the rows that photos, emails, outbox and audit log keep there.
    op.drop_index(_INDEX, table_name="submissions")
    op.drop_column("submissions", "email_key")


def _backfill(conn: sa.Connection) -> None:
    after = ""
    while batch := _rows_after(conn, after):
        keys = [{"row_id": row_id, "key": email.strip().casefold()} for row_id, email in batch]
        conn.execute(_FILL, keys)
        after = batch[-1][0]


def _rows_after(conn: sa.Connection, after: str) -> list[tuple[str, str]]:
    """The next batch of (id, email), in id order, after the id `after`."""
    rows = _SUBMISSIONS.c
    query = sa.select(rows.id, rows.email).where(rows.id > after).order_by(rows.id).limit(_BATCH)
    return [(row_id, email) for row_id, email in conn.execute(query)]
