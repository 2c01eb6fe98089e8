"""Undoing a moderator's rejection: its email waits out the undo window (held, not failed),
an undo inside the window puts the photo back in review and withdraws that email, and after
the window, or once the email is on its way, the rejection stands.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from photogate.clock import Clock
from photogate.domain.moderation import ReasonCode
from photogate.domain.submission import Status
from photogate.errors import EmailInFlight, NotFound
from photogate.messages import NOTIFY_QUEUE, field_of
from photogate.moderation.review import (
    REJECTION_UNDONE,
    UndoWindow,
    reject_submission,
    undo_rejection,
)
from photogate.notifying.thank_customer import NotifyPolicy, thank_customer
from tests.support.console import in_review
from tests.unit.conftest import SKU, Fakes

WINDOW = timedelta(seconds=60)


def shifted(by: timedelta = timedelta(0)) -> Clock:
    """The real UTC clock moved by `by` (the fake catalog stamps the audit with the real one)."""
    return lambda: datetime.now(UTC) + by


async def rejected_with_email(fakes: Fakes, undo: UndoWindow | None) -> tuple[str, str]:
    """A photo in review rejected by sam with an email owed; its id and the email's."""
    submission = await in_review(fakes.ports, SKU)
    assert await reject_submission(
        submission.id,
        moderator="sam",
        code=ReasonCode.LOW_QUALITY,
        notify=True,
        ports=fakes.ports,
        undo=undo,
    )
    [notice] = await fakes.queue.receive(NOTIFY_QUEUE)
    return submission.id, field_of(notice.body, "email_id")


async def undo(fakes: Fakes, submission_id: str, window: UndoWindow) -> bool:
    """Ada's undo, by `window`, of the photo's latest rejection."""
    rejected_at = (await fakes.catalog.audit_trail(submission_id))[-1].at
    return await undo_rejection(
        submission_id, moderator="ada", ports=fakes.ports, undo=window, rejected_at=rejected_at
    )


async def test_the_rejection_email_waits_out_the_window_without_costing_an_attempt(
    fakes: Fakes, notify_policy: NotifyPolicy
) -> None:
    """Sent before the window ends: held back as EmailInFlight (throttled) for what is left of
    the window; nothing reaches the mailer. After it, it is sent once.
    """
    _, email_id = await rejected_with_email(fakes, UndoWindow(WINDOW, shifted()))
    with pytest.raises(EmailInFlight) as held:
        await thank_customer(email_id, ports=fakes.ports, policy=notify_policy)
    assert held.value.retry_after == pytest.approx(60, abs=5)
    assert fakes.mailer.sent == []
    later = replace(notify_policy, clock=shifted(WINDOW + timedelta(seconds=1)))
    await thank_customer(email_id, ports=fakes.ports, policy=later)
    assert len(fakes.mailer.sent) == 1


async def test_an_undo_inside_the_window_returns_the_photo_to_review_and_emails_no_one(
    fakes: Fakes, notify_policy: NotifyPolicy
) -> None:
    """Undone by ada: in review again, audited as hers, and the held email is gone for good."""
    window = UndoWindow(WINDOW, shifted())
    submission_id, email_id = await rejected_with_email(fakes, window)
    assert await undo(fakes, submission_id, window)
    stored = await fakes.catalog.get_submission(submission_id)
    assert stored is not None and stored.status is Status.NEEDS_REVIEW
    last = (await fakes.catalog.audit_trail(submission_id))[-1]
    assert (last.actor, last.reason) == ("moderator:ada", REJECTION_UNDONE)
    later = replace(notify_policy, clock=shifted(WINDOW * 2))
    assert await thank_customer(email_id, ports=fakes.ports, policy=later) is None
    assert fakes.mailer.sent == []


async def test_after_the_window_the_rejection_stands(fakes: Fakes) -> None:
    """An undo a second past the window changes nothing."""
    submission_id, _ = await rejected_with_email(fakes, UndoWindow(WINDOW, shifted()))
    late = UndoWindow(WINDOW, shifted(WINDOW + timedelta(seconds=1)))
    assert not await undo(fakes, submission_id, late)
    stored = await fakes.catalog.get_submission(submission_id)
    assert stored is not None and stored.status is Status.REJECTED


async def test_once_the_email_went_out_the_rejection_stands(
    fakes: Fakes, notify_policy: NotifyPolicy
) -> None:
    """The notifier's clock ran ahead and sent it: an undo on a clock inside the window fails."""
    window = UndoWindow(WINDOW, shifted())
    submission_id, email_id = await rejected_with_email(fakes, window)
    ahead = replace(notify_policy, clock=shifted(WINDOW + timedelta(seconds=1)))
    await thank_customer(email_id, ports=fakes.ports, policy=ahead)
    assert not await undo(fakes, submission_id, window)
    assert len(fakes.mailer.sent) == 1


async def test_without_a_window_the_email_goes_at_once(
    fakes: Fakes, notify_policy: NotifyPolicy
) -> None:
    """No undo window (PHOTOGATE_CONSOLE__UNDO_S=0): nothing held, sent on the first try."""
    _, email_id = await rejected_with_email(fakes, None)
    email = await fakes.catalog.get_email(email_id)
    assert email is not None and email.held_until is None
    await thank_customer(email_id, ports=fakes.ports, policy=notify_policy)
    assert len(fakes.mailer.sent) == 1


async def test_undoing_an_unknown_photo_is_not_found(fakes: Fakes) -> None:
    with pytest.raises(NotFound):
        await undo_rejection(
            "0" * 32,
            moderator="ada",
            ports=fakes.ports,
            undo=UndoWindow(WINDOW, shifted()),
            rejected_at=datetime.now(UTC),
        )
