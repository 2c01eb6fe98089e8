"""Duplicates and near-copies: the same file is not scanned twice; copies go to people."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from photogate.adapters.memory.scanner import scan_result
from photogate.clock import Clock, utcnow
from photogate.demo.artwork import product_image
from photogate.domain.catalog import Product
from photogate.domain.fingerprint import ImageKind
from photogate.domain.scan import Thresholds, Verdict
from photogate.domain.submission import SCANNABLE, Status, Submission
from photogate.entrypoints.web.console.screening_view import screening_views
from photogate.errors import DuplicateUpload
from photogate.intake.accept_upload import accept_upload
from photogate.intake.fingerprint import fingerprint_bytes
from photogate.messages import SCAN_QUEUE
from photogate.ports import Container
from photogate.scanning.scan_submission import ScanPolicy, scan_submission
from photogate.screening.marketing import fingerprint_stored_marketing, record_marketing_photos
from photogate.screening.screen import Screener, screen_submission
from photogate.settings import UploadSettings
from photogate.testing import samples
from tests.unit.conftest import SKU, Fakes, form, photo_file

OTHER_SKU = "TT-PACK-35L"
MARKETING_URL = "/media/catalog/tt-tent-2p/1.jpg"


@pytest.fixture
def policy() -> ScanPolicy:
    """Scanning with screening on: no blocklist, personal data checked, distance 8."""
    return ScanPolicy(Thresholds(), screener=Screener())


@pytest.fixture
async def marketing_photo(fakes: Fakes) -> bytes:
    """The tent's demo marketing photo, fingerprinted as the demo seed does."""
    data = product_image(SKU, "Trailhead 2-Person Tent", 150, 0)
    await record_marketing_photos(fakes.catalog, SKU, {MARKETING_URL: data})
    return data


async def upload(
    fakes: Fakes, tmp_path: Path, data: bytes, *, clock: Clock = utcnow, **changes: object
) -> str:
    """Accept `data` as an upload with the form's `changes`; returns the submission id."""
    path, size = photo_file(tmp_path, data)
    ports, limits = fakes.ports, UploadSettings()
    submission = await accept_upload(
        form(**changes), path, size, ports=ports, limits=limits, clock=clock
    )
    return submission.id


def at(second: int) -> Clock:
    """A clock stopped at `second` past a fixed minute: uploads received in a known order."""
    return lambda: datetime(2025, 6, 1, 9, 30, second, tzinfo=UTC)


async def copies_on_their_way(fakes: Fakes, tmp_path: Path) -> tuple[str, str]:
    """A photo, then a re-encoded copy of it from another account a second later, both
    received and not yet scanned: their ids, earlier first.
    """
    original = samples.clean_jpeg(seed=11)
    first = await upload(fakes, tmp_path, original, clock=at(1))
    copy = reencoded(original, scale=0.6)
    later = await upload(fakes, tmp_path, copy, clock=at(2), email="mallory@example.com")
    return first, later


async def scanned(fakes: Fakes, policy: ScanPolicy, submission_id: str) -> Status | None:
    return await scan_submission(submission_id, ports=fakes.ports, policy=policy)


def reencoded(data: bytes, *, scale: float = 1.0, trim: float = 0.0, quality: int = 70) -> bytes:
    """`data` cropped by `trim` of each side, scaled and saved again as a JPEG."""
    img = Image.open(io.BytesIO(data)).convert("RGB")
    w, h = img.size
    img = img.crop((round(w * trim), round(h * trim), round(w * (1 - trim)), round(h * (1 - trim))))
    img = img.resize((round(img.width * scale), round(img.height * scale)))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()


# -- the same file again ------------------------------------------------------------------


async def test_the_same_file_for_the_same_product_is_scanned_once(
    fakes: Fakes, policy: ScanPolicy, tmp_path: Path
) -> None:
    """A repeat of a file from the same customer names the first submission; no second scan."""
    first = await upload(fakes, tmp_path, samples.clean_jpeg())
    assert await scanned(fakes, policy, first) is Status.APPROVED
    with pytest.raises(DuplicateUpload) as refused:
        await upload(fakes, tmp_path, samples.clean_jpeg(), email="KIM@example.com")
    assert (refused.value.status, refused.value.submission_id) == (409, first)
    assert fakes.scanner.scans == 1
    submissions, total = await fakes.catalog.list_submissions(Status.APPROVED, limit=10)
    assert total == 1 and [s.id for s in submissions] == [first]


