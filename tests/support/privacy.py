"""Privacy test helpers: submissions of a given customer in a given state, with their files."""

from __future__ import annotations

from pathlib import Path

from photogate.clock import utcnow
from photogate.domain.catalog import OutboxMessage
from photogate.domain.submission import SCANNABLE, Status, Submission, new_id
from photogate.messages import NOTIFY_QUEUE, SCAN_QUEUE, field_of, scan_request
from photogate.moderation.review import approve_submission
from photogate.notifying.thank_customer import NotifyPolicy, thank_customer
from photogate.ports import Container, Ports
from photogate.testing import samples


async def sent_by(ports: Ports, sku: str, email: str, status: Status) -> Submission:
    """A submission of `email` in `status`, its original in quarantine (approved: published)."""
    submission = await _received(ports, sku, email)
    if status is Status.APPROVED:
        await _move(ports, submission.id, SCANNABLE, Status.NEEDS_REVIEW)
        assert await approve_submission(submission.id, moderator="seed", ports=ports)
    elif status is not Status.RECEIVED:
        await _move(ports, submission.id, SCANNABLE, status)
    stored = await ports.catalog.get_submission(submission.id)
    assert stored is not None
    return stored


async def send_owed_emails(ports: Ports, policy: NotifyPolicy) -> int:
    """Send the emails whose notifications are on the queue, as the notifier would; returns
    how many were sent.
    """
    sent = 0
    while notices := await ports.queue.receive(NOTIFY_QUEUE, max_messages=32):
        for notice in notices:
            email_id = field_of(notice.body, "email_id")
            sent += await thank_customer(email_id, ports=ports, policy=policy) is not None
            await ports.queue.delete(NOTIFY_QUEUE, notice)
    return sent


def mail_copies(outbox: Path, text: str) -> list[Path]:
    """Every file in the mailer's outbox folder (hidden ones too) whose bytes contain `text`."""
    files = sorted(p for p in outbox.rglob("*") if p.is_file()) if outbox.exists() else []
    return [p for p in files if text.encode() in p.read_bytes()]


async def _received(ports: Ports, sku: str, email: str) -> Submission:
    sid, now = new_id(), utcnow()
    submission = Submission(
        id=sid,
        sku=sku,
        email=email,
        display_name="Kim",
        caption="Kept us dry",
        original_blob=f"{sid}/original.jpeg",
        content_type="image/jpeg",
        size_bytes=1,
        width=640,
        height=480,
        created_at=now,
        consent_at=now,
        licence_version="2026-01",
    )
    photo = samples.clean_jpeg(640, 480, seed=int(sid[:6], 16))
    await ports.blobs.put(Container.QUARANTINE, submission.original_blob, photo, "image/jpeg")
    message = OutboxMessage(new_id(), SCAN_QUEUE, scan_request(sid), sid)
    await ports.catalog.add_submission(submission, message)
    await ports.catalog.mark_dispatched(message.id)
    return submission


async def _move(ports: Ports, submission_id: str, allowed: frozenset[Status], to: Status) -> None:
    moved = await ports.catalog.transition(submission_id, allowed_from=allowed, to=to, actor="t")
    assert moved is not None
