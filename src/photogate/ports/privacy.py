"""Privacy ledger: a customer's submissions, erasing them, and the originals retention
deletes (part of the Catalog).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from photogate.domain.erasure import ErasureRequest
from photogate.domain.submission import (
    Status,
    Submission,
)


class PrivacyLedger(Protocol):
    """A customer's submissions, erasing them, and the originals retention deletes."""

    async def customer_submissions(self, email: str) -> list[Submission]:
        """Every submission sent with `email` (matched by email_key, so case does not count,
        in any alphabet), oldest first.
        """
        ...

    async def request_erasure(self, requests: Collection[ErasureRequest]) -> None:
        """Record these erasures, in one transaction, before any of them is carried out; a
        submission already asked for keeps its first request, an unknown or erased one gets
        none.
        """
        ...

    async def erasure_requests(self, limit: int) -> list[ErasureRequest]:
        """Erasures asked for and not carried out (their submission not erased), oldest first."""
        ...

    async def erase_submission(self, submission_id: str, *, actor: str, reason: str) -> bool:
        """In one transaction: move the submission to erased (audited), remove its fingerprint,
        blank its email (and email key), name, caption and extras, blank the address and last
        error of its emails, cancel those still owed, and drop its erasure request.

        Returns False and changes nothing if it is unknown, erased already, or published: a
        published photo is taken down first (its files deleted, then its row), so that no
        public file is ever left without a row that names it, even by an approval landing in
        the middle of an erasure.
        """
        ...

    async def originals_to_purge(
        self, statuses: Collection[Status], *, settled_before: datetime | None, limit: int
    ) -> list[Submission]:
        """Submissions in `statuses` whose original is not marked purged, last changed before
        `settled_before` (None: whenever), least recently changed first.
        """
        ...

    async def mark_original_purged(
        self, submission_id: str, *, allowed_from: Collection[Status], at: datetime
    ) -> bool:
        """Record that the original was deleted at `at`, if the submission is still in
        `allowed_from` and not marked yet; False (nothing changes) otherwise.
        """
        ...
