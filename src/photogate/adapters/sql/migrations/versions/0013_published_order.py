"""An index on when photos were published: screening's recent photos, the console's list.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None

INDEX = "ix_customer_photos_approved_at_submission_id"


def upgrade() -> None:
    """Index customer photos by publication time (then id, for a stable order)."""
    op.create_index(INDEX, "customer_photos", ["approved_at", "submission_id"])


def downgrade() -> None:
    """Drop it again."""
    op.drop_index(INDEX, table_name="customer_photos")
