"""Use case: send one owed email (a thank-you, or a moderator's rejection), exactly once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from photogate.clock import Clock, utcnow
from photogate.domain.catalog import EmailStatus
from photogate.errors import (
    EmailInFlight,
    MailDeferred,
    MailRejected,
    MailUnconfirmed,
    TransientError,
)
from photogate.notifying.compose import REJECTION, ThankYou, compose_rejection, compose_thank_you
from photogate.ports import Ports
from photogate.privacy.links import WithdrawalLinks

log = logging.getLogger(__name__)

# A sender's claim on an email must outlast its send: too short, and a redelivery sends a
# second copy while a slow send still runs; too long only delays an email whose sender crashed
# mid-send. SmtpMailer's smtp_timeout_s (30 s by default) bounds each SMTP command, not the
# whole send: connect, EHLO, STARTTLS, EHLO, AUTH, MAIL, RCPT, DATA and the message are some
# nine waits, 270 s at worst. So the send is cut off at a deadline (mail.send_deadline_s, 4
# minutes by default, under host.json's 5-minute functionTimeout), and the claim lasts a
# quarter longer, time to record the delivery before anyone else may claim the email: a
# 5-minute lease by default.
SEND_DEADLINE = timedelta(minutes=4)
# A notification held back by someone else's claim looks again this soon (or when the lease
# ends, if sooner): a send in flight usually ends within seconds, and a held-back retry costs
# no attempt.
IN_FLIGHT_RETRY = timedelta(seconds=10)
RECORD_RETRIES = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


@dataclass(frozen=True)
class NotifyPolicy:
    """What the notify stage needs besides its ports."""

    sender: str
    shop_url: str
    clock: Clock = utcnow
    # Signs the withdrawal link in every email; None: emails carry no link (bare test setups).
    links: WithdrawalLinks | None = None
    send_deadline: timedelta = SEND_DEADLINE
    # Seconds to wait before each retry of recording a send after a passing catalog error;
    # together far shorter than the claim, which holds off every other sender meanwhile.
    record_retries: tuple[float, ...] = RECORD_RETRIES

    @property
    def claim_lease(self) -> timedelta:
        """How long a sender's claim keeps other deliveries from sending the same email."""
        return self.send_deadline * 5 / 4


async def thank_customer(
    email_id: str, *, ports: Ports, policy: NotifyPolicy
) -> EmailStatus | None:
    """Send the email unless it was sent or given up already; returns its state afterwards.

    The sender claims the email in the catalog for `policy.claim_lease` first, so two deliveries of
    one notification (two workers, or a redelivery during a slow send) never send at once: the
    loser raises EmailInFlight (throttled, no attempt counted) and on its retry finds the email
    sent, or the claim run out and sends it. A 4xx from the mail server (MailDeferred) releases
    the claim, is recorded and re-raised so the caller retries with backoff; a 5xx
    (MailRejected) marks the email failed for good.

    A server that took the whole message but whose answer was lost (MailUnconfirmed) has most
    likely delivered it: the email is recorded sent, the lost answer as its last error, and
    never sent again. The record of a delivery is retried in place on a passing catalog error
    (`policy.record_retries`), while the claim keeps everyone else from sending.

    Still at least once, not exactly once: a crash after the mail server accepted the message
    but before mark_email_sent (or a catalog down for longer than those retries) leaves the
    email pending, and it is sent again once the claim runs out. SMTP offers nothing better;
    the window is that one send, not every redelivery.
    """
    thanks = await _load(email_id, ports, policy)
    if thanks is None:
        return None
    _wait_out_hold(thanks, policy)
    await _claim(email_id, ports, policy)
    try:
        await _send(thanks, ports, policy.send_deadline)
    except MailRejected as exc:
        await ports.catalog.mark_email_attempt(email_id, str(exc), final=True)
        return EmailStatus.FAILED
    except MailDeferred as exc:
        # Released first: the retry need not wait out the lease of a send that did not happen.
        await ports.catalog.release_email(email_id)
        await ports.catalog.mark_email_attempt(email_id, str(exc), final=False)
        raise
    except MailUnconfirmed as exc:
        log.warning("email %s: %s; recorded sent, not sent again", email_id, exc)
        await _recorded(
            partial(ports.catalog.mark_email_attempt, email_id, str(exc), final=False), policy
        )
    await _recorded(partial(ports.catalog.mark_email_sent, email_id, policy.clock()), policy)
    await _forget_if_erased(thanks, ports)
    return EmailStatus.SENT


async def _recorded(write: Callable[[], Awaitable[object]], policy: NotifyPolicy) -> None:
    """Make a write that records a send, retrying it after a passing catalog error: past
    the send, a retry by the queue would send the email again.
    """
    for delay in policy.record_retries:
        try:
            await write()
        except TransientError as exc:
            log.warning("recording a sent email failed (%s); again in %g s", exc, delay)
            await asyncio.sleep(delay)
        else:
            return
    await write()


async def give_up(email_id: str, reason: str, *, ports: Ports) -> None:
    """Mark an email failed after its message ran out of attempts (`photogate dlq replay`
    owes it again).
    """
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
    return ThankYou(
        email,
        submission,
        product,
        photo,
        policy.shop_url,
        policy.sender,
        withdraw,
        written_at=policy.clock(),
    )


def _wait_out_hold(thanks: ThankYou, policy: NotifyPolicy) -> None:
    """Raise EmailInFlight (no attempt counted) until the email's hold is over: a moderator's
    rejection may still be undone, and its email withdrawn.
    """
    held_until = thanks.email.held_until
    now = policy.clock()
    if held_until is not None and now < held_until:
        raise EmailInFlight(
            f"email {thanks.email.id} is held until {held_until:%H:%M:%S} UTC, while the"
            " moderator's decision can still be undone",
            retry_after=(held_until - now).total_seconds(),
        )


async def _claim(email_id: str, ports: Ports, policy: NotifyPolicy) -> None:
    """Claim the email for the policy's lease, or raise EmailInFlight if someone holds it."""
    now = policy.clock()
    if not await ports.catalog.claim_email(email_id, now=now, until=now + policy.claim_lease):
        retry_after = min(IN_FLIGHT_RETRY, policy.claim_lease).total_seconds()
        raise EmailInFlight(
            f"email {email_id} is being sent by another delivery", retry_after=retry_after
        )


async def _forget_if_erased(thanks: ThankYou, ports: Ports) -> None:
    """Delete the mailer's copy of this email if its customer was erased during the send.

    The erasure deletes copies before and after blanking the customer's rows; a copy written
    after that is this send's, and a blank address on its email says the erasure happened.
    """
    email = await ports.catalog.get_email(thanks.email.id)
    if email is not None and not email.to:
        await ports.mailer.forget_recipient(thanks.email.to)


async def _send(thanks: ThankYou, ports: Ports, deadline: timedelta) -> None:
    """Compose and send; a send outlasting `deadline` is cut off as a deferral."""
    compose = compose_rejection if thanks.email.kind == REJECTION else compose_thank_you
    seconds = deadline.total_seconds()
    try:
        async with asyncio.timeout(seconds):
            await ports.mailer.send(compose(thanks))
    except TimeoutError as exc:
        raise MailDeferred(f"the mail server did not finish within {seconds:g} s") from exc
