"""Consent and erasure: the licence a customer accepted, and originals retention deleted.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

# A revision is history: it spells its types out instead of importing today's tables.py.
_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add submissions.licence_version and submissions.original_purged_at (both nullable)."""
    # Nullable columns: SQLite adds them in place, without copying the table.
    op.add_column("submissions", sa.Column("licence_version", sa.String(), nullable=True))
    op.add_column("submissions", sa.Column("original_purged_at", _TIMESTAMP, nullable=True))


def downgrade() -> None:
    """Drop both columns."""
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later), not a batch rebuild: with
    # foreign keys on, dropping the old submissions table fails on the rows that photos, emails,
    # outbox and audit log keep there.
    op.drop_column("submissions", "original_purged_at")
    op.drop_column("submissions", "licence_version")
