"""Use cases: scan a submission, decide, publish; redelivery never decides or publishes twice."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from pathlib import Path
from typing import Any

import pytest

from photogate.adapters.memory.blobs import InMemoryBlobStore
from photogate.adapters.memory.catalog import InMemoryCatalog
from photogate.adapters.memory.scanner import scan_result
from photogate.domain.scan import ScanResult, Thresholds, Verdict
from photogate.domain.submission import Status, Submission
from photogate.errors import ScanInputRejected, ScannerBusy, StorageUnavailable
from photogate.intake.accept_upload import accept_upload
from photogate.messages import NOTIFY_QUEUE
from photogate.ports import Container
from photogate.publishing.publish import public_key, publish
from photogate.publishing.renditions import MAX_SIDE
from photogate.scanning.scan_submission import ScanPolicy, scan_submission
from photogate.settings import UploadSettings
from photogate.testing import samples
from tests.unit.blob_hooks import HookedBlobStore, twin_sending_to_people
from tests.unit.conftest import SKU, Fakes, form, photo_file


async def uploaded(fakes: Fakes, tmp_path: Path, data: bytes | None = None) -> str:
    path, size = photo_file(tmp_path, data)
    submission = await accept_upload(form(), path, size, ports=fakes.ports, limits=UploadSettings())
    return submission.id


async def test_pass_publishes_renditions_row_and_owes_one_email(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """A pass is approved, renditions go public, the catalog gets its row and an email is owed."""
    sid = await uploaded(fakes, tmp_path)
    assert await scan_submission(sid, ports=fakes.ports, policy=scan_policy) is Status.APPROVED
    public = fakes.blobs.names(Container.PUBLIC)
    assert public and all(name.startswith(public_key(sid) + "/") for name in public)
    assert sid not in " ".join(public), "public names must not reveal the submission id"
    photos, total = await fakes.catalog.list_photos(SKU, limit=10)
    assert total == 1
    assert {r.format for r in photos[0].renditions} == {"webp", "jpeg"}
    assert photos[0].placeholder.startswith("#")
    assert await fakes.queue.count(NOTIFY_QUEUE) == 1
    submission = await fakes.catalog.get_submission(sid)
    assert submission is not None and submission.published_at is not None


async def test_a_photo_as_elongated_as_intake_takes_is_published_within_limits(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """A 900x18000 strip passes intake and is published, no rendition side over MAX_SIDE."""
    sid = await uploaded(fakes, tmp_path, samples.strip_png(900, 18_000))
    assert await scan_submission(sid, ports=fakes.ports, policy=scan_policy) is Status.APPROVED
    (photo,), _ = await fakes.catalog.list_photos(SKU, limit=10)
    assert (photo.width, photo.height) == (900, 18_000)
    assert {max(r.width, r.height) for r in photo.renditions} == {MAX_SIDE}


async def test_scanner_gets_a_clean_rendition_and_the_submission_id(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """The scanner is called with X-Request-Id = submission id and a metadata-free JPEG."""
    sid = await uploaded(fakes, tmp_path, samples.jpeg_with_gps_exif())
    await scan_submission(sid, ports=fakes.ports, policy=scan_policy)
    (call,) = fakes.scanner.calls
    assert call.request_id == sid
    assert call.content_type == "image/jpeg"
    assert b"Exif" not in call.image[:4096]


async def test_redelivery_after_approval_changes_nothing(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """Scanning an approved submission again makes no second scan, photo row or email."""
    sid = await uploaded(fakes, tmp_path)
    await scan_submission(sid, ports=fakes.ports, policy=scan_policy)
    again = await scan_submission(sid, ports=fakes.ports, policy=scan_policy)
    assert again is Status.APPROVED
    assert len(fakes.scanner.calls) == 1
    assert (await fakes.catalog.list_photos(SKU, limit=10))[1] == 1
    assert await fakes.queue.count(NOTIFY_QUEUE) == 1


@pytest.mark.parametrize(
    ("verdict", "expected"),
    [(Verdict.FAIL, Status.REJECTED), (Verdict.INCONCLUSIVE, Status.NEEDS_REVIEW)],
)
async def test_fail_and_inconclusive_are_not_published(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path, verdict: Verdict, expected: Status
) -> None:
    """A fail is rejected and an inconclusive goes to people; neither is published."""
    sid = await uploaded(fakes, tmp_path)
    fakes.scanner.script(sid, scan_result(verdict, reasons=("looks off",), violence=0.9))
    assert await scan_submission(sid, ports=fakes.ports, policy=scan_policy) is expected
    submission = await fakes.catalog.get_submission(sid)
    assert submission is not None and submission.status_reason == "looks off"
    assert submission.scan is not None and submission.scan.categories["violence"] == 0.9
    assert fakes.blobs.names(Container.PUBLIC) == []
    assert await fakes.queue.count(NOTIFY_QUEUE) == 0


async def test_local_threshold_makes_a_pass_stricter(fakes: Fakes, tmp_path: Path) -> None:
    """Our own threshold turns the scanner's pass into a rejection, with the reason recorded."""
    sid = await uploaded(fakes, tmp_path)
    fakes.scanner.script(sid, scan_result(Verdict.PASS, weapons=0.5, novelty=0.2))
    policy = ScanPolicy(Thresholds(fail={"weapons": 0.4}))
    assert await scan_submission(sid, ports=fakes.ports, policy=policy) is Status.REJECTED
    submission = await fakes.catalog.get_submission(sid)
    assert submission is not None
    assert submission.status_reason == "weapons score 0.50 over our fail limit"
    assert submission.scan is not None and "novelty" in submission.scan.categories


