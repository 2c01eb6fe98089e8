"""Erasing a customer: photos unpublished, originals deleted, details blanked, audit clean."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from photogate.adapters.memory.blobs import InMemoryBlobStore
from photogate.adapters.memory.catalog import InMemoryCatalog
from photogate.adapters.memory.mailer import InMemoryMailer
from photogate.bootstrap import bootstrap
from photogate.clock import utcnow
from photogate.domain.catalog import EmailStatus, Product
from photogate.domain.submission import Status, Submission
from photogate.errors import InputError, NotFound, StorageUnavailable
from photogate.intake.limits import EMAIL_BUCKET, UploadLimits, email_slot
from photogate.moderation.review import approve_submission
from photogate.notifying.thank_customer import NotifyPolicy, thank_customer
from photogate.ports import Container, Ports
from photogate.privacy.erase import (
    LINK_ACTOR,
    REASON,
    TAKEDOWN_REASON,
    Erasure,
    ErasurePlan,
    admin_reason,
    erase_by_link,
    erase_customer,
    erasure_plan,
    finish_requested_erasures,
)
from photogate.privacy.links import WithdrawalLinks, link_key
from photogate.settings import UploadSettings, load_settings
from photogate.throttling import limit_key
from photogate.worker.runner import run_worker
from tests.support.privacy import sent_by
from tests.unit.conftest import SKU, Fakes
from tests.unit.test_thank_customer_claims import GatedMailer

ANA, BOB = "ana@example.com", "bob@example.com"
ACTOR = "operator:test"


class BlobsFailingOnce(InMemoryBlobStore):
    """A blob store whose first delete of each name in `failing` fails as an outage would."""

    def __init__(self) -> None:
        super().__init__()
        self.failing: set[str] = set()

    async def delete(self, container: Container, name: str) -> None:
        if name in self.failing:
            self.failing.discard(name)
            raise StorageUnavailable("blob storage unavailable (503)")
        await super().delete(container, name)


class CatalogFailingOnce(InMemoryCatalog):
    """A catalog whose first erasure of each id in `failing` fails as a lost database would."""

    def __init__(self) -> None:
        super().__init__()
        self.failing: set[str] = set()

    async def erase_submission(self, submission_id: str, *, actor: str, reason: str) -> bool:
        if submission_id in self.failing:
            self.failing.discard(submission_id)
            raise StorageUnavailable("catalog unavailable")
        return await super().erase_submission(submission_id, actor=actor, reason=reason)


async def failing_catalog(fakes: Fakes) -> CatalogFailingOnce:
    """Put a CatalogFailingOnce, with the product, in place of the fakes' catalog."""
    fakes.catalog = catalog = CatalogFailingOnce()
    await catalog.upsert_products([Product(SKU, "Trail Tent 2P", "A tent.", 19900)])
    return catalog


def owed_email_id(fakes: Fakes, submission_id: str) -> str:
    """The id of the email owed for the submission (the fake keeps them in a dict)."""
    # No port method lists the emails of a submission; the fake keeps them in a dict.
    emails = fakes.catalog._emails.values()
    return next(e.id for e in emails if e.submission_id == submission_id)


async def test_erasing_a_customer_removes_every_trace_of_their_photos(fakes: Fakes) -> None:
    """Published photos leave the shop; originals, renditions, address, name and caption go."""
    live = await sent_by(fakes.ports, SKU, ANA, Status.APPROVED)
    review = await sent_by(fakes.ports, SKU, ANA, Status.NEEDS_REVIEW)
    done = await erase_customer("Ana@Example.com", actor=ACTOR, ports=fakes.ports)
    assert done == Erasure(erased=2, unpublished=1)
    assert fakes.blobs.names(Container.QUARANTINE) == []
    assert fakes.blobs.names(Container.PUBLIC) == []
    assert await fakes.catalog.list_photos(SKU, limit=10) == ([], 0)
    for submission_id in (live.id, review.id):
        erased = await fakes.catalog.get_submission(submission_id)
        assert erased is not None
        assert (erased.status, erased.email, erased.display_name, erased.caption) == (
            Status.ERASED,
            "",
            "",
            "",
        )


