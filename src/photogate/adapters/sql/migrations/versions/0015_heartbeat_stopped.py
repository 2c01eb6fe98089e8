"""Heartbeats say when their worker stopped: the final beat, written after it drained.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add heartbeats.stopped, false for every beat written so far."""
    # With a constant default, SQLite adds it in place, without copying the table.
    op.add_column(
        "heartbeats",
        sa.Column("stopped", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    """Drop the column in place; the code before this revision never reads it."""
    op.drop_column("heartbeats", "stopped")
