"""A partial index of submissions whose original is still kept, for the retention purge.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | None = None
depends_on: str | None = None

INDEX = "ix_submissions_kept_originals"
KEPT = "original_purged_at IS NULL"


def upgrade() -> None:
    """Index by (status, updated_at, created_at) only the submissions not marked purged."""
    op.create_index(
        INDEX,
        "submissions",
        ["status", "updated_at", "created_at"],
        sqlite_where=sa.text(KEPT),
        postgresql_where=sa.text(KEPT),
    )


def downgrade() -> None:
    """Drop it again."""
    op.drop_index(INDEX, table_name="submissions")