async def test_erasure_forgets_the_upload_counts_kept_under_the_address(fakes: Fakes) -> None:
    """The per-email upload limit counts under a hash of the address and product: anyone can
    hash a guess, so an erasure deletes the customer's counts; another customer's stay.
    """
    limits = UploadLimits.from_settings(UploadSettings())
    now = utcnow()
    for email in (ANA, BOB):
        async with email_slot(fakes.catalog, limits, email, SKU, now):
            await sent_by(fakes.ports, SKU, email, Status.NEEDS_REVIEW)
    since = now - timedelta(days=1)

    async def counted(email: str) -> int:
        key = limit_key(email, SKU)
        return (await fakes.catalog.count_rate_events(EMAIL_BUCKET, key, since=since))[0]

    assert (await counted(ANA), await counted(BOB)) == (1, 1)
    await erase_customer("Ana@Example.com", actor=ACTOR, ports=fakes.ports)
    assert (await counted(ANA), await counted(BOB)) == (0, 1)


async def test_the_audit_records_the_erasure_with_no_personal_data(fakes: Fakes) -> None:
    """The trail says who erased and why, in words that name no one."""
    live = await sent_by(fakes.ports, SKU, ANA, Status.APPROVED)
    await erase_customer(ANA, actor=ACTOR, ports=fakes.ports)
    trail = await fakes.catalog.audit_trail(live.id)
    assert [(e.to_status, e.actor) for e in trail[-2:]] == [
        (Status.TAKEN_DOWN, ACTOR),
        (Status.ERASED, ACTOR),
    ]
    assert trail[-1].reason == REASON
    assert all("ana" not in f"{e.actor} {e.reason}".lower() for e in trail)


async def test_staff_erasure_audits_their_reason_on_the_takedown_and_the_erasure(
    fakes: Fakes,
) -> None:
    """With a reason (an admin's request reference), every step says it, not "withdrew"."""
    live = await sent_by(fakes.ports, SKU, ANA, Status.APPROVED)
    reason = admin_reason(" T-42 ")
    await erase_customer(ANA, actor=ACTOR, reason=reason, ports=fakes.ports)
    trail = await fakes.catalog.audit_trail(live.id)
    assert [(e.to_status, e.reason) for e in trail[-2:]] == [
        (Status.TAKEN_DOWN, "erased by admin: T-42"),
        (Status.ERASED, "erased by admin: T-42"),
    ]
    assert TAKEDOWN_REASON not in {e.reason for e in trail}


@pytest.mark.parametrize(
    ("reference", "code"),
    [
        ("  ", "reference_required"),
        ("x" * 65, "reference_too_long"),
        ("ana@x.se", "reference_personal"),
    ],
)
def test_an_admin_reason_needs_a_short_reference_that_is_no_address(
    reference: str, code: str
) -> None:
    """A missing, long or address-like reference is refused: the audit keeps no PD."""
    with pytest.raises(InputError) as refused:
        admin_reason(reference)
    assert (refused.value.code, refused.value.status) == (code, 422)


async def test_the_plan_counts_what_an_erasure_would_do_and_changes_nothing(
    fakes: Fakes,
) -> None:
    """Submissions not yet erased and the published ones among them; nothing is changed."""
    live = await sent_by(fakes.ports, SKU, ANA, Status.APPROVED)
    await sent_by(fakes.ports, SKU, ANA, Status.REJECTED)
    assert await erasure_plan("ANA@example.com", ports=fakes.ports) == ErasurePlan(2, 1)
    assert await fakes.catalog.get_photo(live.id) is not None
    await erase_customer(ANA, actor=ACTOR, ports=fakes.ports)
    assert await erasure_plan(ANA, ports=fakes.ports) == ErasurePlan(0, 0)
    with pytest.raises(InputError):
        await erasure_plan("not an address", ports=fakes.ports)