async def test_a_repeat_while_the_first_waits_is_a_duplicate_too(
    fakes: Fakes, tmp_path: Path
) -> None:
    """A file sent twice before its first scan is still recorded, stored and queued only once
    (the repeat's copy, written before the catalog found it a repeat, is deleted again).
    """
    first = await upload(fakes, tmp_path, samples.clean_jpeg())
    with pytest.raises(DuplicateUpload) as refused:
        await upload(fakes, tmp_path, samples.clean_jpeg())
    assert refused.value.submission_id == first
    assert await fakes.queue.count(SCAN_QUEUE) == 1
    assert fakes.blobs.names(Container.QUARANTINE) == [f"{first}/original.jpeg"]


async def test_another_customers_copy_is_refused_without_naming_the_first(
    fakes: Fakes, tmp_path: Path
) -> None:
    """The same file from another email is refused, and the first submission stays unnamed."""
    first = await upload(fakes, tmp_path, samples.clean_jpeg())
    with pytest.raises(DuplicateUpload) as refused:
        await upload(fakes, tmp_path, samples.clean_jpeg(), email="mallory@example.com")
    assert refused.value.code == "already_sent_by_someone_else"
    assert refused.value.submission_id is None
    assert first not in refused.value.detail


async def test_the_same_file_for_another_product_is_scanned(fakes: Fakes, tmp_path: Path) -> None:
    """Another product's upload of the same file is a new submission, scanned on its own."""
    await fakes.catalog.upsert_products([Product(OTHER_SKU, "Daypack", "A pack.", 12900)])
    first = await upload(fakes, tmp_path, samples.clean_jpeg())
    other = await upload(fakes, tmp_path, samples.clean_jpeg(), sku=OTHER_SKU)
    policy = ScanPolicy(Thresholds())  # no screener: this test is about intake alone
    assert await scanned(fakes, policy, first) is Status.APPROVED
    assert await scanned(fakes, policy, other) is Status.APPROVED
    assert fakes.scanner.scans == 2


async def test_a_rejected_photo_may_be_sent_again(
    fakes: Fakes, policy: ScanPolicy, tmp_path: Path
) -> None:
    """After a rejection the same file is accepted again and judged afresh."""
    first = await upload(fakes, tmp_path, samples.clean_jpeg())
    fakes.scanner.script(first, scan_result(Verdict.FAIL, reasons=("no",)))
    assert await scanned(fakes, policy, first) is Status.REJECTED
    again = await upload(fakes, tmp_path, samples.clean_jpeg())
    assert again != first


async def test_intake_records_the_files_fingerprint(fakes: Fakes, tmp_path: Path) -> None:
    """The submission's fingerprint is the SHA-256 and pHash of exactly the uploaded bytes."""
    sid = await upload(fakes, tmp_path, samples.webp_photo())
    assert await fakes.catalog.get_fingerprint(sid) == fingerprint_bytes(samples.webp_photo())


# -- near-copies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [{"scale": 0.5}, {"quality": 35}, {"trim": 0.02, "scale": 0.8}],
    ids=["resized", "recompressed", "cropped"],
)
async def test_a_copy_of_a_marketing_photo_goes_to_review_naming_it(
    fakes: Fakes,
    policy: ScanPolicy,
    tmp_path: Path,
    marketing_photo: bytes,
    changes: dict[str, float],
) -> None:
    """A resized, recompressed or slightly cropped marketing photo waits for people."""
    sid = await upload(fakes, tmp_path, reencoded(marketing_photo, **changes))  # type: ignore[arg-type]
    assert await scanned(fakes, policy, sid) is Status.NEEDS_REVIEW
    assert fakes.scanner.scans == 1, "the scanner still judges the photo"
    submission = await fakes.catalog.get_submission(sid)
    assert submission is not None and submission.status_reason is not None
    assert f"near-copy of the marketing photo {MARKETING_URL} of {SKU}" in submission.status_reason
    entry = (await fakes.catalog.audit_trail(sid))[-1]
    assert (entry.actor, entry.reason) == ("screening", submission.status_reason)


