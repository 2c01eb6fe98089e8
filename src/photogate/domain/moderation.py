"""People's decisions: staff roles, rejection reason codes, how actors sign the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from photogate.domain.submission import AuditEntry, Status


class Role(StrEnum):
    """What a member of staff may do: moderators review and take down; admins also export."""

    MODERATOR = "moderator"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        """Whether this role may do what `needed` may (admin includes moderator)."""
        return self is Role.ADMIN or needed is Role.MODERATOR


class ReasonCode(StrEnum):
    """Why a moderator refused a photo (the commercial review tools' codes); it may grow."""

    INAPPROPRIATE = "inappropriate"
    PERSONAL_DATA = "personal_data"
    COMPETITOR_BRAND = "competitor_brand"
    LOW_QUALITY = "low_quality"
    NOT_THIS_PRODUCT = "not_this_product"
    COPYRIGHT = "copyright"
    SPAM = "spam"
    OTHER = "other"


# What staff see in the console's reason list.
REASON_LABELS: Final[dict[ReasonCode, str]] = {
    ReasonCode.INAPPROPRIATE: "Inappropriate",
    ReasonCode.PERSONAL_DATA: "Personal data visible",
    ReasonCode.COMPETITOR_BRAND: "Competitor brand",
    ReasonCode.LOW_QUALITY: "Low quality",
    ReasonCode.NOT_THIS_PRODUCT: "Not this product",
    ReasonCode.COPYRIGHT: "Copyright or stolen image",
    ReasonCode.SPAM: "Spam",
    ReasonCode.OTHER: "Other (note required)",
}
MAX_NOTE: Final = 500


class TakedownCode(StrEnum):
    """Why staff took a published photo down; Legal filters the audit export by it."""

    LEGAL_REQUEST = "legal_request"
    PRIVACY = "privacy"
    OFFENSIVE = "offensive"
    NOT_THIS_PRODUCT = "not_this_product"
    CUSTOMER_ASKED = "customer_asked"
    OTHER = "other"


# What staff see in the console's takedown reason list.
TAKEDOWN_LABELS: Final[dict[TakedownCode, str]] = {
    TakedownCode.LEGAL_REQUEST: "Copyright or legal request",
    TakedownCode.PRIVACY: "Privacy",
    TakedownCode.OFFENSIVE: "Offensive",
    TakedownCode.NOT_THIS_PRODUCT: "Not this product",
    TakedownCode.CUSTOMER_ASKED: "The customer asked",
    TakedownCode.OTHER: "Other (note required)",
}


def coded_reason(code: StrEnum, note: str = "") -> str:
    """A reason as the audit records it: "code", or "code: note" with the note on one line."""
    note = " ".join(note.split())
    return f"{code}: {note}" if note else str(code)


def recorded_code(reason: str | None) -> str:
    """The rejection or takedown code a recorded reason starts with; "" for any other text."""
    head = _head(reason)
    known = {str(code) for code in (*ReasonCode, *TakedownCode)}
    return head if head in known else ""


def reason_code(status_reason: str | None) -> ReasonCode | None:
    """The rejection code a `coded_reason` text starts with, if it is one."""
    try:
        return ReasonCode(_head(status_reason))
    except ValueError:
        return None


def _head(reason: str | None) -> str:
    """What a `coded_reason` text holds before its note: the code, if it has one."""
    return (reason or "").partition(":")[0].strip()


def moderator_actor(username: str) -> str:
    """How a moderator's decisions are signed in the audit trail."""
    return f"moderator:{username}"


def undoable_rejection(last: AuditEntry | None, since: datetime) -> bool:
    """Whether `last`, a submission's latest audit entry, is a moderator's rejection made at or
    after `since` (the start of the undo window); a scanner's rejection is never undone here.
    """
    return (
        last is not None
        and last.to_status is Status.REJECTED
        and last.actor.startswith(moderator_actor(""))
        and last.at >= since
    )


def takes_back(trail: Sequence[AuditEntry], rejected_at: datetime, since: datetime) -> bool:
    """Whether an undo naming the rejection made at `rejected_at` may take back the latest
    entry of `trail`: that very rejection, a moderator's, made at or after `since`. A stale
    undo (its rejection already undone, the photo rejected again since) names another one.
    """
    last = trail[-1] if trail else None
    return last is not None and last.at == rejected_at and undoable_rejection(last, since)


def reason_in_review(earlier: Sequence[AuditEntry], undone: str) -> str | None:
    """Why a photo was in review before a rejection, from the audit entries before it: the
    reason of the last move into review other than an undo (audited with `undone`), which
    would name only itself.
    """
    for entry in reversed(earlier):
        if entry.to_status is Status.NEEDS_REVIEW and entry.reason != undone:
            return entry.reason
    return None


def scanner_actor(model_version: str | None) -> str:
    """How the scanner's decisions are signed: with the model version that made them."""
    return f"scanner:{model_version}" if model_version else "scanner"


@dataclass(frozen=True)
class ReviewClaim:
    """A moderator's soft claim on a photo in review: others are steered elsewhere until
    `until`, when it lapses by itself. It decides nothing, so the audit trail does not record it.
    """

    submission_id: str
    moderator: str
    until: datetime

    def held_by(self, moderator: str) -> bool:
        """Whether `moderator` holds this claim."""
        return self.moderator == moderator