async def test_owed_emails_are_cancelled_and_never_sent(fakes: Fakes) -> None:
    """A thank-you still owed is cancelled: the notifier sends nothing afterwards."""
    live = await sent_by(fakes.ports, SKU, ANA, Status.APPROVED)
    owed = owed_email_id(fakes, live.id)
    await erase_customer(ANA, actor=ACTOR, ports=fakes.ports)
    policy = NotifyPolicy(sender="Shop <s@shop.example>", shop_url="http://shop.example")
    assert await thank_customer(owed, ports=fakes.ports, policy=policy) is None
    assert fakes.mailer.sent == []
    cancelled = await fakes.catalog.get_email(owed)
    assert cancelled is not None
    assert (cancelled.status, cancelled.to) == (EmailStatus.FAILED, "")


async def test_erasing_twice_changes_nothing_the_second_time(fakes: Fakes) -> None:
    """The second erasure finds nothing under the address, and writes no audit entry."""
    review = await sent_by(fakes.ports, SKU, ANA, Status.REJECTED)
    await erase_customer(ANA, actor=ACTOR, ports=fakes.ports)
    trail = await fakes.catalog.audit_trail(review.id)
    assert await erase_customer(ANA, actor=ACTOR, ports=fakes.ports) == Erasure()
    assert await fakes.catalog.audit_trail(review.id) == trail


async def test_an_unknown_address_erases_nothing(fakes: Fakes) -> None:
    """An address nobody used erases nothing and leaves other customers alone."""
    other = await sent_by(fakes.ports, SKU, BOB, Status.APPROVED)
    assert await erase_customer("nobody@example.com", actor=ACTOR, ports=fakes.ports) == Erasure()
    assert await fakes.catalog.get_photo(other.id) is not None
    assert fakes.blobs.names(Container.QUARANTINE) == [other.original_blob]


async def test_something_that_is_not_an_address_is_refused(fakes: Fakes) -> None:
    """A blank or malformed address is an InputError, never a match of erased rows."""
    for wrong in ("", "not an address"):
        with pytest.raises(InputError) as caught:
            await erase_customer(wrong, actor=ACTOR, ports=fakes.ports)
        assert caught.value.code == "invalid_email"


async def test_the_link_erases_all_of_that_customer_and_no_one_else(fakes: Fakes) -> None:
    """One link erases every submission of its customer; other customers keep theirs."""
    first = await sent_by(fakes.ports, SKU, ANA, Status.APPROVED)
    second = await sent_by(fakes.ports, SKU, ANA, Status.REJECTED)
    other = await sent_by(fakes.ports, SKU, BOB, Status.APPROVED)
    assert await erase_by_link(first.id, ports=fakes.ports) == Erasure(erased=2, unpublished=1)
    erased = await fakes.catalog.get_submission(second.id)
    assert erased is not None
    assert erased.status is Status.ERASED
    assert (await fakes.catalog.audit_trail(second.id))[-1].actor == LINK_ACTOR
    kept = await fakes.catalog.get_submission(other.id)
    assert kept is not None
    assert (kept.status, kept.email) == (Status.APPROVED, BOB)


async def test_a_link_used_twice_reports_it_was_done_before(fakes: Fakes) -> None:
    """Opening the link again erases nothing more and says so."""
    live = await sent_by(fakes.ports, SKU, ANA, Status.APPROVED)
    await erase_by_link(live.id, ports=fakes.ports)
    assert await erase_by_link(live.id, ports=fakes.ports) == Erasure(already_erased=1)


async def test_a_link_for_an_unknown_submission_is_not_found(fakes: Fakes) -> None:
    """A verified link whose submission does not exist is a NotFound."""
    with pytest.raises(NotFound):
        await erase_by_link("0" * 32, ports=fakes.ports)