async def test_an_unrelated_photo_is_not_flagged(
    fakes: Fakes, policy: ScanPolicy, tmp_path: Path, marketing_photo: bytes
) -> None:
    """A customer's own photo, unlike any known image, is approved as usual."""
    sid = await upload(fakes, tmp_path, samples.clean_jpeg(seed=4))
    assert await scanned(fakes, policy, sid) is Status.APPROVED


async def test_a_copy_of_a_published_customer_photo_goes_to_review(
    fakes: Fakes, policy: ScanPolicy, tmp_path: Path
) -> None:
    """Someone else's published photo, re-posted on another product, waits for people."""
    await fakes.catalog.upsert_products([Product(OTHER_SKU, "Daypack", "A pack.", 12900)])
    original = samples.clean_jpeg(seed=7)
    first = await upload(fakes, tmp_path, original)
    assert await scanned(fakes, policy, first) is Status.APPROVED
    copy = await upload(fakes, tmp_path, reencoded(original, scale=0.6), sku=OTHER_SKU)
    assert await scanned(fakes, policy, copy) is Status.NEEDS_REVIEW
    [known] = await fakes.catalog.images_near(["0" * 16], max_distance=64)
    assert (known.kind, known.submission_id) == (ImageKind.CUSTOMER, first)
    submission = await fakes.catalog.get_submission(copy)
    assert submission is not None
    assert f"published customer photo of submission {first}" in (submission.status_reason or "")


async def being_scanned(fakes: Fakes, submission_id: str) -> Submission:
    """The submission moved to scanning, as the scan stage claims it."""
    moved = await fakes.catalog.transition(
        submission_id, allowed_from=SCANNABLE, to=Status.SCANNING, actor="scanner"
    )
    assert moved is not None
    return moved


async def test_of_two_copies_screened_at_once_each_is_found_a_copy_of_the_other(
    fakes: Fakes, tmp_path: Path
) -> None:
    """Two near-identical photos screened while both are being scanned (nothing published):
    each one's findings name the other, still on its way.
    """
    first, later = await copies_on_their_way(fakes, tmp_path)
    scanning = [await being_scanned(fakes, sid) for sid in (later, first)]
    findings = {
        s.id: await screen_submission(s, b"", catalog=fakes.catalog, screener=Screener())
        for s in scanning
    }
    for sid, other in ((first, later), (later, first)):
        [match] = findings[sid].near_copies
        assert (match.image.kind, match.image.submission_id) == (ImageKind.PENDING, other)
        assert findings[sid].reason == (
            f"near-copy of the customer photo of submission {other} ({SKU}), not yet "
            f"published ({match.distance} of 64 pHash bits differ)"
        )


async def test_of_two_copies_the_one_scanned_while_the_other_waits_is_published_alone(
    fakes: Fakes, policy: ScanPolicy, tmp_path: Path
) -> None:
    """The later of two copies, scanned while the earlier still waits in the queue, is
    approved; the earlier, scanned next, finds it published and goes to review naming it.
    """
    first, later = await copies_on_their_way(fakes, tmp_path)
    assert await scanned(fakes, policy, later) is Status.APPROVED
    assert await scanned(fakes, policy, first) is Status.NEEDS_REVIEW
    submission = await fakes.catalog.get_submission(first)
    assert submission is not None
    assert f"published customer photo of submission {later} ({SKU})" in (
        submission.status_reason or ""
    )


async def test_a_copy_still_being_scanned_is_seen_whichever_was_received_first(
    fakes: Fakes, policy: ScanPolicy, tmp_path: Path
) -> None:
    """The later copy was screened first (nothing else on its way then) and is still being
    published when the earlier one is scanned: the earlier one sees it and goes to review, so
    the two are never both published unseen.
    """
    first, later = await copies_on_their_way(fakes, tmp_path)
    await being_scanned(fakes, later)  # claimed, screened clean, its renditions being written
    assert await scanned(fakes, policy, first) is Status.NEEDS_REVIEW
    submission = await fakes.catalog.get_submission(first)
    assert submission is not None
    assert f"customer photo of submission {later} ({SKU}), not yet published" in (
        submission.status_reason or ""
    )


async def test_two_copies_scanned_at_once_are_not_both_published(
    fakes: Fakes, policy: ScanPolicy, tmp_path: Path
) -> None:
    """Two copies scanned together, their steps interleaved: at most one is approved; the
    other (or both) goes to review.
    """
    first, later = await copies_on_their_way(fakes, tmp_path)
    both = await asyncio.gather(scanned(fakes, policy, first), scanned(fakes, policy, later))
    assert set(both) <= {Status.APPROVED, Status.NEEDS_REVIEW}
    assert both.count(Status.APPROVED) <= 1


