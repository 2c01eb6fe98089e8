"""Contract of undoing a moderator's rejection, and of held emails: the in-memory fake, SQLite
and PostgreSQL alike.
"""

# The catalog suite's fixtures are imported by name, and tests take them as parameters of the
# same name: that is how pytest injects them, not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta

from photogate.adapters.sql.catalog import open_sql_catalog
from photogate.domain.catalog import EmailRecord, EmailStatus
from photogate.domain.submission import SCANNABLE, Status, Submission
from photogate.ports.catalog import Catalog
from tests.contract.test_catalog import (  # noqa: F401 - fixtures are found by name
    TickingClock,
    an_email,
    an_outbox,
    backend,
    catalog,
    clock,
    needing_review,
    postgres_url,
    received,
)

WINDOW = timedelta(seconds=60)
SAM = "moderator:sam"
UNDONE = "rejection undone"


async def rejected(
    catalog: Catalog, clock: TickingClock, *, actor: str = SAM, email: bool = True
) -> tuple[Submission, EmailRecord | None, datetime]:
    """A photo in review rejected by `actor` now, its email (if any) held for WINDOW; the
    moment of the rejection, as its audit entry gives it.
    """
    submission = await needing_review(catalog)
    at = clock.now
    held = replace(an_email(submission.id, "rejection"), held_until=at + WINDOW) if email else None
    if held is None:
        assert await catalog.transition(
            submission.id, allowed_from={Status.NEEDS_REVIEW}, to=Status.REJECTED, actor=actor
        )
    else:
        assert await catalog.transition_with_email(
            submission.id,
            allowed_from={Status.NEEDS_REVIEW},
            to=Status.REJECTED,
            actor=actor,
            reason="spam",
            email=held,
            outbox=an_outbox(submission.id, "notify"),
        )
    return submission, held, (await catalog.audit_trail(submission.id))[-1].at


async def undo(
    catalog: Catalog,
    submission_id: str,
    at: datetime,
    since: datetime,
    rejected_at: datetime | None = None,
) -> bool:
    """Ada's undo at `at` of the rejection at `rejected_at` (by default the latest entry's)."""
    if rejected_at is None:
        rejected_at = (await catalog.audit_trail(submission_id))[-1].at
    return await catalog.undo_rejection(
        submission_id,
        actor="moderator:ada",
        reason=UNDONE,
        rejected_at=rejected_at,
        since=since,
        now=at,
    )


async def test_a_recent_rejection_goes_back_to_review_and_its_held_email_is_withdrawn(
    catalog: Catalog, clock: TickingClock
) -> None:
    """Within the window: in review again, audited as the undoing moderator's, email gone."""
    submission, email, at = await rejected(catalog, clock)
    assert email is not None
    assert await undo(catalog, submission.id, at + timedelta(seconds=5), at - WINDOW)
    stored = await catalog.get_submission(submission.id)
    assert stored is not None and stored.status is Status.NEEDS_REVIEW
    last = (await catalog.audit_trail(submission.id))[-1]
    assert (last.from_status, last.to_status, last.actor, last.reason) == (
        Status.REJECTED,
        Status.NEEDS_REVIEW,
        "moderator:ada",
        "rejection undone",
    )
    assert await catalog.get_email(email.id) is None


async def test_a_rejection_without_an_email_is_undone_too(
    catalog: Catalog, clock: TickingClock
) -> None:
    """No email owed (rejections not notified): the photo just goes back to review."""
    submission, _, at = await rejected(catalog, clock, email=False)
    assert await undo(catalog, submission.id, at, at - WINDOW)
    stored = await catalog.get_submission(submission.id)
    assert stored is not None and stored.status is Status.NEEDS_REVIEW


async def test_a_rejection_before_the_window_stands(catalog: Catalog, clock: TickingClock) -> None:
    """Rejected before `since`: False, still rejected, the email still owed, no audit entry."""
    submission, email, at = await rejected(catalog, clock)
    assert email is not None
    trail = await catalog.audit_trail(submission.id)
    assert not await undo(catalog, submission.id, at, at + timedelta(seconds=1))
    stored = await catalog.get_submission(submission.id)
    assert stored is not None and stored.status is Status.REJECTED
    assert await catalog.audit_trail(submission.id) == trail
    assert await catalog.get_email(email.id) == email


async def test_the_scanners_rejection_is_not_undone(catalog: Catalog, clock: TickingClock) -> None:
    """Only a moderator's rejection can be taken back here."""
    submission, _, at = await rejected(catalog, clock, actor="scanner:v2", email=False)
    assert not await undo(catalog, submission.id, at, at - WINDOW)
    stored = await catalog.get_submission(submission.id)
    assert stored is not None and stored.status is Status.REJECTED


async def test_a_held_email_cannot_be_claimed_until_its_hold_is_over(
    catalog: Catalog, clock: TickingClock
) -> None:
    """No sender gets it while held, even at the hold's last instant; one does once it ends."""
    _, email, _ = await rejected(catalog, clock)
    assert email is not None and email.held_until is not None
    lease = timedelta(minutes=5)
    last_instant = email.held_until - timedelta(milliseconds=1)
    assert not await catalog.claim_email(email.id, now=last_instant, until=last_instant + lease)
    end = email.held_until
    assert await catalog.claim_email(email.id, now=end, until=end + lease)