async def test_every_email_carries_a_link_that_verifies_to_its_submission(fakes: Fakes) -> None:
    """The thank-you contains the withdrawal link; its token names the photo's submission."""
    live = await sent_by(fakes.ports, SKU, ANA, Status.APPROVED)
    links = WithdrawalLinks(link_key(b"k" * 48), "http://shop.example", timedelta(days=30))
    policy = NotifyPolicy(sender="Shop <s@shop.example>", shop_url="http://shop.example")
    policy = NotifyPolicy(policy.sender, policy.shop_url, links=links)
    owed = owed_email_id(fakes, live.id)
    assert await thank_customer(owed, ports=fakes.ports, policy=policy) is EmailStatus.SENT
    text = fakes.mailer.sent[0].get_body(("plain",))
    assert text is not None
    body = text.get_content()
    url = next(word for word in body.split() if "/withdraw/" in word)
    assert url.startswith("http://shop.example/withdraw/")
    assert links.verify(url.rsplit("/", 1)[1]) == live.id
    html = fakes.mailer.sent[0].get_body(("html",))
    assert html is not None
    assert url in html.get_content()


async def test_an_address_differing_in_non_ascii_case_is_erased(fakes: Fakes) -> None:
    """Åsa.Berg@example.se asked for as ÅSA.BERG@example.se is found and erased."""
    sent = await sent_by(fakes.ports, SKU, "Åsa.Berg@example.se", Status.REJECTED)
    done = await erase_customer("ÅSA.BERG@EXAMPLE.se", actor=ACTOR, ports=fakes.ports)
    assert done == Erasure(erased=1)
    erased = await fakes.catalog.get_submission(sent.id)
    assert erased is not None
    assert (erased.status, erased.email) == (Status.ERASED, "")


async def erased_after_a_retry(ports: Ports, linked: Submission, other: Submission) -> None:
    """Use the link to `linked` twice: once failing on `other`, then finishing."""
    with pytest.raises(StorageUnavailable):
        await erase_by_link(linked.id, ports=ports)
    # The first use took the photo down already; the second erases both.
    assert await erase_by_link(linked.id, ports=ports) == Erasure(erased=2)
    for submission_id in (linked.id, other.id):
        erased = await ports.catalog.get_submission(submission_id)
        assert erased is not None
        assert (erased.status, erased.email, erased.display_name) == (Status.ERASED, "", "")
    assert await ports.catalog.get_photo(other.id) is None


async def test_a_link_whose_erasure_lost_the_blob_store_finishes_when_used_again(
    fakes: Fakes,
) -> None:
    """A blob outage on another submission leaves the linked one standing, so a retry ends it."""
    fakes.blobs = blobs = BlobsFailingOnce()
    linked = await sent_by(fakes.ports, SKU, ANA, Status.REJECTED)
    other = await sent_by(fakes.ports, SKU, ANA, Status.APPROVED)
    blobs.failing.add(other.original_blob)
    await erased_after_a_retry(fakes.ports, linked, other)
    assert fakes.blobs.names(Container.QUARANTINE) == []


async def test_a_link_whose_erasure_lost_the_catalog_finishes_when_used_again(
    fakes: Fakes,
) -> None:
    """A catalog outage on another submission leaves the linked one standing, so a retry ends it."""
    catalog = await failing_catalog(fakes)
    linked = await sent_by(fakes.ports, SKU, ANA, Status.REJECTED)
    other = await sent_by(fakes.ports, SKU, ANA, Status.APPROVED)
    catalog.failing.add(other.id)
    await erased_after_a_retry(fakes.ports, linked, other)
    assert fakes.blobs.names(Container.QUARANTINE) == []


async def test_a_half_done_link_erasure_is_finished_by_the_sweep(fakes: Fakes) -> None:
    """The erasure asked by one link stops half-way on the submission that link names, after
    the others lost the address: another link answers that its photo is erased, and the
    worker's sweep of the recorded requests finishes the rest, as the link's customer.
    """
    catalog = await failing_catalog(fakes)
    other = await sent_by(fakes.ports, SKU, ANA, Status.REJECTED)
    linked = await sent_by(fakes.ports, SKU, ANA, Status.NEEDS_REVIEW)
    catalog.failing.add(linked.id)
    with pytest.raises(StorageUnavailable):
        await erase_by_link(linked.id, ports=fakes.ports)
    assert (await erased(fakes, other.id)).email == ""
    assert (await erased(fakes, linked.id)).email == ANA
    assert await erase_by_link(other.id, ports=fakes.ports) == Erasure(already_erased=1)
    assert await finish_requested_erasures(fakes.ports) == Erasure(erased=1)
    done = await erased(fakes, linked.id)
    assert (done.status, done.email, done.display_name, done.caption) == (Status.ERASED, "", "", "")
    assert (await fakes.catalog.audit_trail(linked.id))[-1].actor == LINK_ACTOR
    assert await fakes.catalog.erasure_requests(10) == []


