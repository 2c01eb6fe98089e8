"""Use case: thank the customer. One email per approval; 4xx retried, 5xx given up."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from photogate.domain.catalog import EmailStatus
from photogate.errors import MailDeferred, MailRejected, MailUnconfirmed, StorageUnavailable
from photogate.messages import NOTIFY_QUEUE, field_of
from photogate.notifying.thank_customer import NotifyPolicy, thank_customer
from photogate.scanning.scan_submission import ScanPolicy, scan_submission
from tests.unit.conftest import Fakes
from tests.unit.test_scan_and_publish import uploaded


async def owed_email(fakes: Fakes, tmp_path: Path, scan_policy: ScanPolicy) -> str:
    sid = await uploaded(fakes, tmp_path)
    await scan_submission(sid, ports=fakes.ports, policy=scan_policy)
    (message,) = await fakes.queue.receive(NOTIFY_QUEUE)
    return field_of(message.body, "email_id")


async def test_one_email_names_the_product_and_links_to_it(
    fakes: Fakes, tmp_path: Path, scan_policy: ScanPolicy, notify_policy: NotifyPolicy
) -> None:
    """The thank-you goes to the customer, names the product, links its page, text and HTML."""
    email_id = await owed_email(fakes, tmp_path, scan_policy)
    status = await thank_customer(email_id, ports=fakes.ports, policy=notify_policy)
    assert status is EmailStatus.SENT
    (message,) = fakes.mailer.sent
    assert message["To"] == "Kim <kim@example.com>"
    assert "Trail Tent 2P" in message["Subject"]
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    assert "http://shop.example/products/TT-TENT-2P" in text.get_content()
    assert 'href="http://shop.example/products/TT-TENT-2P"' in html.get_content()
    record = await fakes.catalog.get_email(email_id)
    assert record is not None and record.status is EmailStatus.SENT
    submission = await fakes.catalog.get_submission(record.submission_id)
    assert submission is not None and submission.thanked_at is not None


async def test_second_delivery_sends_nothing(
    fakes: Fakes, tmp_path: Path, scan_policy: ScanPolicy, notify_policy: NotifyPolicy
) -> None:
    """A redelivered notification does not send a second email."""
    email_id = await owed_email(fakes, tmp_path, scan_policy)
    await thank_customer(email_id, ports=fakes.ports, policy=notify_policy)
    assert await thank_customer(email_id, ports=fakes.ports, policy=notify_policy) is None
    assert len(fakes.mailer.sent) == 1


async def test_4xx_is_recorded_and_retried(
    fakes: Fakes, tmp_path: Path, scan_policy: ScanPolicy, notify_policy: NotifyPolicy
) -> None:
    """A deferral is recorded and re-raised so the message comes back; the retry sends it."""
    email_id = await owed_email(fakes, tmp_path, scan_policy)
    fakes.mailer.fail_next(1, MailDeferred("451 try later"))
    with pytest.raises(MailDeferred):
        await thank_customer(email_id, ports=fakes.ports, policy=notify_policy)
    record = await fakes.catalog.get_email(email_id)
    assert record is not None and record.attempts == 1 and record.last_error == "451 try later"
    assert (
        await thank_customer(email_id, ports=fakes.ports, policy=notify_policy) is EmailStatus.SENT
    )


async def test_5xx_fails_the_email_for_good(
    fakes: Fakes, tmp_path: Path, scan_policy: ScanPolicy, notify_policy: NotifyPolicy
) -> None:
    """A permanent rejection marks the email failed and it is never tried again."""
    email_id = await owed_email(fakes, tmp_path, scan_policy)
    fakes.mailer.fail_next(1, MailRejected("550 no such user"))
    assert (
        await thank_customer(email_id, ports=fakes.ports, policy=notify_policy)
        is EmailStatus.FAILED
    )
    assert await thank_customer(email_id, ports=fakes.ports, policy=notify_policy) is None
    assert fakes.mailer.sent == []


async def test_a_message_taken_but_not_answered_is_recorded_sent_and_never_resent(
    fakes: Fakes, tmp_path: Path, scan_policy: ScanPolicy, notify_policy: NotifyPolicy
) -> None:
    """The server has the message (its answer was lost): sent, with the lost answer noted,
    and a redelivery sends nothing, since a second copy is what a retry would deliver.
    """
    email_id = await owed_email(fakes, tmp_path, scan_policy)
    fakes.mailer.fail_next(1, MailUnconfirmed("took the message but did not answer"))
    outcome = await thank_customer(email_id, ports=fakes.ports, policy=notify_policy)
    record = await fakes.catalog.get_email(email_id)
    assert outcome is EmailStatus.SENT
    assert record is not None and record.status is EmailStatus.SENT and record.attempts == 1
    assert record.last_error == "took the message but did not answer"
    assert await thank_customer(email_id, ports=fakes.ports, policy=notify_policy) is None
    assert fakes.mailer.failures_left == 0 and fakes.mailer.sent == []


def failing_marks(fakes: Fakes, times: int) -> list[int]:
    """Make the catalog's next `times` mark_email_sent calls fail as a locked database does;
    returns the list that counts every call.
    """
    real, calls = fakes.catalog.mark_email_sent, []

    async def flaky(email_id: str, at: datetime) -> bool:
        calls.append(1)
        if len(calls) <= times:
            raise StorageUnavailable("the catalog database is unavailable: database is locked")
        return await real(email_id, at)

    fakes.catalog.mark_email_sent = flaky  # type: ignore[method-assign]
    return calls


async def test_recording_a_send_is_retried_in_place_after_a_passing_catalog_error(
    fakes: Fakes, tmp_path: Path, scan_policy: ScanPolicy, notify_policy: NotifyPolicy
) -> None:
    """The mail went out and the record failed twice: retried at once, not by the queue,
    whose retry would send the email again once the claim ran out.
    """
    email_id = await owed_email(fakes, tmp_path, scan_policy)
    calls = failing_marks(fakes, times=2)
    policy = replace(notify_policy, record_retries=(0.0, 0.0, 0.0))
    assert await thank_customer(email_id, ports=fakes.ports, policy=policy) is EmailStatus.SENT
    record = await fakes.catalog.get_email(email_id)
    assert record is not None and record.status is EmailStatus.SENT
    assert len(calls) == 3 and len(fakes.mailer.sent) == 1


async def test_a_catalog_down_past_the_retries_raises_and_keeps_the_claim(
    fakes: Fakes, tmp_path: Path, scan_policy: ScanPolicy, notify_policy: NotifyPolicy
) -> None:
    """Past its retries the error goes up; the claim still holds, so an immediate redelivery
    is held back rather than sending a second copy.
    """
    email_id = await owed_email(fakes, tmp_path, scan_policy)
    calls = failing_marks(fakes, times=10)
    policy = replace(notify_policy, record_retries=(0.0,))
    with pytest.raises(StorageUnavailable):
        await thank_customer(email_id, ports=fakes.ports, policy=policy)
    assert len(calls) == 2
    assert not await fakes.catalog.claim_email(
        email_id, now=policy.clock(), until=policy.clock() + policy.claim_lease
    )
    assert len(fakes.mailer.sent) == 1


async def test_the_email_is_dated_when_it_is_written_not_when_the_photo_was_sent(
    fakes: Fakes, tmp_path: Path, scan_policy: ScanPolicy, notify_policy: NotifyPolicy
) -> None:
    """A thank-you after days in review is dated that day, so it sorts with today's mail."""
    email_id = await owed_email(fakes, tmp_path, scan_policy)
    later = datetime(2031, 6, 1, 9, 30, tzinfo=UTC)
    await thank_customer(
        email_id, ports=fakes.ports, policy=replace(notify_policy, clock=lambda: later)
    )
    [sent] = fakes.mailer.sent
    assert parsedate_to_datetime(sent["Date"]) == later
