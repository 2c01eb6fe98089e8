"""Erasure requests: each erasure is recorded before it is carried out, so none stays half-done.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None

# A revision is history: it spells its types out instead of importing today's tables.py.
_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the erasure_requests table, one row per submission to erase, oldest first."""
    op.create_table(
        "erasure_requests",
        sa.Column("submission_id", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("takedown_reason", sa.Text(), nullable=False),
        sa.Column("erasure_reason", sa.Text(), nullable=False),
        sa.Column("requested_at", _TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name="fk_erasure_requests_submission_id_submissions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("submission_id", name="pk_erasure_requests"),
    )
    op.create_index("ix_erasure_requests_requested_at", "erasure_requests", ["requested_at"])


def downgrade() -> None:
    """Drop the table and its index (erasures asked for and not finished are forgotten)."""
    op.drop_index("ix_erasure_requests_requested_at", table_name="erasure_requests")
    op.drop_table("erasure_requests")
