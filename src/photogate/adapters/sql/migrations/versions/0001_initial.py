"""The catalog's first schema: products, submissions, photos, emails, outbox, audit log.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# A revision is history: it spells its types out instead of importing today's tables.py.
_TIMESTAMP = sa.DateTime(timezone=True)


def _json() -> sa.JSON:
    return sa.JSON(none_as_null=True)


def upgrade() -> None:
    """Create every table of the catalog."""
    _create_products()
    _create_submissions()
    _create_customer_photos()
    _create_emails()
    _create_outbox()
    _create_audit_log()


def downgrade() -> None:
    """Drop every table of the catalog, dependants first."""
    for table in ("audit_log", "outbox", "emails", "customer_photos", "submissions", "products"):
        op.drop_table(table)


def _create_products() -> None:
    op.create_table(
        "products",
        sa.Column("sku", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("marketing_photos", _json(), nullable=False),
        sa.PrimaryKeyConstraint("sku", name="pk_products"),
    )


def _create_submissions() -> None:
    op.create_table(
        "submissions",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("sku", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("display_name", sa.String(), nullable=False),
        sa.Column("caption", sa.Text(), nullable=False),
        sa.Column("original_blob", sa.String(), nullable=False),
        sa.Column("content_type", sa.String(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("updated_at", _TIMESTAMP, nullable=True),
        sa.Column("consent_at", _TIMESTAMP, nullable=False),
        sa.Column("scan", _json(), nullable=True),
        sa.Column("published_at", _TIMESTAMP, nullable=True),
        sa.Column("thanked_at", _TIMESTAMP, nullable=True),
        sa.Column("extra", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_submissions"),
        sa.ForeignKeyConstraint(["sku"], ["products.sku"], name="fk_submissions_sku_products"),
    )
    op.create_index("ix_submissions_status_created_at", "submissions", ["status", "created_at"])


def _create_customer_photos() -> None:
    op.create_table(
        "customer_photos",
        sa.Column("submission_id", sa.String(), nullable=False),
        sa.Column("sku", sa.String(), nullable=False),
        sa.Column("display_name", sa.String(), nullable=False),
        sa.Column("caption", sa.Text(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("placeholder", sa.Text(), nullable=False),
        sa.Column("renditions", _json(), nullable=False),
        sa.Column("approved_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("submission_id", name="pk_customer_photos"),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name="fk_customer_photos_submission_id_submissions",
        ),
    )
    op.create_index("ix_customer_photos_sku_approved_at", "customer_photos", ["sku", "approved_at"])


def _create_emails() -> None:
    op.create_table(
        "emails",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("submission_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("to", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", _TIMESTAMP, nullable=True),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_emails"),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name="fk_emails_submission_id_submissions"
        ),
        sa.UniqueConstraint("submission_id", "kind", name="uq_emails_submission_id_kind"),
    )


def _create_outbox() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("queue", sa.String(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("submission_id", sa.String(), nullable=True),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("dispatched_at", _TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name="fk_outbox_submission_id_submissions"
        ),
    )
    op.create_index("ix_outbox_dispatched_at_created_at", "outbox", ["dispatched_at", "created_at"])


def _create_audit_log() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("submission_id", sa.String(), nullable=False),
        sa.Column("from_status", sa.String(), nullable=True),
        sa.Column("to_status", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name="fk_audit_log_submission_id_submissions"
        ),
    )
    op.create_index("ix_audit_log_submission_id", "audit_log", ["submission_id"])