async def test_erasure_forgets_the_upload_counts_of_every_spelling_of_the_address(
    fakes: Fakes,
) -> None:
    """Submissions are found by the address folded in any alphabet, the counts keyed by its
    ASCII lower case: a count kept under each spelling the customer used goes.
    """
    limits = UploadLimits.from_settings(UploadSettings())
    now, spellings = utcnow(), ["straße@example.com", "STRASSE@example.com"]
    for email in spellings:
        async with email_slot(fakes.catalog, limits, email, SKU, now):
            await sent_by(fakes.ports, SKU, email, Status.REJECTED)
    await erase_customer("strasse@example.com", actor=ACTOR, ports=fakes.ports)
    for email in spellings:
        key = limit_key(email.lower(), SKU)
        since = now - timedelta(days=1)
        assert await fakes.catalog.count_rate_events(EMAIL_BUCKET, key, since=since) == (0, None)


async def test_the_worker_finishes_a_half_done_staff_erasure_with_its_reasons(
    fakes: Fakes,
) -> None:
    """An admin's erasure that stopped half-way is finished by the worker's sweep, audited with
    the admin's actor and reference as if it had gone through at once.
    """
    fakes.blobs = blobs = BlobsFailingOnce()
    live = await sent_by(fakes.ports, SKU, ANA, Status.APPROVED)
    later = await sent_by(fakes.ports, SKU, ANA, Status.REJECTED)
    blobs.failing.add(later.original_blob)
    reason = admin_reason("T-1234")
    with pytest.raises(StorageUnavailable):
        await erase_customer(ANA, actor=ACTOR, ports=fakes.ports, reason=reason)
    assert await finish_requested_erasures(fakes.ports) == Erasure(erased=1)
    last = (await fakes.catalog.audit_trail(later.id))[-1]
    assert (last.to_status, last.actor, last.reason) == (Status.ERASED, ACTOR, reason)
    assert (await erased(fakes, live.id)).status is Status.ERASED
    assert fakes.blobs.names(Container.QUARANTINE) == []
    assert await finish_requested_erasures(fakes.ports) == Erasure()


async def test_an_erasure_that_fails_again_is_reported_after_the_others_are_done(
    fakes: Fakes,
) -> None:
    """The sweep tries every request; one failing again is raised once the rest are done."""
    catalog = await failing_catalog(fakes)
    stuck = await sent_by(fakes.ports, SKU, ANA, Status.REJECTED)
    fine = await sent_by(fakes.ports, SKU, BOB, Status.REJECTED)
    for submission in (stuck, fine):
        catalog.failing.add(submission.id)
        with pytest.raises(StorageUnavailable):
            await erase_customer(submission.email, actor=ACTOR, ports=fakes.ports)
    catalog.failing.add(stuck.id)
    with pytest.raises(StorageUnavailable, match="1 erasure"):
        await finish_requested_erasures(fakes.ports)
    assert (await erased(fakes, fine.id)).status is Status.ERASED
    assert await finish_requested_erasures(fakes.ports) == Erasure(erased=1)