async def test_the_console_shows_copies_on_their_way_next_to_each_other(
    fakes: Fakes, tmp_path: Path
) -> None:
    """Three copies on their way, shown on one page: each view shows the two others (by their
    staff-only preview, linked).
    """
    first, later = await copies_on_their_way(fakes, tmp_path)
    copy = reencoded(samples.clean_jpeg(seed=11), quality=40)
    last = await upload(fakes, tmp_path, copy, clock=at(3), email="eve@example.com")
    ids = (first, later, last)
    submissions = [await being_scanned(fakes, sid) for sid in ids]
    views = await screening_views(submissions, fakes.catalog, Screener())
    shown = {sid: {m.href for m in view.matches} for sid, view in views.items()}
    assert shown == {
        sid: {f"/console/submissions/{other}" for other in ids if other != sid} for sid in ids
    }
    [told] = [m for m in views[later].matches if m.href == f"/console/submissions/{first}"]
    assert (told.kind, told.subject, told.product, told.url) == (
        ImageKind.PENDING,
        f"submission {first}, not yet published,",
        "this product",
        f"/console/submissions/{first}/preview",
    )


async def test_a_failing_scan_still_rejects_a_near_copy(
    fakes: Fakes, policy: ScanPolicy, tmp_path: Path, marketing_photo: bytes
) -> None:
    """Screening adds review reasons; it never saves a photo the scanner failed."""
    sid = await upload(fakes, tmp_path, reencoded(marketing_photo, scale=0.5))
    fakes.scanner.script(sid, scan_result(Verdict.FAIL, reasons=("weapons",)))
    assert await scanned(fakes, policy, sid) is Status.REJECTED


async def test_an_unsure_scanner_and_a_near_copy_both_give_their_reasons(
    fakes: Fakes, policy: ScanPolicy, tmp_path: Path, marketing_photo: bytes
) -> None:
    """When the scanner is unsure too, the review reason keeps its words and the match."""
    sid = await upload(fakes, tmp_path, reencoded(marketing_photo, scale=0.5))
    fakes.scanner.script(sid, scan_result(Verdict.INCONCLUSIVE, reasons=("blurry",)))
    assert await scanned(fakes, policy, sid) is Status.NEEDS_REVIEW
    submission = await fakes.catalog.get_submission(sid)
    assert submission is not None and submission.status_reason is not None
    assert submission.status_reason.startswith("blurry; near-copy of the marketing photo")
    assert (await fakes.catalog.audit_trail(sid))[-1].actor.startswith("scanner")


async def test_near_copies_can_be_turned_off(
    fakes: Fakes, tmp_path: Path, marketing_photo: bytes
) -> None:
    """With a distance of -1 no picture is compared and a copy is approved."""
    sid = await upload(fakes, tmp_path, reencoded(marketing_photo, scale=0.5))
    policy = ScanPolicy(Thresholds(), screener=Screener(phash_max_distance=-1))
    assert await scanned(fakes, policy, sid) is Status.APPROVED


async def test_marketing_photos_in_the_public_container_are_fingerprinted_once(
    fakes: Fakes,
) -> None:
    """A catalog filled before fingerprints were kept gets its stored marketing photos' once."""
    data = product_image(SKU, "Trailhead 2-Person Tent", 150, 1)
    await fakes.blobs.put(Container.PUBLIC, "catalog/tent/2.jpg", data, "image/jpeg")
    url = fakes.blobs.public_url("catalog/tent/2.jpg")
    elsewhere = "https://cdn.example/tent.jpg"
    tent = Product(SKU, "Trail Tent 2P", "A tent.", 19900, (url, elsewhere))
    await fakes.catalog.upsert_products([tent])
    assert await fingerprint_stored_marketing(fakes.catalog, fakes.blobs) == 1
    [image] = await fakes.catalog.marketing_images()
    assert (image.kind, image.url) == (ImageKind.MARKETING, url)
    assert image.phash == fingerprint_bytes(data).phash
    assert await fingerprint_stored_marketing(fakes.catalog, fakes.blobs) == 0
