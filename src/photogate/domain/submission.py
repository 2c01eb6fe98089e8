"""A customer's photo submission and the states it moves through."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from photogate.domain.scan import ScanResult


class Status(StrEnum):
    """Where a submission stands in the pipeline."""

    # A direct upload was granted; the browser has yet to put the file in quarantine.
    AWAITING_UPLOAD = "awaiting_upload"
    RECEIVED = "received"
    QUEUED = "queued"
    SCANNING = "scanning"
    APPROVED = "approved"
    REJECTED = "rejected"
    NEEDS_REVIEW = "needs_review"
    FAILED = "failed"
    TAKEN_DOWN = "taken_down"
    # The customer withdrew: photo unpublished, original, email and name gone.
    ERASED = "erased"


# States the scanner may still act on; anything else was settled before and must not be redone.
SCANNABLE: frozenset[Status] = frozenset({Status.RECEIVED, Status.QUEUED, Status.SCANNING})
FINAL: frozenset[Status] = frozenset(
    {
        Status.APPROVED,
        Status.REJECTED,
        Status.NEEDS_REVIEW,
        Status.FAILED,
        Status.TAKEN_DOWN,
        Status.ERASED,
    }
)


def email_key(email: str) -> str:
    """What a customer's submissions are matched by: `email` trimmed and case folded.

    Folded here in Python, not by SQL lower(), which knows only A-Z in SQLite and depends
    on the locale in PostgreSQL: Åsa@example.se must find åsa@example.se on every backend.
    """
    return email.strip().casefold()


def new_id() -> str:
    """A random, URL-safe, unguessable id: status pages are reachable by id alone."""
    return secrets.token_hex(16)


@dataclass(frozen=True)
class Submission:
    """One uploaded photo and everything decided about it."""

    id: str
    sku: str
    email: str
    display_name: str
    caption: str
    original_blob: str
    content_type: str
    size_bytes: int
    width: int
    height: int
    created_at: datetime
    consent_at: datetime
    status: Status = Status.RECEIVED
    status_reason: str | None = None
    updated_at: datetime | None = None
    scan: ScanResult | None = None
    published_at: datetime | None = None
    thanked_at: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)
    # The photo licence version the customer accepted (at consent_at); None before versions.
    licence_version: str | None = None
    # When retention (or an erasure) deleted the original from quarantine.
    original_purged_at: datetime | None = None
    # A direct upload failed as the customer's own repeat: the earlier submission answering
    # for it. Its status_reason names that one too, but only for people to read.
    repeat_of: str | None = None

    def moved(self, to: Status, reason: str | None, at: datetime) -> Submission:
        """This submission in a new state."""
        return replace(self, status=to, status_reason=reason, updated_at=at)


@dataclass(frozen=True)
class UploadedFile:
    """What intake learned about a directly uploaded original once it arrived and passed."""

    content_type: str
    size_bytes: int
    width: int
    height: int


@dataclass(frozen=True)
class Repeat:
    """The answer of a catalog asked to record a file that repeats a submission still standing:
    that one, the oldest copy. Nothing was recorded.
    """

    earlier: Submission


@dataclass(frozen=True)
class AuditEntry:
    """One recorded state change: who moved what from where to where, and why."""

    submission_id: str
    from_status: Status | None
    to_status: Status
    actor: str
    reason: str | None
    at: datetime


class AuditLine(NamedTuple):
    """An audit entry as the whole trail lists it: its number, the entry, and the SKU of its
    submission ("" if none is found), read with it so an export needs no lookup per submission.
    """

    number: int
    entry: AuditEntry
    sku: str
