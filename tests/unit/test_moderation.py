"""Use cases: moderators approve, reject and take down; the audit records who and why."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from photogate.adapters.blob_names import blob_url
from photogate.adapters.memory.blobs import InMemoryBlobStore, StoredBlob
from photogate.adapters.memory.scanner import MODEL_VERSION, scan_result
from photogate.clock import utcnow
from photogate.domain.catalog import (
    CustomerPhoto,
    EmailRecord,
    EmailStatus,
    OutboxMessage,
    Rendition,
)
from photogate.domain.moderation import MAX_NOTE, ReasonCode, TakedownCode, recorded_code
from photogate.domain.scan import Thresholds, Verdict
from photogate.domain.submission import Status, new_id
from photogate.errors import InputError, NotFound
from photogate.intake.accept_upload import accept_upload
from photogate.messages import NOTIFY_QUEUE, field_of, thank_request
from photogate.moderation.audit_export import audit_csv, safe_cell
from photogate.moderation.review import (
    APPROVED_IN_REVIEW,
    APPROVED_WITHOUT_CAPTION,
    approve_submission,
    reject_submission,
    review_queue,
)
from photogate.moderation.takedown import MAX_REASON, take_down, takedown_reason
from photogate.notifying.thank_customer import NotifyPolicy, thank_customer
from photogate.ports import Container
from photogate.privacy.erase import erase_customer
from photogate.publishing.publish import attempt_folder, public_key, publish
from photogate.scanning.scan_submission import ScanPolicy, scan_submission
from photogate.settings import UploadSettings
from tests.unit.blob_hooks import Hook, HookedBlobStore, twin_sending_to_people
from tests.unit.conftest import SKU, Fakes, another_photo_file, form

PUBLIC = Container.PUBLIC


async def settled(
    fakes: Fakes, policy: ScanPolicy, tmp_path: Path, verdict: Verdict, **changes: object
) -> str:
    """An upload the fake scanner judged `verdict`; returns its id."""
    path, size = another_photo_file(tmp_path)
    submission = await accept_upload(
        form(**changes), path, size, ports=fakes.ports, limits=UploadSettings()
    )
    fakes.scanner.script(submission.id, scan_result(verdict, reasons=("unsure",), weapons=0.4))
    await scan_submission(submission.id, ports=fakes.ports, policy=policy)
    return submission.id


async def status_of(fakes: Fakes, submission_id: str) -> Status:
    submission = await fakes.catalog.get_submission(submission_id)
    assert submission is not None
    return submission.status


async def last_audit(fakes: Fakes, submission_id: str) -> tuple[str, str | None]:
    entry = (await fakes.catalog.audit_trail(submission_id))[-1]
    return entry.actor, entry.reason


async def test_scanner_decisions_are_signed_with_the_model_version(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """The audit names the scanner's model version for approvals and for review decisions, and
    an approval keeps the verdict and the highest scores the scanner gave.
    """
    passed = await settled(fakes, scan_policy, tmp_path, Verdict.PASS)
    unsure = await settled(fakes, scan_policy, tmp_path, Verdict.INCONCLUSIVE)
    actor, reason = await last_audit(fakes, passed)
    assert actor == f"scanner:{MODEL_VERSION}"
    highest = "weapons 0.40, competitor_brand 0.01, drugs 0.01"  # ties by name
    assert reason == f"scanner: pass; highest scores {highest}; unsure"
    assert await last_audit(fakes, unsure) == (f"scanner:{MODEL_VERSION}", "unsure")


async def test_review_queue_lists_only_photos_waiting_for_people(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """The queue holds the needs_review submissions, oldest first, and not the settled ones."""
    first = await settled(fakes, scan_policy, tmp_path, Verdict.INCONCLUSIVE)
    await settled(fakes, scan_policy, tmp_path, Verdict.PASS)
    second = await settled(fakes, scan_policy, tmp_path, Verdict.INCONCLUSIVE)
    waiting, total = await review_queue(fakes.catalog, limit=10)
    assert ([s.id for s in waiting], total) == ([first, second], 2)


async def test_approval_publishes_and_thanks_like_an_automatic_one(
    fakes: Fakes,
    scan_policy: ScanPolicy,
    notify_policy: NotifyPolicy,
    tmp_path: Path,
) -> None:
    """A moderator's approval writes renditions, the gallery row and one thank-you email."""
    sid = await settled(fakes, scan_policy, tmp_path, Verdict.INCONCLUSIVE)
    assert await approve_submission(sid, moderator="sam", ports=fakes.ports)
    assert await status_of(fakes, sid) is Status.APPROVED
    assert await last_audit(fakes, sid) == ("moderator:sam", APPROVED_IN_REVIEW)
    assert fakes.blobs.names(Container.PUBLIC)
    assert (await fakes.catalog.list_photos(SKU, limit=5))[1] == 1
    stored = await fakes.catalog.get_submission(sid)
    assert stored is not None and stored.scan is not None, "the scanner's result is kept"
    (message,) = await fakes.queue.receive(NOTIFY_QUEUE)
    email_id = field_of(message.body, "email_id")
    assert (
        await thank_customer(email_id, ports=fakes.ports, policy=notify_policy) is EmailStatus.SENT
    )
    assert "is live" in fakes.mailer.sent[0]["Subject"]