def test_thresholds_never_make_a_verdict_more_lenient() -> None:
    """A scanner fail stays a fail however lenient our thresholds are."""
    strict = Thresholds(fail={"violence": 0.99}, review={"violence": 0.99})
    assert strict.decide(scan_result(Verdict.FAIL, violence=0.1))[0] is Verdict.FAIL
    review = Thresholds(review={"hate": 0.3})
    assert review.decide(scan_result(Verdict.PASS, hate=0.3))[0] is Verdict.INCONCLUSIVE


async def test_scanner_refusal_rejects_as_invalid(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """A 400/413/415 from the scanner rejects the photo as invalid, naming the reason."""
    sid = await uploaded(fakes, tmp_path)
    fakes.scanner.script(sid, ScanInputRejected(413, "image larger than 4 MiB"))
    assert await scan_submission(sid, ports=fakes.ports, policy=scan_policy) is Status.REJECTED
    submission = await fakes.catalog.get_submission(sid)
    assert submission is not None and submission.status_reason is not None
    assert submission.status_reason.startswith("invalid image:")


async def test_busy_scanner_propagates_and_a_retry_settles(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """A 429 leaves the submission scanning for a retry, which then settles it once."""
    sid = await uploaded(fakes, tmp_path)
    fakes.scanner.script(sid, ScannerBusy("over capacity", retry_after=2), scan_result())
    with pytest.raises(ScannerBusy):
        await scan_submission(sid, ports=fakes.ports, policy=scan_policy)
    submission = await fakes.catalog.get_submission(sid)
    assert submission is not None and submission.status is Status.SCANNING
    assert await scan_submission(sid, ports=fakes.ports, policy=scan_policy) is Status.APPROVED
    trail = [e.to_status for e in await fakes.catalog.audit_trail(sid)]
    assert trail == [Status.RECEIVED, Status.QUEUED, Status.SCANNING, Status.APPROVED]


async def test_missing_original_fails_the_submission(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """If the quarantined original is gone the submission fails with that reason."""
    sid = await uploaded(fakes, tmp_path)
    submission = await fakes.catalog.get_submission(sid)
    assert submission is not None
    await fakes.blobs.delete(Container.QUARANTINE, submission.original_blob)
    assert await scan_submission(sid, ports=fakes.ports, policy=scan_policy) is Status.FAILED


async def test_unknown_submission_is_ignored(fakes: Fakes, scan_policy: ScanPolicy) -> None:
    """A message for a submission that does not exist settles to nothing."""
    assert await scan_submission("nope", ports=fakes.ports, policy=scan_policy) is None


async def test_renditions_of_a_submission_erased_while_they_were_made_are_deleted(
    fakes: Fakes, tmp_path: Path
) -> None:
    """Publishing loses to an erasure: the renditions it had written leave the public container."""
    sid = await uploaded(fakes, tmp_path)
    submission = await fakes.catalog.get_submission(sid)
    assert submission is not None
    every_state = set(Status)
    await fakes.catalog.transition(
        sid, allowed_from=every_state, to=Status.ERASED, actor="customer"
    )
    original = await fakes.blobs.get(Container.QUARANTINE, submission.original_blob)
    assert await publish(submission, original, None, ports=fakes.ports) is False
    assert fakes.blobs.names(Container.PUBLIC) == []


async def test_a_second_publisher_leaves_the_first_ones_renditions(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """A redelivered publish that finds the photo approved keeps the published files."""
    sid = await uploaded(fakes, tmp_path)
    assert await scan_submission(sid, ports=fakes.ports, policy=scan_policy) is Status.APPROVED
    published = fakes.blobs.names(Container.PUBLIC)
    submission = await fakes.catalog.get_submission(sid)
    assert submission is not None
    original = await fakes.blobs.get(Container.QUARANTINE, submission.original_blob)
    assert await publish(submission, original, None, ports=fakes.ports) is False
    assert fakes.blobs.names(Container.PUBLIC) == published


async def losing_to_a_twin(fakes: Fakes, tmp_path: Path) -> tuple[HookedBlobStore, str]:
    """An upload whose scan, once it starts writing renditions, finds that a redelivered twin
    of it sent the photo to people; returns the store and the submission id.
    """
    blobs = HookedBlobStore()
    fakes.blobs = blobs
    sid = await uploaded(fakes, tmp_path)
    blobs.before_public_put = twin_sending_to_people(fakes.catalog, sid)
    return blobs, sid


async def test_a_scan_losing_its_approval_to_a_twin_in_review_leaves_nothing_public(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """A pass whose approval is refused because a twin sent the photo to people meanwhile
    deletes the renditions it wrote: none stay public, with no row naming them.
    """
    blobs, sid = await losing_to_a_twin(fakes, tmp_path)
    await scan_submission(sid, ports=fakes.ports, policy=scan_policy)
    assert blobs.public_writes, "the losing scan wrote its renditions"
    assert blobs.names(Container.PUBLIC) == []
    assert await fakes.catalog.get_photo(sid) is None
    assert await fakes.queue.count(NOTIFY_QUEUE) == 0


async def test_a_scan_losing_its_approval_reports_the_state_it_left_the_photo_in(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The scan step reports needs_review, what the twin decided, not the approval it lost."""
    caplog.set_level(logging.INFO, logger="photogate.scanning.scan_submission")
    _, sid = await losing_to_a_twin(fakes, tmp_path)
    assert await scan_submission(sid, ports=fakes.ports, policy=scan_policy) is Status.NEEDS_REVIEW
    assert f"submission {sid} not published: settled meanwhile as needs_review" in caplog.text
    assert "-> approved" not in caplog.text


async def test_a_publish_attempt_gets_names_of_its_own(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """Two publish attempts for one photo write different names, all under its public key."""
    sid = await uploaded(fakes, tmp_path)
    assert await scan_submission(sid, ports=fakes.ports, policy=scan_policy) is Status.APPROVED
    first = set(fakes.blobs.names(Container.PUBLIC))
    submission = await fakes.catalog.get_submission(sid)
    assert submission is not None
    fakes.blobs.delete = _kept  # type: ignore[method-assign]
    original = await fakes.blobs.get(Container.QUARANTINE, submission.original_blob)
    assert await publish(submission, original, None, ports=fakes.ports) is False
    both = fakes.blobs.names(Container.PUBLIC)
    assert len(both) == 2 * len(first) and first < set(both)
    assert all(name.startswith(public_key(sid) + "/") for name in both)


async def _kept(container: Container, name: str) -> None:
    """A delete that keeps the blob, to see what a losing publisher wrote."""


class FailingBlobStore(InMemoryBlobStore):
    """An in-memory blob store whose third write to the public container fails."""

    def __init__(self) -> None:
        super().__init__()
        self.public_puts = 0

    async def put(self, container: Container, name: str, data: bytes, content_type: str) -> None:
        if container is Container.PUBLIC:
            self.public_puts += 1
            if self.public_puts == 3:
                raise StorageUnavailable("the public container is unreachable")
        await super().put(container, name, data, content_type)


async def test_a_publish_whose_writes_fail_takes_back_the_files_it_wrote(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """Renditions written before a write failed are deleted (no retry writes those names
    again), and the error goes on to the caller for a retry.
    """
    fakes.blobs = FailingBlobStore()
    sid = await uploaded(fakes, tmp_path)
    with pytest.raises(StorageUnavailable):
        await scan_submission(sid, ports=fakes.ports, policy=scan_policy)
    assert fakes.blobs.names(Container.PUBLIC) == []
    assert await scan_submission(sid, ports=fakes.ports, policy=scan_policy) is Status.APPROVED


class GatedCatalog(InMemoryCatalog):
    """An in-memory catalog whose status changes wait until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    async def transition(self, submission_id: str, **move: Any) -> Submission | None:
        await self.gate.wait()
        return await super().transition(submission_id, **move)


class HangingScanner:
    """A scanner that never answers; `called` is set once a scan reached it."""

    def __init__(self) -> None:
        self.called = asyncio.Event()

    async def scan(self, request_id: str, image: bytes, content_type: str) -> ScanResult:
        self.called.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_a_scan_cancelled_mid_call_lets_its_claim_finish(
    fakes: Fakes, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """Cancelling a scan (a worker stopping) never cuts off the catalog write that marks it."""
    catalog = GatedCatalog()
    await catalog.upsert_products(await fakes.catalog.list_products())
    fakes.catalog = catalog
    catalog.gate.set()  # intake moves its submission to queued unhindered
    sid = await uploaded(fakes, tmp_path)
    catalog.gate.clear()
    scanner = HangingScanner()
    ports = dataclasses.replace(fakes.ports, scanner=scanner)
    task = asyncio.create_task(scan_submission(sid, ports=ports, policy=scan_policy))
    await scanner.called.wait()  # the scan is under way; its claim waits at the gate
    task.cancel()
    catalog.gate.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    submission = await catalog.get_submission(sid)
    assert submission is not None and submission.status is Status.SCANNING
