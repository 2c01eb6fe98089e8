"""Email holds: a moderator's rejection email waits out the window in which it can be undone.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None

# A revision is history: it spells its types out instead of importing today's tables.py.
_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add emails.held_until (nullable: NULL is an email that may be sent at once)."""
    # A nullable column: SQLite adds it in place, without copying the table.
    op.add_column("emails", sa.Column("held_until", _TIMESTAMP, nullable=True))


def downgrade() -> None:
    """Drop the column in place (no table rebuild, so no cascade can delete other rows)."""
    op.drop_column("emails", "held_until")