async def test_approval_without_the_caption_publishes_thanks_and_audits_it_blank(
    fakes: Fakes,
    scan_policy: ScanPolicy,
    notify_policy: NotifyPolicy,
    tmp_path: Path,
) -> None:
    """Dropping the caption blanks it on the gallery row, the submission and the thank-you,
    and the audit says the caption was removed.
    """
    caption = "Call me on +44 20 7946 0958 or kim@example.com"
    sid = await settled(fakes, scan_policy, tmp_path, Verdict.INCONCLUSIVE, caption=caption)
    assert await approve_submission(sid, moderator="sam", ports=fakes.ports, drop_caption=True)
    assert await last_audit(fakes, sid) == ("moderator:sam", APPROVED_WITHOUT_CAPTION)
    assert APPROVED_WITHOUT_CAPTION == "approved in review; caption removed"
    (photo,), _ = await fakes.catalog.list_photos(SKU, limit=5)
    stored = await fakes.catalog.get_submission(sid)
    assert stored is not None and (photo.caption, stored.caption) == ("", "")
    (message,) = await fakes.queue.receive(NOTIFY_QUEUE)
    email_id = field_of(message.body, "email_id")
    assert await thank_customer(email_id, ports=fakes.ports, policy=notify_policy)
    assert "7946" not in fakes.mailer.sent[0].as_string()


