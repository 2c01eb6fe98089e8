"""Use case: accept an upload. Everything is checked before anything is written."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from photogate.domain.catalog import OutboxMessage
from photogate.domain.submission import Status, Submission
from photogate.errors import InputError, NotFound, StorageUnavailable
from photogate.intake.accept_upload import accept_upload
from photogate.messages import SCAN_QUEUE, field_of
from photogate.ports import Container
from photogate.settings import UploadSettings
from photogate.testing import samples
from tests.unit.conftest import Fakes, form, photo_file


async def assert_nothing_stored(fakes: Fakes) -> None:
    assert fakes.blobs.names(Container.QUARANTINE) == []
    assert await fakes.queue.count(SCAN_QUEUE) == 0
    assert await fakes.catalog.pending_outbox(10) == []


async def test_accepted_upload_is_quarantined_recorded_and_queued(
    fakes: Fakes, limits: UploadSettings, tmp_path: Path
) -> None:
    """A good upload lands in quarantine under our own name, is recorded and queued once."""
    path, size = photo_file(tmp_path)
    submission = await accept_upload(form(), path, size, ports=fakes.ports, limits=limits)
    assert submission.status is Status.QUEUED
    assert fakes.blobs.names(Container.QUARANTINE) == [submission.original_blob]
    assert submission.original_blob == f"{submission.id}/original.jpeg"
    messages = await fakes.queue.receive(SCAN_QUEUE, max_messages=5)
    assert [field_of(m.body, "submission_id") for m in messages] == [submission.id]
    trail = await fakes.catalog.audit_trail(submission.id)
    assert [e.to_status for e in trail] == [Status.RECEIVED, Status.QUEUED]


@pytest.mark.parametrize("held", ["in memory", "in a file"])
async def test_the_photo_may_come_as_bytes_or_as_a_file(
    fakes: Fakes, limits: UploadSettings, tmp_path: Path, held: str
) -> None:
    """The web holds a small photo in memory and spills a large one to a file: either way the
    same bytes are quarantined.
    """
    path, size = photo_file(tmp_path)
    image: bytes | Path = path.read_bytes() if held == "in memory" else path
    submission = await accept_upload(form(), image, size, ports=fakes.ports, limits=limits)
    stored = await fakes.blobs.get(Container.QUARANTINE, submission.original_blob)
    assert stored == path.read_bytes()


async def test_form_fields_are_normalised(
    fakes: Fakes, limits: UploadSettings, tmp_path: Path
) -> None:
    """Email is normalised and control characters are dropped from names and captions."""
    path, size = photo_file(tmp_path)
    raw = form(email="Kim@Example.COM ", display_name="Kim\x00\u202e", caption=" hi\x07 ")
    submission = await accept_upload(raw, path, size, ports=fakes.ports, limits=limits)
    assert (submission.email, submission.display_name, submission.caption) == (
        "Kim@example.com",
        "Kim",
        "hi",
    )


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"consent": False}, "consent_required"),
        ({"email": "not-an-email"}, "invalid_email"),
        ({"email": "kim@"}, "invalid_email"),
        ({"display_name": "  "}, "display_name_required"),
        ({"display_name": "x" * 81}, "display_name_too_long"),
        ({"caption": "x" * 501}, "caption_too_long"),
    ],
)
async def test_bad_form_is_refused_and_nothing_stored(
    fakes: Fakes, limits: UploadSettings, tmp_path: Path, changes: dict[str, object], code: str
) -> None:
    """Each bad field gets its own error code and leaves no trace."""
    path, size = photo_file(tmp_path)
    with pytest.raises(InputError) as caught:
        await accept_upload(form(**changes), path, size, ports=fakes.ports, limits=limits)
    assert caught.value.code == code
    await assert_nothing_stored(fakes)


async def test_unknown_product_is_404_and_nothing_stored(
    fakes: Fakes, limits: UploadSettings, tmp_path: Path
) -> None:
    """An upload for a SKU the shop does not sell is refused as not found."""
    path, size = photo_file(tmp_path)
    with pytest.raises(NotFound) as caught:
        await accept_upload(form(sku="NOPE"), path, size, ports=fakes.ports, limits=limits)
    assert caught.value.status == 404
    await assert_nothing_stored(fakes)


async def test_bad_image_is_refused_and_nothing_stored(
    fakes: Fakes, limits: UploadSettings, tmp_path: Path
) -> None:
    """A file that is not an image is refused by content before anything is written."""
    path, size = photo_file(tmp_path, samples.php_as_jpg())
    with pytest.raises(InputError) as caught:
        await accept_upload(form(), path, size, ports=fakes.ports, limits=limits)
    assert caught.value.code == "unsupported_type"
    await assert_nothing_stored(fakes)


async def test_database_failure_removes_the_quarantined_original(
    fakes: Fakes, limits: UploadSettings, tmp_path: Path
) -> None:
    """If recording the submission fails, the original is removed again: nothing half-written."""

    async def broken(
        submission: Submission, outbox: OutboxMessage, fingerprint: object = None, **_: object
    ) -> None:
        raise RuntimeError("database is down")

    fakes.catalog.add_submission = broken  # type: ignore[method-assign]
    path, size = photo_file(tmp_path)
    with pytest.raises(RuntimeError):
        await accept_upload(form(), path, size, ports=fakes.ports, limits=limits)
    await assert_nothing_stored(fakes)


@pytest.mark.parametrize("committed", [True, False], ids=["after-commit", "before-commit"])
async def test_a_cancelled_upload_keeps_the_original_only_if_its_row_was_written(
    fakes: Fakes, limits: UploadSettings, tmp_path: Path, committed: bool
) -> None:
    """The customer goes away while the rows are being written (the task is cancelled): if the
    batch committed all the same, the original its row points at stays; if not, it goes.
    """
    add = fakes.catalog.add_submission

    async def cancelled(*args: Any, **kwargs: Any) -> None:
        if committed:
            await add(*args, **kwargs)
        raise asyncio.CancelledError

    fakes.catalog.add_submission = cancelled  # type: ignore[method-assign]
    path, size = photo_file(tmp_path)
    with pytest.raises(asyncio.CancelledError):
        await accept_upload(form(), path, size, ports=fakes.ports, limits=limits)
    stored = fakes.blobs.names(Container.QUARANTINE)
    if committed:
        [pending] = await fakes.catalog.pending_outbox(10)
        submission = await fakes.catalog.get_submission(pending.submission_id or "")
        assert submission is not None and stored == [submission.original_blob]
    else:
        await assert_nothing_stored(fakes)


async def test_a_cancelled_upload_stays_cancelled_when_the_catalog_cannot_say(
    fakes: Fakes, limits: UploadSettings, tmp_path: Path
) -> None:
    """If the catalog cannot be asked whether the cancelled upload's row was written, the
    cancellation still reaches the caller (not the catalog's error) and the original is kept.
    """

    async def cancelled(*args: Any, **kwargs: Any) -> None:
        raise asyncio.CancelledError

    async def down(submission_id: str) -> None:
        raise StorageUnavailable("the catalog database is unavailable")

    fakes.catalog.add_submission = cancelled  # type: ignore[method-assign]
    fakes.catalog.get_submission = down  # type: ignore[method-assign,assignment]
    path, size = photo_file(tmp_path)
    with pytest.raises(asyncio.CancelledError):
        await accept_upload(form(), path, size, ports=fakes.ports, limits=limits)
    assert len(fakes.blobs.names(Container.QUARANTINE)) == 1


async def test_queue_down_leaves_the_message_in_the_outbox(
    fakes: Fakes, limits: UploadSettings, tmp_path: Path
) -> None:
    """If the queue is down the upload still succeeds; its message waits in the outbox."""

    async def down(queue: str, body: str, *, delay: float = 0.0) -> str:
        raise ConnectionError("queue unreachable")

    fakes.queue.send = down  # type: ignore[method-assign]
    path, size = photo_file(tmp_path)
    submission = await accept_upload(form(), path, size, ports=fakes.ports, limits=limits)
    assert submission.status is Status.RECEIVED
    pending = await fakes.catalog.pending_outbox(10)
    assert [m.submission_id for m in pending] == [submission.id]
