"""Moderation: recent events counted by the upload and sign-in rate limits.

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

# A revision is history: it spells its types out instead of importing today's tables.py.
_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the rate_events table and its two indexes."""
    op.create_table(
        "rate_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("bucket", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rate_events"),
    )
    op.create_index("ix_rate_events_bucket_key_at", "rate_events", ["bucket", "key", "at"])
    op.create_index("ix_rate_events_bucket_at", "rate_events", ["bucket", "at"])


def downgrade() -> None:
    """Drop the rate_events table."""
    op.drop_index("ix_rate_events_bucket_at", table_name="rate_events")
    op.drop_index("ix_rate_events_bucket_key_at", table_name="rate_events")
    op.drop_table("rate_events")
