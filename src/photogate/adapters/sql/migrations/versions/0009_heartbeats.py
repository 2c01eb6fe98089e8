"""Heartbeats: what each scan worker last said about itself and its scanner calls.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None

# A revision is history: it spells its types out instead of importing today's tables.py.
_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the heartbeats table, one row per worker, looked up by when it was last seen."""
    op.create_table(
        "heartbeats",
        sa.Column("worker", sa.String(), nullable=False),
        sa.Column("started_at", _TIMESTAMP, nullable=False),
        sa.Column("seen_at", _TIMESTAMP, nullable=False),
        sa.Column("limit", sa.Integer(), nullable=False),
        sa.Column("in_flight", sa.Integer(), nullable=False),
        sa.Column("waiting", sa.Integer(), nullable=False),
        sa.Column("succeeded", sa.Integer(), nullable=False),
        sa.Column("throttled", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("paused_s", sa.Float(), nullable=False),
        sa.Column("breaker_open", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("worker", name="pk_heartbeats"),
    )
    op.create_index("ix_heartbeats_seen_at", "heartbeats", ["seen_at"])


def downgrade() -> None:
    """Drop the table and its index."""
    op.drop_index("ix_heartbeats_seen_at", table_name="heartbeats")
    op.drop_table("heartbeats")