async def test_once_its_email_is_claimed_or_sent_the_rejection_stands(
    catalog: Catalog, clock: TickingClock
) -> None:
    """A sender claimed the email after its hold: an undo (on a clock a little behind, still
    inside the window) changes nothing; nor after it was sent.
    """
    submission, email, at = await rejected(catalog, clock)
    assert email is not None and email.held_until is not None
    end = email.held_until
    assert await catalog.claim_email(email.id, now=end, until=end + timedelta(minutes=5))
    behind = end - timedelta(seconds=1)
    assert not await undo(catalog, submission.id, behind, at - WINDOW)
    await catalog.mark_email_sent(email.id, end)
    assert not await undo(catalog, submission.id, behind, at - WINDOW)
    stored = await catalog.get_submission(submission.id)
    assert stored is not None and stored.status is Status.REJECTED
    sent = await catalog.get_email(email.id)
    assert sent is not None and sent.status is EmailStatus.SENT


async def test_after_an_undo_the_photo_can_be_rejected_again_with_a_new_email(
    catalog: Catalog, clock: TickingClock
) -> None:
    """The withdrawn email leaves room for the one a second rejection owes."""
    submission, _, at = await rejected(catalog, clock)
    assert await undo(catalog, submission.id, at, at - WINDOW)
    again = replace(an_email(submission.id, "rejection"), held_until=clock.now + WINDOW)
    assert await catalog.transition_with_email(
        submission.id,
        allowed_from={Status.NEEDS_REVIEW},
        to=Status.REJECTED,
        actor=SAM,
        reason="low quality",
        email=again,
        outbox=an_outbox(submission.id, "notify"),
    )
    assert await catalog.get_email(again.id) == again


async def test_an_undo_names_its_rejection_and_never_takes_back_a_later_one(
    catalog: Catalog, clock: TickingClock
) -> None:
    """Sam's rejection was undone and the photo rejected again: an undo naming sam's rejection
    (a stale button) changes nothing; one naming the latest rejection takes that one back.
    """
    submission, _, first = await rejected(catalog, clock, email=False)
    assert await undo(catalog, submission.id, first, first - WINDOW)
    assert await catalog.transition(
        submission.id,
        allowed_from={Status.NEEDS_REVIEW},
        to=Status.REJECTED,
        actor="moderator:ada",
        reason="copyright",
    )
    trail = await catalog.audit_trail(submission.id)
    second = trail[-1].at
    assert not await undo(catalog, submission.id, second, first - WINDOW, rejected_at=first)
    stored = await catalog.get_submission(submission.id)
    assert stored is not None and stored.status is Status.REJECTED
    assert await catalog.audit_trail(submission.id) == trail
    assert await undo(catalog, submission.id, second, first - WINDOW, rejected_at=second)


async def test_an_undo_naming_no_rejection_of_the_photo_changes_nothing(
    catalog: Catalog, clock: TickingClock
) -> None:
    """A time that is not the latest rejection's (a crafted or garbled form): False."""
    submission, email, at = await rejected(catalog, clock)
    assert email is not None
    elsewhen = at - timedelta(milliseconds=1)
    assert not await undo(catalog, submission.id, at, at - WINDOW, rejected_at=elsewhen)
    stored = await catalog.get_submission(submission.id)
    assert stored is not None and stored.status is Status.REJECTED
    assert await catalog.get_email(email.id) == email


async def test_an_undone_photo_shows_the_reason_it_was_in_review_for(
    catalog: Catalog, clock: TickingClock
) -> None:
    """Back in review, the photo's status_reason is the scanner's again, even after a second
    rejection and undo; the audit entries of the undos say "rejection undone".
    """
    submission = await received(catalog)
    assert await catalog.transition(
        submission.id,
        allowed_from=SCANNABLE,
        to=Status.NEEDS_REVIEW,
        actor="scanner:ref-1.2",
        reason="unsure: weapons 0.42",
    )
    for _ in range(2):
        assert await catalog.transition(
            submission.id, allowed_from={Status.NEEDS_REVIEW}, to=Status.REJECTED, actor=SAM
        )
        at = (await catalog.audit_trail(submission.id))[-1].at
        assert await undo(catalog, submission.id, at, at - WINDOW)
        stored = await catalog.get_submission(submission.id)
        assert stored is not None
        assert (stored.status, stored.status_reason) == (
            Status.NEEDS_REVIEW,
            "unsure: weapons 0.42",
        )
        last = (await catalog.audit_trail(submission.id))[-1]
        assert (last.to_status, last.reason) == (Status.NEEDS_REVIEW, UNDONE)


async def test_an_undo_and_a_sender_racing_for_the_held_email_never_both_win(
    catalog: Catalog, clock: TickingClock, backend: str | None
) -> None:
    """An undo on a clock a second before the hold ends and a sender on one a second after it,
    at once (through a second catalog on the same database): at most one of them wins, and a
    sender's win leaves the photo rejected with its email owed.
    """
    other = catalog if backend is None else await open_sql_catalog(backend, clock=clock)
    try:
        for _ in range(20):
            submission, email, at = await rejected(catalog, clock)
            assert email is not None and email.held_until is not None
            end = email.held_until
            behind, ahead = end - timedelta(seconds=1), end + timedelta(seconds=1)
            undone, claimed = await asyncio.gather(
                undo(catalog, submission.id, behind, behind - WINDOW, rejected_at=at),
                other.claim_email(email.id, now=ahead, until=ahead + WINDOW),
            )
            assert not (undone and claimed)
            stored = await catalog.get_submission(submission.id)
            assert stored is not None
            assert stored.status is (Status.NEEDS_REVIEW if undone else Status.REJECTED)
            assert (await catalog.get_email(email.id) is None) is undone
    finally:
        if other is not catalog:
            await other.aclose()