async def test_the_running_worker_finishes_half_done_erasures_by_itself(
    fakes: Fakes, tmp_path: Path
) -> None:
    """run_worker's reconcile loop finishes an erasure left half-done, with no one asking."""
    fakes.blobs = blobs = BlobsFailingOnce()
    stuck = await sent_by(fakes.ports, SKU, ANA, Status.REJECTED)
    blobs.failing.add(stuck.original_blob)
    with pytest.raises(StorageUnavailable):
        await erase_customer(ANA, actor=ACTOR, ports=fakes.ports)
    settings = load_settings(data_dir=tmp_path / "var", queue={"reconcile_every_s": 0.05})
    ports = fakes.ports
    services = await bootstrap(
        settings,
        blobs=ports.blobs,
        queue=ports.queue,
        catalog=ports.catalog,
        scanner=ports.scanner,
        mailer=ports.mailer,
    )
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(services, stop, notifications=False))
    try:
        deadline = asyncio.get_running_loop().time() + 10
        while (await erased(fakes, stuck.id)).status is not Status.ERASED:
            assert asyncio.get_running_loop().time() < deadline, "the worker never finished it"
            await asyncio.sleep(0.02)  # polling a condition with a deadline
    finally:
        stop.set()
        await worker
        await services.aclose()


async def erased(fakes: Fakes, submission_id: str) -> Submission:
    """The submission as the catalog has it now."""
    found = await fakes.catalog.get_submission(submission_id)
    assert found is not None
    return found


# -- copies of the emails sent: the file mailer keeps each one as an .eml ------------------

POLICY = NotifyPolicy(sender="Shop <s@shop.example>", shop_url="http://shop.example")


class MailerFailingOnce(InMemoryMailer):
    """A mailer whose first forget fails, as a folder it may not write to would."""

    def __init__(self) -> None:
        super().__init__()
        self.failing = True

    async def forget_recipient(self, address: str) -> int:
        if self.failing:
            self.failing = False
            raise PermissionError("outbox: permission denied")
        return await super().forget_recipient(address)


class CatalogWithHook(InMemoryCatalog):
    """A catalog that runs `before_erase` just before each erasure of a submission."""

    def __init__(self, before_erase: Callable[[], Awaitable[None]]) -> None:
        super().__init__()
        self.before_erase = before_erase

    async def erase_submission(self, submission_id: str, *, actor: str, reason: str) -> bool:
        await self.before_erase()
        return await super().erase_submission(submission_id, actor=actor, reason=reason)


async def thanked(fakes: Fakes, email: str) -> Submission:
    """An approved submission of `email` whose thank-you was sent (the mailer keeps a copy)."""
    live = await sent_by(fakes.ports, SKU, email, Status.APPROVED)
    sent = await thank_customer(owed_email_id(fakes, live.id), ports=fakes.ports, policy=POLICY)
    assert sent is EmailStatus.SENT
    return live


def sent_to(mailer: InMemoryMailer) -> list[str]:
    return [str(message["To"]) for message in mailer.sent]


def copy_to(address: str) -> EmailMessage:
    message = EmailMessage()
    message["To"] = f"Kim <{address}>"
    message.set_content("Kept us dry\n")
    return message


async def test_erasing_a_customer_deletes_the_mailers_copies_of_their_emails(
    fakes: Fakes,
) -> None:
    """The thank-you kept for the customer goes (and is counted); other customers' stay."""
    await thanked(fakes, ANA)
    await thanked(fakes, BOB)
    done = await erase_customer("ANA@example.com", actor=ACTOR, ports=fakes.ports)
    assert done == Erasure(erased=1, unpublished=1, mail_copies=1)
    assert sent_to(fakes.mailer) == [f"Kim <{BOB}>"]


async def test_the_link_deletes_the_mailers_copies_too(fakes: Fakes) -> None:
    """A withdrawal link erases the copies of every email sent to its customer."""
    live = await thanked(fakes, ANA)
    await thanked(fakes, ANA)
    await thanked(fakes, BOB)
    done = await erase_by_link(live.id, ports=fakes.ports)
    assert (done.erased, done.mail_copies) == (2, 2)
    assert sent_to(fakes.mailer) == [f"Kim <{BOB}>"]


async def test_erasing_an_address_again_deletes_copies_left_over(fakes: Fakes) -> None:
    """With no submission left to erase, an address's erasure still deletes its mail copies."""
    await erase_customer(ANA, actor=ACTOR, ports=fakes.ports)
    await fakes.mailer.send(copy_to(ANA))
    assert await erase_customer(ANA, actor=ACTOR, ports=fakes.ports) == Erasure(mail_copies=1)
    assert fakes.mailer.sent == []


