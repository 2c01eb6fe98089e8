"""Use case: send one owed email (a thank-you, or a moderator's rejection), exactly once."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from photogate.clock import Clock, utcnow
from photogate.domain.catalog import EmailStatus
from photogate.errors import MailDeferred, MailRejected
from photogate.notifying.compose import REJECTION, ThankYou, compose_rejection, compose_thank_you
from photogate.ports import Ports
from photogate.privacy.links import WithdrawalLinks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NotifyPolicy:
    """What the notify stage needs besides its ports."""

    sender: str
    shop_url: str
    clock: Clock = utcnow
    # Signs the withdrawal link in every email; None: emails carry no link (bare test setups).
    links: WithdrawalLinks | None = None


async def thank_customer(
    email_id: str, *, ports: Ports, policy: NotifyPolicy
) -> EmailStatus | None:
    """Send the email unless it was sent or given up already; returns its state afterwards.

    A 4xx from the mail server (MailDeferred) is recorded and re-raised so the caller retries
    with backoff; a 5xx (MailRejected) marks the email failed for good.
    """
    thanks = await _load(email_id, ports, policy)
    if thanks is None:
        return None
    try:
        compose = compose_rejection if thanks.email.kind == REJECTION else compose_thank_you
        await ports.mailer.send(compose(thanks))
    except MailRejected as exc:
        await ports.catalog.mark_email_attempt(email_id, str(exc), final=True)
        return EmailStatus.FAILED
    except MailDeferred as exc:
        await ports.catalog.mark_email_attempt(email_id, str(exc), final=False)
        raise
    await ports.catalog.mark_email_sent(email_id, policy.clock())
    return EmailStatus.SENT


async def give_up(email_id: str, reason: str, *, ports: Ports) -> None:
    """Mark an email failed after its message ran out of attempts."""
    await ports.catalog.mark_email_attempt(email_id, reason, final=True)


async def _load(email_id: str, ports: Ports, policy: NotifyPolicy) -> ThankYou | None:
    email = await ports.catalog.get_email(email_id)
    if email is None or email.status is not EmailStatus.PENDING:
        return None
    submission = await ports.catalog.get_submission(email.submission_id)
    product = await ports.catalog.get_product(submission.sku) if submission else None
    if submission is None or product is None:
        log.error("email %s has no submission or product; giving up", email_id)
        await give_up(email_id, "submission or product no longer exists", ports=ports)
        return None
    photo = await ports.catalog.get_photo(submission.id)
    withdraw = policy.links.url(submission.id) if policy.links else ""
    return ThankYou(email, submission, product, photo, policy.shop_url, policy.sender, withdraw)