async def test_second_decision_on_the_same_photo_changes_nothing(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """Once one moderator decided, another's approval or rejection returns False."""
    sid = await settled(fakes, scan_policy, tmp_path, Verdict.INCONCLUSIVE)
    assert await reject_submission(
        sid, moderator="ana", code=ReasonCode.SPAM, notify=False, ports=fakes.ports
    )
    assert not await approve_submission(sid, moderator="sam", ports=fakes.ports)
    assert not await reject_submission(
        sid, moderator="sam", code=ReasonCode.SPAM, notify=True, ports=fakes.ports
    )
    assert await status_of(fakes, sid) is Status.REJECTED
    assert fakes.blobs.names(Container.PUBLIC) == []
    assert await fakes.queue.count(NOTIFY_QUEUE) == 0


async def test_an_automatically_approved_photo_is_not_reviewable(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """Approving outside needs_review returns False; an unknown id is NotFound."""
    sid = await settled(fakes, scan_policy, tmp_path, Verdict.PASS)
    assert not await approve_submission(sid, moderator="sam", ports=fakes.ports)
    with pytest.raises(NotFound):
        await approve_submission("nope", moderator="sam", ports=fakes.ports)


async def test_approving_a_photo_whose_original_is_gone_is_refused(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """With its original missing from quarantine a photo cannot be published: 409, and it
    stays in review for a moderator to reject.
    """
    sid = await settled(fakes, scan_policy, tmp_path, Verdict.INCONCLUSIVE)
    submission = await fakes.catalog.get_submission(sid)
    assert submission is not None
    await fakes.blobs.delete(Container.QUARANTINE, submission.original_blob)
    with pytest.raises(InputError) as refused:
        await approve_submission(sid, moderator="sam", ports=fakes.ports)
    assert (refused.value.code, refused.value.status) == ("original_missing", 409)
    assert await status_of(fakes, sid) is Status.NEEDS_REVIEW
    assert fakes.blobs.names(Container.PUBLIC) == []


async def test_rejection_records_code_and_note_and_needs_a_note_for_other(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """The reason is "code: note"; "other" without a note is refused before anything changes."""
    sid = await settled(fakes, scan_policy, tmp_path, Verdict.INCONCLUSIVE)
    with pytest.raises(InputError) as refused:
        await reject_submission(
            sid, moderator="sam", code=ReasonCode.OTHER, note="  ", notify=False, ports=fakes.ports
        )
    assert refused.value.code == "note_required"
    with pytest.raises(InputError) as too_long:
        await reject_submission(
            sid,
            moderator="sam",
            code=ReasonCode.SPAM,
            note="x" * (MAX_NOTE + 1),
            notify=False,
            ports=fakes.ports,
        )
    assert (too_long.value.code, too_long.value.status) == ("note_too_long", 422)
    assert await status_of(fakes, sid) is Status.NEEDS_REVIEW
    assert await reject_submission(
        sid,
        moderator="sam",
        code=ReasonCode.PERSONAL_DATA,
        note="licence plate\n visible",
        notify=False,
        ports=fakes.ports,
    )
    assert await last_audit(fakes, sid) == ("moderator:sam", "personal_data: licence plate visible")


async def test_rejection_email_is_kind_sent_once_and_hides_the_note(
    fakes: Fakes,
    scan_policy: ScanPolicy,
    notify_policy: NotifyPolicy,
    tmp_path: Path,
) -> None:
    """With notify on, one "rejection" email is queued; it explains the code, not the note."""
    sid = await settled(fakes, scan_policy, tmp_path, Verdict.INCONCLUSIVE)
    assert await reject_submission(
        sid,
        moderator="sam",
        code=ReasonCode.LOW_QUALITY,
        note="internal: blurry mess",
        notify=True,
        ports=fakes.ports,
    )
    (message,) = await fakes.queue.receive(NOTIFY_QUEUE)
    email_id = field_of(message.body, "email_id")
    email = await fakes.catalog.get_email(email_id)
    assert email is not None and (email.kind, email.to) == ("rejection", "kim@example.com")
    await thank_customer(email_id, ports=fakes.ports, policy=notify_policy)
    await thank_customer(email_id, ports=fakes.ports, policy=notify_policy)
    (sent,) = fakes.mailer.sent
    body = sent.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert sent["Subject"] == "About your photo of Trail Tent 2P"
    assert "too small, dark or blurry" in text
    assert "blurry mess" not in text


async def test_takedown_deletes_renditions_hides_the_photo_and_audits(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """A takedown empties the public container, the gallery and the counts, with the reason."""
    sid = await settled(fakes, scan_policy, tmp_path, Verdict.PASS)
    assert fakes.blobs.names(Container.PUBLIC)
    assert await take_down(sid, actor="moderator:sam", reason=" legal  request ", ports=fakes.ports)
    assert fakes.blobs.names(Container.PUBLIC) == []
    assert await fakes.catalog.get_photo(sid) is None
    assert await fakes.catalog.photo_counts() == {}
    assert await status_of(fakes, sid) is Status.TAKEN_DOWN
    assert await last_audit(fakes, sid) == ("moderator:sam", "legal request")
    assert not await take_down(sid, actor="moderator:sam", reason="again", ports=fakes.ports)


async def test_takedown_deletes_renditions_a_redelivered_scan_writes_meanwhile(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """A twin of the approving scan (a redelivered message) writes renditions just after the
    takedown deleted the photo's and, its approval refused, deletes its own: those are in a
    folder of their own, so nothing is left public.
    """
    sid = await settled(fakes, scan_policy, tmp_path, Verdict.PASS)
    submission = await fakes.catalog.get_submission(sid)
    assert submission is not None
    original = await fakes.blobs.get(Container.QUARANTINE, submission.original_blob)
    published = set(fakes.blobs.names(Container.PUBLIC))
    twin_ran: list[bool] = []

    async def twin_after_last_delete(container: Container, name: str) -> None:
        await InMemoryBlobStore.delete(fakes.blobs, container, name)
        left = published.intersection(fakes.blobs.names(Container.PUBLIC))
        if not twin_ran and container is Container.PUBLIC and name in published and not left:
            twin_ran.append(await publish(submission, original, None, ports=fakes.ports))

    fakes.blobs.delete = twin_after_last_delete  # type: ignore[method-assign]
    assert await take_down(sid, actor="moderator:sam", reason="legal request", ports=fakes.ports)
    assert twin_ran == [False]  # it wrote its files, lost the race to approve and deleted them
    assert published
    assert fakes.blobs.names(Container.PUBLIC) == []
    assert await status_of(fakes, sid) is Status.TAKEN_DOWN


async def lost_to_a_twin(
    fakes: Fakes, tmp_path: Path, meanwhile: Hook | None = None
) -> tuple[HookedBlobStore, str]:
    """An upload scanned as a pass whose approval is refused: once the scan starts writing
    renditions, a redelivered twin of it has sent the photo to people, then `meanwhile` ran.
    """
    blobs = HookedBlobStore()
    fakes.blobs = blobs
    path, size = another_photo_file(tmp_path)
    submission = await accept_upload(form(), path, size, ports=fakes.ports, limits=UploadSettings())
    twin = twin_sending_to_people(fakes.catalog, submission.id)

    async def race() -> None:
        await twin()
        if meanwhile is not None:
            await meanwhile()

    blobs.before_public_put = race
    await scan_submission(submission.id, ports=fakes.ports, policy=ScanPolicy(Thresholds()))
    assert blobs.public_writes, "the losing scan wrote its renditions"
    return blobs, submission.id


@pytest.mark.parametrize("settle", ["rejection", "erasure"])
async def test_a_photo_a_losing_scan_wrote_renditions_for_ends_with_nothing_public(
    fakes: Fakes, tmp_path: Path, settle: str
) -> None:
    """After a scan lost its approval to a twin that sent the photo to people, a moderator's
    rejection or the customer's erasure leaves nothing public: no row names the scan's files.
    """
    blobs, sid = await lost_to_a_twin(fakes, tmp_path)
    assert await status_of(fakes, sid) is Status.NEEDS_REVIEW
    if settle == "rejection":
        assert await reject_submission(
            sid, moderator="sam", code=ReasonCode.SPAM, notify=False, ports=fakes.ports
        )
    else:
        erased = await erase_customer("kim@example.com", actor="admin", ports=fakes.ports)
        assert erased.erased == 1
    assert blobs.names(Container.PUBLIC) == []


async def test_a_moderators_approval_racing_a_losing_scan_keeps_the_moderators_files(
    fakes: Fakes, tmp_path: Path
) -> None:
    """A moderator approves the photo a twin sent to people while the scan that lost is about
    to write its renditions: the scan deletes its own files and never touches the moderator's.
    """
    moderators: dict[str, StoredBlob] = {}

    async def moderator_approves() -> None:
        sid = (await review_queue(fakes.catalog, limit=1))[0][0].id
        assert await approve_submission(sid, moderator="sam", ports=fakes.ports)
        store = fakes.blobs  # the scan's store, set up by lost_to_a_twin
        moderators.update({name: store.blob(PUBLIC, name) for name in store.names(PUBLIC)})

    blobs, sid = await lost_to_a_twin(fakes, tmp_path, meanwhile=moderator_approves)
    assert await status_of(fakes, sid) is Status.APPROVED
    photo = await fakes.catalog.get_photo(sid)
    assert photo is not None and moderators
    assert sorted(r.url for r in photo.renditions) == sorted(map(blobs.public_url, moderators))
    assert sorted(moderators) == blobs.names(PUBLIC)
    assert all(blobs.blob(PUBLIC, name) == blob for name, blob in moderators.items())
    assert all(blobs.public_writes[name] == 1 for name in moderators), "only she wrote them"
    assert len(blobs.public_writes) == 2 * len(moderators), "the scan wrote names of its own"


async def approved_with(fakes: Fakes, photo: CustomerPhoto) -> None:
    """Approve the photo's submission with this catalog row, as publish would."""
    email = EmailRecord(new_id(), photo.submission_id, "thank_you", "kim@example.com")
    outbox = OutboxMessage(new_id(), NOTIFY_QUEUE, thank_request(email.id), photo.submission_id)
    approved = await fakes.catalog.approve(
        photo.submission_id,
        photo=photo,
        email=email,
        outbox=outbox,
        actor="moderator:sam",
        scan=None,
        allowed_from={Status.NEEDS_REVIEW},
    )
    assert approved


@pytest.mark.parametrize(
    "layout",
    [
        "{key}/{suffix}",  # one folder per submission, before attempts had their own
        "{key}/0f1e2d3c4b5a6978/{suffix}",
        "{key}/an odd%token/{suffix}",
    ],
)
async def test_takedown_deletes_every_file_of_the_submission_and_no_other(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path, layout: str
) -> None:
    """A takedown deletes the photo's files in either layout, and those an attempt that
    crashed mid-publish left, which no row names; another photo's files stay.
    """
    other = await settled(fakes, scan_policy, tmp_path, Verdict.PASS)
    others = fakes.blobs.names(PUBLIC)
    sid = await settled(fakes, scan_policy, tmp_path, Verdict.INCONCLUSIVE)
    suffixes = {"webp": "800.webp", "jpeg": "800.jpg"}
    names = {fmt: layout.format(key=public_key(sid), suffix=s) for fmt, s in suffixes.items()}
    for name in [*names.values(), f"{attempt_folder(sid)}/800.webp"]:
        await fakes.blobs.put(PUBLIC, name, b"rendition", "image/webp")
    renditions = tuple(
        Rendition(fmt, 800, 600, blob_url("/media", name), 9) for fmt, name in names.items()
    )
    await approved_with(fakes, photo_row(sid, renditions))
    assert await take_down(sid, actor="moderator:sam", reason="legal request", ports=fakes.ports)
    assert fakes.blobs.names(PUBLIC) == others
    assert await status_of(fakes, other) is Status.APPROVED


@pytest.mark.parametrize("verdict", [Verdict.FAIL, Verdict.INCONCLUSIVE, Verdict.PASS])
async def test_erasure_deletes_the_files_a_crashed_publish_left(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path, verdict: Verdict
) -> None:
    """Files an attempt wrote before it crashed (no row names them) go with the customer's
    erasure, whatever became of the photo; nothing public of theirs is left.
    """
    sid = await settled(fakes, scan_policy, tmp_path, verdict)
    await fakes.blobs.put(PUBLIC, f"{attempt_folder(sid)}/800.webp", b"left", "image/webp")
    erased = await erase_customer("kim@example.com", actor="admin", ports=fakes.ports)
    assert erased.erased == 1
    assert fakes.blobs.names(PUBLIC) == []


def photo_row(submission_id: str, renditions: tuple[Rendition, ...]) -> CustomerPhoto:
    """A gallery row for the submission with these renditions, made by hand."""
    return CustomerPhoto(
        submission_id, SKU, "Kim", "", 800, 600, "#336699", utcnow(), renditions=renditions
    )


async def test_takedown_needs_a_reason_and_a_published_photo(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """No reason is refused; a photo in review is not taken down; an unknown id is NotFound."""
    published = await settled(fakes, scan_policy, tmp_path, Verdict.PASS)
    in_review = await settled(fakes, scan_policy, tmp_path, Verdict.INCONCLUSIVE)
    with pytest.raises(InputError) as blank:
        await take_down(published, actor="x", reason="  ", ports=fakes.ports)
    assert (blank.value.code, blank.value.status) == ("reason_required", 422)
    with pytest.raises(InputError) as too_long:
        await take_down(published, actor="x", reason="y" * (MAX_REASON + 1), ports=fakes.ports)
    assert (too_long.value.code, too_long.value.status) == ("reason_too_long", 422)
    assert not await take_down(in_review, actor="x", reason="why", ports=fakes.ports)
    with pytest.raises(NotFound):
        await take_down("nope", actor="x", reason="why", ports=fakes.ports)
    assert await status_of(fakes, published) is Status.APPROVED


async def test_audit_csv_has_every_entry_and_defuses_formulas(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """The export lists every state change across pages, with its SKU; a formula is quoted."""
    sid = await settled(fakes, scan_policy, tmp_path, Verdict.PASS)
    await take_down(sid, actor="moderator:sam", reason="=HYPERLINK(1)", ports=fakes.ports)
    rows = await exported(fakes)
    assert rows[0] == [
        "seq",
        "at",
        "submission_id",
        "sku",
        "from_status",
        "to_status",
        "actor",
        "reason_code",
        "reason",
    ]
    trail = await fakes.catalog.audit_trail(sid)
    assert [row[5] for row in rows[1:]] == [str(e.to_status) for e in trail]
    assert {row[3] for row in rows[1:]} == {SKU}
    assert rows[-1][6:] == ["moderator:sam", "", "'=HYPERLINK(1)"]


async def test_audit_csv_gives_the_code_of_coded_reasons_only(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """A "code: note" takedown exports its code apart; free text has an empty reason_code."""
    sid = await settled(fakes, scan_policy, tmp_path, Verdict.PASS)
    reason = takedown_reason(TakedownCode.LEGAL_REQUEST, "ticket 42")
    await take_down(sid, actor="moderator:sam", reason=reason, ports=fakes.ports)
    rows = await exported(fakes)
    assert rows[-1][7:] == ["legal_request", "legal_request: ticket 42"]
    assert all(row[7] == "" for row in rows[1:-1]), "scanner reasons carry no code"


async def exported(fakes: Fakes) -> list[list[str]]:
    text = "".join([chunk async for chunk in audit_csv(fakes.catalog, batch=2)])
    return list(csv.reader(io.StringIO(text)))


def test_a_takedown_reason_is_a_listed_code_and_a_note_required_for_other() -> None:
    """The reason is "code" or "code: note"; "other" needs a note; a long note is refused."""
    assert takedown_reason(TakedownCode.PRIVACY) == "privacy"
    assert takedown_reason(TakedownCode.OTHER, " seen  twice ") == "other: seen twice"
    for code, note, error in [
        (TakedownCode.OTHER, "  ", "note_required"),
        (TakedownCode.PRIVACY, "n" * (MAX_NOTE + 1), "note_too_long"),
    ]:
        with pytest.raises(InputError) as refused:
            takedown_reason(code, note)
        assert (refused.value.code, refused.value.status) == (error, 422)


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("spam", "spam"),
        ("personal_data: house number", "personal_data"),
        ("customer_asked: ticket 7", "customer_asked"),
        ("erased by admin: T-1", ""),
        ("unsure", ""),
        (None, ""),
    ],
)
def test_recorded_code_is_a_known_code_or_nothing(reason: str | None, code: str) -> None:
    """Only rejection and takedown codes count as codes; other reasons have none."""
    assert recorded_code(reason) == code


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_cells_a_spreadsheet_would_run_are_prefixed(cell: str) -> None:
    """Every formula-starting character gets a leading quote."""
    assert safe_cell(cell) == "'" + cell


def test_ordinary_cells_are_left_alone() -> None:
    """Text that cannot start a formula is exported as it is."""
    assert safe_cell("spam: sold 1+1 = 2") == "spam: sold 1+1 = 2"
