"""Use case: erase a customer's data (withdrawal link, console or CLI); the audit keeps no PD."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

from email_validator import EmailNotValidError, validate_email

from photogate.clock import utcnow
from photogate.domain.erasure import ErasureRequest
from photogate.domain.submission import Status, Submission
from photogate.errors import InputError, NotFound, StorageUnavailable
from photogate.intake.limits import forget_customer
from photogate.moderation.takedown import take_down
from photogate.ports import Container, Ports
from photogate.publishing.publish import delete_all_public

log = logging.getLogger(__name__)

LINK_ACTOR: Final = "customer:withdrawal-link"
# What the audit says: no address, no name, nothing the customer wrote.
REASON: Final = "erased at the customer's request"
TAKEDOWN_REASON: Final = "the customer withdrew consent"
MAX_REFERENCE: Final = 64
# Reads, takedowns and erasures of one submission before giving up (see _erase_one).
_ATTEMPTS: Final = 3


@dataclass(frozen=True)
class Why:
    """What the audit says of an erasure: on the takedown of a published photo, and on the
    erasure itself. A customer's own withdrawal has the defaults; staff give their reason.
    """

    takedown: str = TAKEDOWN_REASON
    erasure: str = REASON


@dataclass(frozen=True)
class ErasurePlan:
    """What erasing a customer would do now: submissions left to erase, photos on the shop."""

    submissions: int
    published: int


@dataclass(frozen=True)
class Erasure:
    """What an erasure did: submissions erased now, photos unpublished, those done before, and
    copies of emails sent to the customer that the mailer kept (the file mailer's .eml files).
    """

    erased: int = 0
    unpublished: int = 0
    already_erased: int = 0
    mail_copies: int = 0

    def __add__(self, other: Erasure) -> Erasure:
        return Erasure(
            self.erased + other.erased,
            self.unpublished + other.unpublished,
            self.already_erased + other.already_erased,
            self.mail_copies + other.mail_copies,
        )


async def erase_customer(
    email: str, *, actor: str, ports: Ports, reason: str | None = None
) -> Erasure:
    """Erase every submission sent with `email`: photos unpublished, originals deleted, address,
    name and caption blanked, owed emails cancelled, each audited as `actor`, and the mailer's
    copies of emails sent to `email` deleted. Idempotent.

    `reason` (which must name no one) is what the audit says of every step; without it, the
    audit says the customer asked. An address with no submissions erases none, but any mail
    copies still kept for it go (say, from a send that was in flight during an erasure).
    """
    address = _checked(email)
    submissions = await ports.catalog.customer_submissions(address)
    why = Why(reason, reason) if reason else Why()
    return await _erase_all(address, submissions, actor, why, ports)


async def erasure_plan(email: str, *, ports: Ports) -> ErasurePlan:
    """What `erase_customer` would do now, changing nothing: for a confirmation step."""
    found = await ports.catalog.customer_submissions(_checked(email))
    left = [s for s in found if s.status is not Status.ERASED]
    return ErasurePlan(len(left), sum(s.status is Status.APPROVED for s in left))


async def erase_by_link(submission_id: str, *, ports: Ports) -> Erasure:
    """Erase the data of the customer who sent `submission_id` (from a verified link).

    The linked submission goes last: it alone leads the link to the customer's address, so if
    any erasure before it fails, using the link again finds it and finishes the rest.
    """
    submission = await ports.catalog.get_submission(submission_id)
    if submission is None:
        raise NotFound("unknown_submission", "We have no photo for this link.")
    if submission.status is Status.ERASED:
        # Everything of this customer went with the first use of any of their links, or, if
        # that erasure stopped half-way, goes with the worker's next sweep of its requests.
        return Erasure(already_erased=1)
    found = await ports.catalog.customer_submissions(submission.email)
    linked_last = _linked_last(found, submission)
    return await _erase_all(submission.email, linked_last, LINK_ACTOR, Why(), ports)


async def _erase_all(
    address: str, submissions: list[Submission], actor: str, why: Why, ports: Ports
) -> Erasure:
    """Erase `submissions`, the upload counts kept under keys derived from `address`, and the
    mailer's copies of what was sent to `address`.

    The counts and copies go first, so that if this stops half-way the rows still name the
    customer for a retry; the copies again last, for one written meanwhile by a send already
    under way (one that finishes after the rows are blanked deletes its own copy: see
    thank_customer).

    Each erasure is recorded first (Catalog.request_erasure): should this stop half-way, the
    worker finishes the rest (finish_requested_erasures), though no row may name the customer
    any more.
    """
    now = utcnow()
    requests = [
        ErasureRequest(s.id, actor, why.takedown, why.erasure, now)
        for s in submissions
        if s.status is not Status.ERASED
    ]
    await ports.catalog.request_erasure(requests)
    sent = {(address, s.sku) for s in submissions} | {(s.email, s.sku) for s in submissions}
    await forget_customer(ports.catalog, sent)
    done = Erasure(mail_copies=await ports.mailer.forget_recipient(address))
    for submission in submissions:
        done += await _erase_one(submission, actor, why, ports)
    return done + Erasure(mail_copies=await ports.mailer.forget_recipient(address))


async def finish_requested_erasures(ports: Ports, *, limit: int = 100) -> Erasure:
    """Carry out the erasures recorded and left half-done (storage or the database failed
    during them), each as its request says (actor and reasons); the worker runs this
    periodically. Raises StorageUnavailable, once it has tried them all, if any failed again.
    """
    done, failed = Erasure(), 0
    for request in await ports.catalog.erasure_requests(limit):
        try:
            done += await _finish(request, ports)
        except Exception:
            log.warning("finishing the erasure of %s failed", request.submission_id, exc_info=True)
            failed += 1
    if failed:
        raise StorageUnavailable(f"{failed} erasure(s) could not be finished; trying again later")
    return done


async def _finish(request: ErasureRequest, ports: Ports) -> Erasure:
    submission = await ports.catalog.get_submission(request.submission_id)
    if submission is None or submission.status is Status.ERASED:
        return Erasure()
    why = Why(request.takedown_reason, request.erasure_reason)
    log.info("finishing the erasure of %s asked for by %s", submission.id, request.actor)
    return await _erase_all(submission.email, [submission], request.actor, why, ports)


def _linked_last(found: list[Submission], linked: Submission) -> list[Submission]:
    return [*(s for s in found if s.id != linked.id), linked]


async def _erase_one(submission: Submission, actor: str, why: Why, ports: Ports) -> Erasure:
    """Files first: if this stops half-way, the row still names the customer, so a retry
    finds it and finishes.

    A published photo is taken down (its files, then its row) before the catalog erases the
    submission, which it refuses while one is published. An approval landing in between (a
    scan's or a moderator's) makes it refuse once: the photo is then taken down too, and the
    erasure tried again; an approval can only come once, so that happens at most once.
    """
    unpublished = 0
    for _ in range(_ATTEMPTS):
        current = await ports.catalog.get_submission(submission.id)
        if current is None or current.status is Status.ERASED:
            return Erasure(unpublished=unpublished, already_erased=1)
        if current.status is Status.APPROVED:
            done = await take_down(submission.id, actor=actor, reason=why.takedown, ports=ports)
            unpublished += int(done)
        await ports.blobs.delete(Container.QUARANTINE, submission.original_blob)
        await delete_all_public(submission.id, ports)  # what a crashed publish left unnamed
        if await ports.catalog.erase_submission(submission.id, actor=actor, reason=why.erasure):
            log.info("erased submission %s (%s)", submission.id, actor)
            return Erasure(1, unpublished)
    raise StorageUnavailable(f"submission {submission.id} kept changing while being erased")


def admin_reason(reference: str) -> str:
    """What the audit says of an admin's erasure: "erased by admin: <reference>"."""
    return f"erased by admin: {checked_reference(reference)}"


def checked_reference(reference: str) -> str:
    """A request reference (a ticket or case number) on one line; InputError if it is missing,
    too long, or looks like an address (the audit keeps no personal data).
    """
    reference = " ".join(reference.split())
    if not reference:
        detail = "Please give the request's reference (a ticket or case number) for the audit."
        raise InputError("reference_required", detail, status=422)
    if len(reference) > MAX_REFERENCE:
        detail = f"Keep the reference under {MAX_REFERENCE} characters."
        raise InputError("reference_too_long", detail, status=422)
    if "@" in reference:
        detail = "Give a ticket or case number, not an address: the audit keeps no personal data."
        raise InputError("reference_personal", detail, status=422)
    return reference


def _checked(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InputError("invalid_email", f"That is not an email address: {exc}") from None
