"""Indexes for the reconciler: scannable submissions by last change, outbox rows by submission.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the two indexes the reconciler's query uses."""
    op.create_index("ix_submissions_status_updated_at", "submissions", ["status", "updated_at"])
    op.create_index("ix_outbox_submission_id", "outbox", ["submission_id"])


def downgrade() -> None:
    """Drop them again."""
    op.drop_index("ix_outbox_submission_id", table_name="outbox")
    op.drop_index("ix_submissions_status_updated_at", table_name="submissions")
