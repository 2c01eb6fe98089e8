"""Intake's duplicate check: the same file sent again for the same product is not scanned again."""

from __future__ import annotations

from typing import Final

from photogate.domain.fingerprint import Fingerprint
from photogate.domain.submission import Status, Submission
from photogate.errors import DuplicateUpload
from photogate.ports.catalog import FingerprintLedger

# An earlier submission in these states answers for a repeat of its file: it is still on its
# way, or published, or taken down by the shop. A rejected or failed one does not, so the
# customer may try again (with a better caption, or after an outage); nor does an erased one.
ANSWERS_REPEATS: Final = frozenset(
    {
        Status.RECEIVED,
        Status.QUEUED,
        Status.SCANNING,
        Status.NEEDS_REVIEW,
        Status.APPROVED,
        Status.TAKEN_DOWN,
    }
)
YOURS: Final = "You already sent this photo for this product; here is where it stands."
NOT_YOURS: Final = (
    "This photo was already sent for this product from another email address. "
    "Each photo is shown once; if you took it, please write to us."
)


async def refuse_repeat(
    catalog: FingerprintLedger, sku: str, email: str, fingerprint: Fingerprint
) -> None:
    """Raise DuplicateUpload if the same bytes were sent for `sku` and still stand."""
    earlier = await catalog.find_same_file(sku, fingerprint.sha256, among=ANSWERS_REPEATS)
    if earlier is None:
        return
    if _same_customer(earlier, email):
        raise DuplicateUpload("already_sent", YOURS, submission_id=earlier.id)
    raise DuplicateUpload("already_sent_by_someone_else", NOT_YOURS, submission_id=None)


def _same_customer(earlier: Submission, email: str) -> bool:
    return earlier.email.casefold() == email.casefold()
