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
    """Drop both columns (SQLite rebuilds the table in batch mode)."""
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("original_purged_at")
        batch.drop_column("licence_version")
