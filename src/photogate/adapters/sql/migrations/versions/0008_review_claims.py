"""Review claims: which moderator is looking at a photo in review, and until when.

Two moderators working the review queue at once were shown the same first photo; a claim
steers each to a different one. It lapses by itself at claimed_until (compared at read time).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

# A revision is history: it spells its types out instead of importing today's tables.py.
_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add submissions.claimed_by and claimed_until (nullable: NULL is an unclaimed photo)."""
    # Nullable columns: SQLite adds them in place, without copying the table.
    op.add_column("submissions", sa.Column("claimed_by", sa.String(), nullable=True))
    op.add_column("submissions", sa.Column("claimed_until", _TIMESTAMP, nullable=True))


def downgrade() -> None:
    """Drop the two columns."""
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later), not a batch rebuild: with
    # foreign keys on, dropping the old submissions table deletes its rows first, and with them
    # every fingerprint (ON DELETE CASCADE).
    op.drop_column("submissions", "claimed_until")
    op.drop_column("submissions", "claimed_by")