async def test_a_mailer_that_cannot_forget_stops_the_erasure_before_any_row_changes(
    fakes: Fakes,
) -> None:
    """The copies go first: if that fails, the rows still name the customer, so the same link
    finds them again and finishes.
    """
    fakes.mailer = mailer = MailerFailingOnce()
    live = await thanked(fakes, ANA)
    with pytest.raises(PermissionError):
        await erase_by_link(live.id, ports=fakes.ports)
    standing = await fakes.catalog.get_submission(live.id)
    assert standing is not None
    assert (standing.status, standing.email) == (Status.APPROVED, ANA)
    assert await erase_by_link(live.id, ports=fakes.ports) == Erasure(1, 1, mail_copies=1)
    assert mailer.sent == []


async def test_a_copy_written_while_the_erasure_runs_is_deleted_by_it(fakes: Fakes) -> None:
    """A send finishing after the first sweep of copies, before the rows are blanked, leaves
    no copy: the erasure sweeps again at its end.
    """
    fakes.catalog = CatalogWithHook(lambda: fakes.mailer.send(copy_to(ANA)))
    await fakes.catalog.upsert_products([Product(SKU, "Trail Tent 2P", "A tent.", 19900)])
    await sent_by(fakes.ports, SKU, ANA, Status.REJECTED)
    done = await erase_customer(ANA, actor=ACTOR, ports=fakes.ports)
    assert (done.erased, done.mail_copies) == (1, 1)
    assert fakes.mailer.sent == []


class ApprovedAsTheOriginalGoes(InMemoryBlobStore):
    """A blob store on which a moderator approves `waiting` just before its original is
    deleted from quarantine: the approval read the original in time, and lands in the middle
    of the erasure that deletes it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.waiting: list[str] = []
        self.ports: Ports | None = None

    async def delete(self, container: Container, name: str) -> None:
        sid = name.partition("/")[0]
        if container is Container.QUARANTINE and sid in self.waiting and self.ports:
            self.waiting.remove(sid)
            assert await approve_submission(sid, moderator="mia", ports=self.ports)
        await super().delete(container, name)


async def test_a_photo_approved_while_the_erasure_runs_is_taken_down_by_it(
    fakes: Fakes,
) -> None:
    """A moderator's approval landing in the middle of the erasure (it found the photo in
    review): the catalog refuses to erase a published photo, so the erasure takes it down
    (files first) and erases it then; nothing is left on the shop.
    """
    fakes.blobs = blobs = ApprovedAsTheOriginalGoes()
    waiting = await sent_by(fakes.ports, SKU, ANA, Status.NEEDS_REVIEW)
    blobs.waiting.append(waiting.id)
    blobs.ports = fakes.ports
    done = await erase_customer(ANA, actor=ACTOR, ports=fakes.ports)
    assert blobs.waiting == []  # the approval did land in between
    assert (done.erased, done.unpublished) == (1, 1)
    assert fakes.blobs.names(Container.PUBLIC) == []
    assert await fakes.catalog.get_photo(waiting.id) is None
    trail = await fakes.catalog.audit_trail(waiting.id)
    assert [e.to_status for e in trail][-3:] == [
        Status.APPROVED,
        Status.TAKEN_DOWN,
        Status.ERASED,
    ]


async def test_a_send_that_finishes_after_the_erasure_deletes_its_own_copy(
    fakes: Fakes,
) -> None:
    """A thank-you already being sent when its customer is erased lands after the erasure's
    sweeps: the notifier sees the blanked address and deletes the copy it just wrote.
    """
    fakes.mailer = gated = GatedMailer()
    live = await sent_by(fakes.ports, SKU, ANA, Status.APPROVED)
    owed = owed_email_id(fakes, live.id)
    sending = asyncio.create_task(thank_customer(owed, ports=fakes.ports, policy=POLICY))
    await gated.waiting.wait()
    await erase_customer(ANA, actor=ACTOR, ports=fakes.ports)
    gated.open()
    await sending
    assert gated.sent == []
