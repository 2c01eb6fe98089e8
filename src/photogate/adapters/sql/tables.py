"""The catalog's tables in SQLAlchemy Core; migrations/ must create exactly this schema."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)

# Constraint names are fixed so the migration and this module name them the same on every backend.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# The partial index of submissions whose original retention has not deleted yet.
KEPT_ORIGINALS_INDEX = "ix_submissions_kept_originals"
ORIGINAL_KEPT = "original_purged_at IS NULL"


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC; SQLite keeps no zone, so UTC is put back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes: their meaning would depend on the server's zone."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()}: pass an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """The stored instant as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _json() -> JSON:
    # A Python None is SQL NULL, not the JSON literal null, so IS NULL finds it.
    return JSON(none_as_null=True)


products = Table(
    "products",
    metadata,
    Column("sku", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("description", Text, nullable=False),
    Column("price_cents", Integer, nullable=False),
    Column("marketing_photos", _json(), nullable=False),
)

submissions = Table(
    "submissions",
    metadata,
    Column("id", String, primary_key=True),
    Column("sku", String, ForeignKey("products.sku"), nullable=False),
    Column("email", String, nullable=False),
    Column("display_name", String, nullable=False),
    Column("caption", Text, nullable=False),
    Column("original_blob", String, nullable=False),
    Column("content_type", String, nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("status", String, nullable=False),
    Column("status_reason", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime),
    Column("consent_at", UtcDateTime, nullable=False),
    Column("scan", _json()),
    Column("published_at", UtcDateTime),
    Column("thanked_at", UtcDateTime),
    Column("extra", _json(), nullable=False),
    # The licence a customer accepted, and when retention deleted the original (migration 0004).
    Column("licence_version", String),
    Column("original_purged_at", UtcDateTime),
    # email trimmed and case folded (domain.submission.email_key), written with every row: an
    # erasure finds a customer's submissions by it. The default only lets migration 0007 add
    # the column in place on SQLite; it backfills the rows written before.
    Column("email_key", String, nullable=False, server_default=""),
    # A moderator's soft claim on a submission in review (migration 0008): free when NULL or
    # past. Every change of status clears it; "next" finds free ones by the status index.
    Column("claimed_by", String),
    Column("claimed_until", UtcDateTime),
    # The earlier submission a failed direct upload repeats (migration 0011). No foreign key:
    # SQLite could not drop the column in place on a downgrade, and nothing deletes a row.
    Column("repeat_of", String),
    Index(None, "email_key"),
    # queue_position counts waiting submissions received before a given one.
    Index(None, "status", "created_at"),
    # The reconciler looks for scannable submissions unchanged for a while (migration 0002).
    Index(None, "status", "updated_at"),
    # Retention looks for the few settled submissions whose original is still kept among the
    # many purged before: an index of those alone, by last change (created_at for one never
    # moved), so both halves of its "changed before" are ranges of it (migration 0014).
    Index(
        KEPT_ORIGINALS_INDEX,
        "status",
        "updated_at",
        "created_at",
        sqlite_where=text(ORIGINAL_KEPT),
        postgresql_where=text(ORIGINAL_KEPT),
    ),
)

customer_photos = Table(
    "customer_photos",
    metadata,
    Column("submission_id", String, ForeignKey("submissions.id"), primary_key=True),
    Column("sku", String, nullable=False),
    Column("display_name", String, nullable=False),
    Column("caption", Text, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("placeholder", Text, nullable=False),
    Column("renditions", _json(), nullable=False),
    Column("approved_at", UtcDateTime, nullable=False),
    # A product page lists its photos newest first.
    Index(None, "sku", "approved_at"),
    # Near-copy screening reads the photos published since its copy of the hashes; the
    # console lists every product's photos newest first (migration 0013).
    Index(None, "approved_at", "submission_id"),
)

emails = Table(
    "emails",
    metadata,
    Column("id", String, primary_key=True),
    Column("submission_id", String, ForeignKey("submissions.id"), nullable=False),
    Column("kind", String, nullable=False),
    Column("to", String, nullable=False),
    Column("status", String, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("sent_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    # A sender's lease while it talks to the mail server; NULL or past: free (migration 0006).
    Column("claimed_until", UtcDateTime),
    # No claim before this: the undo window of a moderator's rejection (migration 0010).
    Column("held_until", UtcDateTime),
    # The database, not the code, guarantees one thank-you per submission.
    UniqueConstraint("submission_id", "kind"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", String, primary_key=True),
    Column("queue", String, nullable=False),
    Column("body", Text, nullable=False),
    Column("submission_id", String, ForeignKey("submissions.id")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("dispatched_at", UtcDateTime),
    # The dispatcher reads undispatched rows oldest first.
    Index(None, "dispatched_at", "created_at"),
    # The reconciler asks whether a submission still has a message to send (migration 0002).
    Index(None, "submission_id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", String, ForeignKey("submissions.id"), nullable=False, index=True),
    Column("from_status", String),
    Column("to_status", String, nullable=False),
    Column("actor", String, nullable=False),
    Column("reason", Text),
    Column("at", UtcDateTime, nullable=False),
)

rate_events = Table(
    "rate_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("bucket", String, nullable=False),
    # A one-way hash of the IP address or email: the limits need no personal data.
    Column("key", String, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    # Counting looks up one key's recent events; pruning drops a bucket's old ones.
    Index(None, "bucket", "key", "at"),
    Index(None, "bucket", "at"),
)

fingerprints = Table(
    "fingerprints",
    metadata,
    # Erasing a submission takes its fingerprint with it (migration 0005).
    Column(
        "submission_id",
        String,
        ForeignKey("submissions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("sku", String, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("phash", String(16), nullable=False),
    # Intake asks whether the same file was sent for the same product before.
    Index(None, "sku", "sha256"),
)

marketing_fingerprints = Table(
    "marketing_fingerprints",
    metadata,
    Column("sku", String, ForeignKey("products.sku", ondelete="CASCADE"), primary_key=True),
    Column("url", String, primary_key=True),
    Column("phash", String(16), nullable=False),
)

erasure_requests = Table(
    "erasure_requests",
    metadata,
    # An erasure recorded before it is carried out, dropped as it is (migration 0012).
    Column(
        "submission_id",
        String,
        ForeignKey("submissions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("actor", String, nullable=False),
    Column("takedown_reason", Text, nullable=False),
    Column("erasure_reason", Text, nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Index(None, "requested_at"),
)

heartbeats = Table(
    "heartbeats",
    metadata,
    # One row per worker process (host:pid), rewritten every few seconds (migration 0009).
    Column("worker", String, primary_key=True),
    Column("started_at", UtcDateTime, nullable=False),
    Column("seen_at", UtcDateTime, nullable=False),
    Column("limit", Integer, nullable=False),
    Column("in_flight", Integer, nullable=False),
    Column("waiting", Integer, nullable=False),
    Column("succeeded", Integer, nullable=False),
    Column("throttled", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("paused_s", Float, nullable=False),
    Column("breaker_open", Boolean, nullable=False),
    Column("last_error", Text),
    # The worker's final beat, written once it finished what it had in hand (migration 0015).
    Column("stopped", Boolean, nullable=False, server_default=false()),
    Index(None, "seen_at"),
)
