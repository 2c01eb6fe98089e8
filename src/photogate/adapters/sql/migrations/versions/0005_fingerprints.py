"""Duplicate detection: content and perceptual hashes of submissions and marketing photos.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the fingerprints of submissions and of products' marketing photos."""
    op.create_table(
        "fingerprints",
        sa.Column("submission_id", sa.String(), nullable=False),
        sa.Column("sku", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("phash", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name="fk_fingerprints_submission_id_submissions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("submission_id", name="pk_fingerprints"),
    )
    op.create_index("ix_fingerprints_sku_sha256", "fingerprints", ["sku", "sha256"])
    op.create_table(
        "marketing_fingerprints",
        sa.Column("sku", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("phash", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(
            ["sku"],
            ["products.sku"],
            name="fk_marketing_fingerprints_sku_products",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sku", "url", name="pk_marketing_fingerprints"),
    )


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("marketing_fingerprints")
    op.drop_index("ix_fingerprints_sku_sha256", table_name="fingerprints")
    op.drop_table("fingerprints")
