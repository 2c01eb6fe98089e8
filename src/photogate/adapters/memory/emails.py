"""InMemoryCatalog's owed-email methods: claims, delivery and failed attempts."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Protocol

from photogate.domain.catalog import EmailRecord, EmailStatus
from photogate.domain.submission import Submission


class _Stored(Protocol):
    """What these methods need of the InMemoryCatalog they are mixed into."""

    _submissions: dict[str, Submission]
    _emails: dict[str, EmailRecord]
    # The claimed_until column of the SQL catalog: an email absent here is unclaimed.
    _email_claims: dict[str, datetime]


class InMemoryEmails:
    """Mixed into InMemoryCatalog; no method awaits, so a claim is atomic on the event loop."""

    async def get_email(self: _Stored, email_id: str) -> EmailRecord | None:
        """One owed email, or None."""
        return self._emails.get(email_id)

    async def claim_email(self: _Stored, email_id: str, *, now: datetime, until: datetime) -> bool:
        """Claim a pending email until `until` unless a claim still runs or it is held;
        True if we got it.
        """
        require_aware(now, until)
        email = self._emails.get(email_id)
        if email is None or email.status is not EmailStatus.PENDING:
            return False
        if email.held_until is not None and email.held_until > now:
            return False
        held = self._email_claims.get(email_id)
        if held is not None and held > now:
            return False
        self._email_claims[email_id] = until
        return True

    async def release_email(self: _Stored, email_id: str) -> None:
        """Drop the email's claim, so a retry may claim it at once."""
        self._email_claims.pop(email_id, None)

    async def mark_email_sent(self: _Stored, email_id: str, at: datetime) -> bool:
        """Record delivery and the submission's thanked time; False if it was already sent."""
        require_aware(at)
        email = self._emails.get(email_id)
        if email is None or email.status is EmailStatus.SENT:
            return False
        self._emails[email_id] = replace(email, status=EmailStatus.SENT, sent_at=at)
        self._email_claims.pop(email_id, None)
        submission = self._submissions[email.submission_id]
        self._submissions[submission.id] = replace(submission, thanked_at=at)
        return True

    async def mark_email_attempt(self: _Stored, email_id: str, error: str, *, final: bool) -> None:
        """Record a failed delivery attempt; `final` marks the email failed for good."""
        email = self._emails.get(email_id)
        if email is None or email.status is EmailStatus.SENT:
            return
        status = EmailStatus.FAILED if final else email.status
        self._emails[email_id] = replace(
            email, attempts=email.attempts + 1, last_error=error, status=status
        )
        if final:
            self._email_claims.pop(email_id, None)

    async def reopen_email(self: _Stored, email_id: str) -> bool:
        """Move a failed email with an address back to pending, unclaimed; True if it moved."""
        email = self._emails.get(email_id)
        if email is None or email.status is not EmailStatus.FAILED or not email.to:
            return False
        self._emails[email_id] = replace(email, status=EmailStatus.PENDING)
        self._email_claims.pop(email_id, None)
        return True


def require_aware(*moments: datetime | None) -> None:
    """Refuse naive datetimes, as the SQL catalog does: their zone would be a guess."""
    for moment in moments:
        if moment is not None and moment.tzinfo is None:
            raise ValueError(f"naive datetime {moment.isoformat()}: pass an aware one")
