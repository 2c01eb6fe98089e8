"""The catalog's group-committed writes: many callers' rows in one transaction, in one thread hop.

Run on a sync connection (SqlCatalog's blocking engine) inside a transaction; see group_commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, update

from photogate.adapters.sql import mapping
from photogate.adapters.sql import tables as db
from photogate.adapters.sql.same_files import set_aside_repeats
from photogate.domain.catalog import OUTBOX_ACTOR, OutboxMessage
from photogate.domain.fingerprint import Fingerprint
from photogate.domain.submission import AuditEntry, Status, Submission


@dataclass
class NewSubmission:
    """What add_submission records: the submission, its queue message and its fingerprint,
    unless it repeats a submission in `repeats`; then, once the batch is written, `earlier`
    is the one it repeats and nothing of it was written.
    """

    submission: Submission
    outbox: OutboxMessage
    fingerprint: Fingerprint | None
    repeats: frozenset[Status] = frozenset()
    earlier: Submission | None = None


@dataclass(frozen=True)
class RateEvent:
    """record_rate_event's arguments: one event of `key` in `bucket`, and the bucket's horizon."""

    bucket: str
    key: str
    at: datetime
    prune_before: datetime


@dataclass(frozen=True)
class SentMark:
    """mark_dispatched's arguments: the outbox message, and the submission it queued (if any)."""

    outbox_id: str
    queued: str | None


def insert_submissions(conn: Connection, batch: Sequence[NewSubmission], now: datetime) -> None:
    """Each new submission, its "received" audit entry, outbox message and fingerprint; those
    that repeat an earlier one (see same_files) are not written, their `earlier` set.
    """
    batch = set_aside_repeats(conn, batch)
    if not batch:
        return
    conn.execute(insert(db.submissions), [mapping.submission_values(n.submission) for n in batch])
    conn.execute(insert(db.audit_log), [mapping.audit_values(_received(n)) for n in batch])
    conn.execute(insert(db.outbox), [mapping.outbox_values(n.outbox, now) for n in batch])
    prints = [fingerprint_values(n.submission, n.fingerprint) for n in batch if n.fingerprint]
    if prints:
        conn.execute(insert(db.fingerprints), prints)


def fingerprint_values(submission: Submission, fingerprint: Fingerprint) -> mapping.Values:
    """The fingerprints row of a new submission."""
    return {
        "submission_id": submission.id,
        "sku": submission.sku,
        "sha256": fingerprint.sha256,
        "phash": fingerprint.phash,
    }


def mark_sent(conn: Connection, marks: Sequence[SentMark], now: datetime) -> None:
    """Mark the outbox messages sent (a second mark keeps the first time) and move the
    submissions they queued from received to queued, auditing each move that happened.
    """
    pending = db.outbox.c.id.in_([mark.outbox_id for mark in marks])
    conn.execute(
        update(db.outbox)
        .where(pending, db.outbox.c.dispatched_at.is_(None))
        .values(dispatched_at=now)
    )
    queued = [mark.queued for mark in marks if mark.queued is not None]
    if not queued:
        return
    row = db.submissions.c
    # One guarded UPDATE: a submission a worker already took (or an erasure removed) is left
    # alone, and RETURNING names exactly the ones moved, so only those get an audit entry.
    moved = conn.execute(
        update(db.submissions)
        .where(row.id.in_(queued), row.status == Status.RECEIVED.value)
        .values(status=Status.QUEUED.value, status_reason=None, updated_at=now)
        .returning(row.id)
    ).scalars()
    entries = [
        mapping.audit_values(
            AuditEntry(submission_id, Status.RECEIVED, Status.QUEUED, OUTBOX_ACTOR, None, now)
        )
        for submission_id in moved
    ]
    if entries:
        conn.execute(insert(db.audit_log), entries)


def record_rate_events(conn: Connection, events: Sequence[RateEvent]) -> None:
    """Insert the events, then prune their buckets."""
    rows = [{"bucket": e.bucket, "key": e.key, "at": e.at} for e in events]
    conn.execute(insert(db.rate_events), rows)
    prune_rate_events(conn, events)


def prune_rate_events(conn: Connection, events: Sequence[RateEvent]) -> None:
    """Forget each bucket's events before the earliest horizon any of `events` gave: pruning
    less than one caller asked is safe, pruning more would not be.
    """
    horizons: dict[str, datetime] = {}
    for event in events:
        known = horizons.get(event.bucket, event.prune_before)
        horizons[event.bucket] = min(known, event.prune_before)
    for bucket, horizon in horizons.items():
        stale = (db.rate_events.c.bucket == bucket) & (db.rate_events.c.at < horizon)
        conn.execute(delete(db.rate_events).where(stale))


def _received(new: NewSubmission) -> AuditEntry:
    submission = new.submission
    return AuditEntry(
        submission.id, None, submission.status, "customer", None, submission.created_at
    )
