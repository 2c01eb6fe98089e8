"""What a customer is told about an upload: plain words, no scanner internals, no email address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from photogate.adapters.memory.blobs import InMemoryBlobStore
from photogate.adapters.memory.catalog import InMemoryCatalog
from photogate.domain.catalog import OutboxMessage, Product
from photogate.domain.submission import SCANNABLE, Status, Submission
from photogate.entrypoints.web.app import STATIC_DIR
from photogate.entrypoints.web.pages import NO_SCRIPT_REFRESH_S, STEPS
from photogate.entrypoints.web.status import status_message, submission_status
from photogate.errors import NotFound
from photogate.intake.accept_upload import accept_upload
from photogate.settings import UploadSettings
from tests.unit.conftest import Fakes, another_photo_file, form
from tests.unit.test_web_direct_upload import client_for

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
EMAIL = "secret.person@example.com"


def submission(number: int) -> Submission:
    """A fresh upload of the mug."""
    sid = f"{number:032x}"
    return Submission(
        id=sid,
        sku="MUG",
        email=EMAIL,
        display_name="Sam",
        caption="",
        content_type="image/jpeg",
        original_blob=f"{sid}/original.jpeg",
        size_bytes=1000,
        width=800,
        height=600,
        created_at=NOW + timedelta(seconds=number),
        consent_at=NOW,
    )


async def catalog_with(count: int) -> InMemoryCatalog:
    """A catalog holding the mug and `count` uploads, in order."""
    catalog = InMemoryCatalog(clock=lambda: NOW)
    await catalog.upsert_products([Product("MUG", "Mug", "A mug.", 900)])
    for number in range(count):
        outbox = OutboxMessage(f"o{number}", "scans", "{}", f"{number:032x}")
        await catalog.add_submission(submission(number), outbox)
    return catalog


async def test_waiting_upload_shows_its_place_in_line() -> None:
    """The third upload waiting is number 3 in line, and the message says so."""
    catalog = await catalog_with(3)
    status = await submission_status(catalog, f"{2:032x}", None)
    assert status.queue_position == 3
    assert "number 3" in status.message
    assert status.photo is None


@pytest.mark.parametrize(
    ("to", "reason"),
    [
        (Status.REJECTED, "did not pass our checks"),
        (Status.FAILED, "could not be processed"),
    ],
)
async def test_settled_upload_hides_the_internal_reason(to: Status, reason: str) -> None:
    """Rejected and failed uploads get a fixed customer-safe reason, not the scanner's own."""
    catalog = await catalog_with(1)
    internal = "nudity score 0.97 over our fail limit (model refscanner-1.0)"
    sid = f"{0:032x}"
    await catalog.transition(sid, allowed_from=SCANNABLE, to=to, actor="scanner", reason=internal)
    status = await submission_status(catalog, sid, None)
    assert status.status_reason == reason
    dumped = status.model_dump_json()
    assert "nudity" not in dumped
    assert EMAIL not in dumped
    assert status.queue_position is None


async def test_unknown_submission_is_not_found() -> None:
    """An id nobody was given is NotFound."""
    with pytest.raises(NotFound):
        await submission_status(await catalog_with(0), "f" * 32, None)


def test_next_in_line_reads_naturally() -> None:
    """Position 1 (or unknown) reads "next in line"."""
    assert "next in line" in status_message(Status.QUEUED, 1)
    assert "next in line" in status_message(Status.RECEIVED, None)


def test_the_status_script_names_no_state_of_its_own() -> None:
    """status.js takes the final states from the page (rendered from FINAL), so none can drift."""
    script = (STATIC_DIR / "status.js").read_text()
    assert "data-final-states" in script
    assert [state for state in Status if f'"{state}"' in script] == []


async def test_without_scripts_the_status_page_reloads_itself_until_settled(
    fakes: Fakes, tmp_path: Path
) -> None:
    """It says it updates by itself: without status.js a refresh does it, and stops once the
    photo is settled.
    """
    path, size = another_photo_file(tmp_path)
    accepted = await accept_upload(form(), path, size, ports=fakes.ports, limits=UploadSettings())
    refresh = f'<noscript><meta http-equiv="refresh" content="{NO_SCRIPT_REFRESH_S}"></noscript>'
    async with client_for(fakes, tmp_path, InMemoryBlobStore()) as client:
        waiting = (await client.get(f"/submissions/{accepted.id}")).text
        await fakes.catalog.transition(
            accepted.id, allowed_from=SCANNABLE, to=Status.REJECTED, actor="scanner:v1"
        )
        settled = (await client.get(f"/submissions/{accepted.id}")).text
    assert refresh in waiting and "updates by itself" in waiting
    assert refresh not in settled and "updates by itself" not in settled


async def test_the_current_step_is_marked_in_words_not_only_in_colour(
    fakes: Fakes, tmp_path: Path
) -> None:
    """aria-current marks the step the photo is at, and a photo in review is "With our team",
    not "Decided".
    """
    path, size = another_photo_file(tmp_path)
    accepted = await accept_upload(form(), path, size, ports=fakes.ports, limits=UploadSettings())
    async with client_for(fakes, tmp_path, InMemoryBlobStore()) as client:
        waiting = (await client.get(f"/submissions/{accepted.id}")).text
        await fakes.catalog.transition(
            accepted.id, allowed_from=SCANNABLE, to=Status.NEEDS_REVIEW, actor="scanner:v1"
        )
        in_review = (await client.get(f"/submissions/{accepted.id}")).text
    assert 'data-step="waiting" aria-current="step">Received<' in waiting
    assert waiting.count('aria-current="step"') == 1
    assert 'data-step="done" aria-current="step">With our team<' in in_review
    assert "Decided" not in in_review


def test_every_state_before_scanning_is_at_the_first_step() -> None:
    """A direct upload still arriving is waiting, like a received or queued one, not at the
    last step; only states after the scan are there.
    """
    before = {Status.AWAITING_UPLOAD, Status.RECEIVED, Status.QUEUED}
    assert {state for state, step in STEPS.items() if step == "waiting"} == before
    assert STEPS[Status.SCANNING] == "scanning"
