"""Email claims: the lease a sender holds on an owed email while it talks to the mail server.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

# A revision is history: it spells its types out instead of importing today's tables.py.
_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add emails.claimed_until (nullable: NULL is an unclaimed email)."""
    # A nullable column: SQLite adds it in place, without copying the table.
    op.add_column("emails", sa.Column("claimed_until", _TIMESTAMP, nullable=True))


def downgrade() -> None:
    """Drop the column (SQLite rebuilds the table in batch mode)."""
    with op.batch_alter_table("emails") as batch:
        batch.drop_column("claimed_until")
