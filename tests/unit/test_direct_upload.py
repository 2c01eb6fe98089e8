"""Use case: direct upload (valet key), driven through the in-memory fakes."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from photogate.adapters.memory.blobs import InMemoryBlobStore, InMemoryDirectBlobStore
from photogate.bootstrap import Services
from photogate.domain.scan import Thresholds
from photogate.domain.submission import Status, Submission
from photogate.errors import InputError, NotFound, RateLimited
from photogate.intake.direct_upload import (
    ARRIVAL_GRACE,
    DirectUpload,
    complete_direct_upload,
    refusal_of,
    settle_abandoned_uploads,
    start_direct_upload,
    submission_id_from_blob_name,
)
from photogate.intake.repeats import YOURS, answering_repeat
from photogate.messages import SCAN_QUEUE, field_of
from photogate.notifying.thank_customer import NotifyPolicy
from photogate.ports import Container, Ports
from photogate.privacy.erase import erase_customer
from photogate.scanning.scan_submission import ScanPolicy
from photogate.settings import Settings
from photogate.testing import samples
from tests.unit.conftest import Fakes, form

Q = Container.QUARANTINE
CLIENT = "203.0.113.7"


class FakeClock:
    """A clock that stands still until a test moves it."""

    def __init__(self) -> None:
        self.now = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


class CountingStore(InMemoryDirectBlobStore):
    """The direct-upload fake, counting downloads (to show what is never downloaded)."""

    downloads = 0

    async def get(self, container: Container, name: str) -> bytes:
        self.downloads += 1
        return await super().get(container, name)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> CountingStore:
    return CountingStore(clock=clock)


def services_for(
    fakes: Fakes, tmp_path: Path, store: InMemoryBlobStore, **uploads: object
) -> Services:
    """Services on the fakes, with `store` as the blob store and these upload settings."""
    settings = Settings(_env_file=None, data_dir=tmp_path, uploads=uploads)
    ports = Ports(store, fakes.queue, fakes.catalog, fakes.scanner, fakes.mailer)
    notify = NotifyPolicy(sender="Shop <photos@shop.example>", shop_url="http://shop.example")
    return Services(settings, ports, ScanPolicy(Thresholds()), notify)


@pytest.fixture
def services(fakes: Fakes, tmp_path: Path, store: CountingStore) -> Services:
    return services_for(fakes, tmp_path, store)


async def start(services: Services, clock: FakeClock, **changes: object) -> DirectUpload:
    return await start_direct_upload(services, form(**changes), client=CLIENT, clock=clock)


async def uploaded(
    services: Services, store: CountingStore, clock: FakeClock, data: bytes
) -> Submission:
    """A direct upload started, its file PUT with the grant, and completed once."""
    started = await start(services, clock)
    store.upload(started.grant.url, data, "image/jpeg")
    return await complete_direct_upload(services, started.submission.id, clock=clock)


async def test_start_records_an_awaiting_submission_and_grants_its_blob(
    services: Services, fakes: Fakes, clock: FakeClock
) -> None:
    """Starting records the submission awaiting its file, queues nothing, grants 10 minutes."""
    started = await start(services, clock)
    submission = started.submission
    assert submission.status is Status.AWAITING_UPLOAD
    assert submission.original_blob == f"{submission.id}/upload"
    assert started.grant.expires_at == clock.now + timedelta(minutes=10)
    assert started.grant.headers == {"x-ms-blob-type": "BlockBlob"}
    assert await fakes.catalog.get_submission(submission.id) == submission
    assert await fakes.catalog.pending_outbox(10) == []
    assert [e.to_status for e in await fakes.catalog.audit_trail(submission.id)] == [
        Status.AWAITING_UPLOAD
    ]


async def test_start_without_a_granting_store_is_refused(
    fakes: Fakes, tmp_path: Path, clock: FakeClock
) -> None:
    """A blob store that cannot grant uploads (embedded) answers direct_uploads_unavailable."""
    services = services_for(fakes, tmp_path, InMemoryBlobStore())
    with pytest.raises(NotFound) as caught:
        await start(services, clock)
    assert caught.value.code == "direct_uploads_unavailable"


async def test_start_is_refused_when_direct_uploads_are_turned_off(
    fakes: Fakes, tmp_path: Path, store: CountingStore, clock: FakeClock
) -> None:
    """PHOTOGATE_UPLOADS__DIRECT_UPLOADS=false keeps even a granting store on multipart."""
    services = services_for(fakes, tmp_path, store, direct_uploads=False)
    with pytest.raises(NotFound):
        await start(services, clock)


async def test_start_for_an_unknown_product_is_refused_and_records_nothing(
    services: Services, fakes: Fakes, clock: FakeClock
) -> None:
    """An unknown SKU is not found, and no submission or grant is made."""
    with pytest.raises(NotFound) as caught:
        await start(services, clock, sku="NOPE")
    assert caught.value.code == "unknown_product"
    assert await fakes.catalog.list_submissions(Status.AWAITING_UPLOAD, limit=5) == ([], 0)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"consent": False}, "consent_required"),
        ({"email": "kim@"}, "invalid_email"),
        ({"display_name": " "}, "display_name_required"),
        ({"caption": "x" * 501}, "caption_too_long"),
    ],
)
async def test_start_checks_the_form_as_multipart_does(
    services: Services, clock: FakeClock, changes: dict[str, object], code: str
) -> None:
    """Each bad field is refused with the multipart path's error code."""
    with pytest.raises(InputError) as caught:
        await start(services, clock, **changes)
    assert caught.value.code == code


async def test_start_applies_the_per_address_limit(
    fakes: Fakes, tmp_path: Path, store: CountingStore, clock: FakeClock
) -> None:
    """Grants count against the per-address limit: one too many is RateLimited."""
    services = services_for(fakes, tmp_path, store, per_ip_per_hour=1)
    await start(services, clock)
    with pytest.raises(RateLimited):
        await start(services, clock, email="other@example.com")


async def test_start_applies_the_per_email_and_product_limit(
    fakes: Fakes, tmp_path: Path, store: CountingStore, clock: FakeClock
) -> None:
    """Grants count against the per-email-and-product limit too."""
    services = services_for(fakes, tmp_path, store, per_email_per_product_per_day=1)
    await start(services, clock)
    with pytest.raises(RateLimited):
        await start(services, clock)


async def test_complete_checks_the_file_and_queues_one_scan(
    services: Services, fakes: Fakes, store: CountingStore, clock: FakeClock
) -> None:
    """A good file is recorded with its facts and fingerprint, and queued once."""
    submission = await uploaded(services, store, clock, samples.clean_jpeg(640, 480))
    assert submission.status is Status.QUEUED
    assert (submission.content_type, submission.width, submission.height) == (
        "image/jpeg",
        640,
        480,
    )
    assert await fakes.catalog.get_fingerprint(submission.id) is not None
    messages = await fakes.queue.receive(SCAN_QUEUE, max_messages=5)
    assert [field_of(m.body, "submission_id") for m in messages] == [submission.id]


async def test_a_second_completion_queues_nothing_more(
    services: Services, fakes: Fakes, store: CountingStore, clock: FakeClock
) -> None:
    """Completing twice (the browser and Event Grid) makes no second scan message."""
    submission = await uploaded(services, store, clock, samples.clean_jpeg(640, 480))
    again = await complete_direct_upload(services, submission.id, clock=clock)
    assert again == await fakes.catalog.get_submission(submission.id)
    assert await fakes.queue.count(SCAN_QUEUE) == 1
    assert len(await fakes.catalog.audit_trail(submission.id)) == 3


async def test_the_browser_and_event_grid_completing_at_once_keep_the_photo(
    services: Services, fakes: Fakes, store: CountingStore, clock: FakeClock
) -> None:
    """Both completions of one upload at the same moment: it is queued once and its original
    stays in quarantine (the slower one used to take the file for a repeat of itself and
    delete it).
    """
    started = await start(services, clock)
    store.upload(started.grant.url, samples.clean_jpeg(640, 480), "image/jpeg")
    sid = started.submission.id
    both = await asyncio.gather(*(complete_direct_upload(services, sid, clock=clock) for _ in "ab"))
    assert {s.status for s in both} == {Status.QUEUED}
    assert store.names(Q) == [started.submission.original_blob]
    assert await fakes.queue.count(SCAN_QUEUE) == 1


async def test_two_uploads_of_one_file_completed_at_once_take_it_once(
    services: Services, fakes: Fakes, store: CountingStore, clock: FakeClock
) -> None:
    """A photo sent twice by direct upload, both completed together: one is queued, the other
    fails as its repeat (deleted, naming it), as on the multipart path.
    """
    data = samples.clean_jpeg(640, 480, seed=9)
    first, second = [await start(services, clock) for _ in "ab"]
    for started in (first, second):
        store.upload(started.grant.url, data, "image/jpeg")
    done = await asyncio.gather(
        *(complete_direct_upload(services, s.submission.id, clock=clock) for s in (first, second))
    )
    [queued] = [s for s in done if s.status is Status.QUEUED]
    [repeat] = [s for s in done if s.status is Status.FAILED]
    assert repeat.repeat_of == queued.id
    assert store.names(Q) == [queued.original_blob]
    assert await fakes.queue.count(SCAN_QUEUE) == 1


async def test_complete_of_an_unknown_submission_is_not_found(services: Services) -> None:
    """An id nobody was granted is not found."""
    with pytest.raises(NotFound):
        await complete_direct_upload(services, "0" * 32)


async def test_complete_before_the_file_arrived_changes_nothing(
    services: Services, fakes: Fakes, clock: FakeClock
) -> None:
    """While the grant may still bring the file, completing early is a 409 and changes nothing."""
    started = await start(services, clock)
    with pytest.raises(InputError) as caught:
        await complete_direct_upload(services, started.submission.id, clock=clock)
    assert (caught.value.code, caught.value.status) == ("upload_not_arrived", 409)
    current = await fakes.catalog.get_submission(started.submission.id)
    assert current is not None and current.status is Status.AWAITING_UPLOAD


async def test_complete_after_the_grant_expired_without_a_file_fails_it(
    services: Services, clock: FakeClock
) -> None:
    """No file by the grant's expiry (and a grace period) fails the submission, saying so."""
    started = await start(services, clock)
    clock.advance(timedelta(minutes=10) + ARRIVAL_GRACE)
    failed = await complete_direct_upload(services, started.submission.id, clock=clock)
    assert failed.status is Status.FAILED
    assert (failed.status_reason or "").startswith("upload_missing:")


async def test_an_expired_grant_cannot_upload(
    services: Services, store: CountingStore, clock: FakeClock
) -> None:
    """The fake store, like Azure, refuses a PUT after the grant's expiry."""
    started = await start(services, clock)
    clock.advance(timedelta(minutes=10))
    with pytest.raises(PermissionError):
        store.upload(started.grant.url, samples.clean_jpeg(), "image/jpeg")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (samples.text_file(), "unsupported_type"),
        (samples.php_as_jpg(), "unsupported_type"),
        (samples.truncated_jpeg(), "corrupt_image"),
        (samples.bomb_png(), "image_too_large"),
        (samples.animated_webp(), "animated_image"),
        (samples.tiny_jpeg(), "image_too_small"),
        (b"", "empty_file"),
    ],
)
async def test_a_refused_file_is_deleted_and_the_submission_failed(
    services: Services,
    fakes: Fakes,
    store: CountingStore,
    clock: FakeClock,
    data: bytes,
    code: str,
) -> None:
    """A file the multipart path would refuse is deleted, and the reason is recorded."""
    submission = await uploaded(services, store, clock, data)
    assert submission.status is Status.FAILED
    assert (submission.status_reason or "").startswith(f"{code}: ")
    assert store.names(Q) == []
    assert await fakes.queue.count(SCAN_QUEUE) == 0


async def test_a_file_over_the_size_limit_is_refused_without_downloading_it(
    fakes: Fakes, tmp_path: Path, store: CountingStore, clock: FakeClock
) -> None:
    """The size comes from the blob's properties: a file over the limit is never read."""
    services = services_for(fakes, tmp_path, store, max_bytes=4096)
    submission = await uploaded(services, store, clock, samples.clean_jpeg(640, 480))
    assert (submission.status_reason or "").startswith("file_too_large: ")
    assert store.downloads == 0
    assert store.names(Q) == []


async def test_the_same_file_again_is_answered_by_the_earlier_submission(
    services: Services, fakes: Fakes, store: CountingStore, clock: FakeClock
) -> None:
    """The customer's repeat of a file still standing is deleted and fails naming the first
    upload, which answers for it (as multipart answers a repeat), however often it completes.
    """
    data = samples.clean_jpeg(640, 480, seed=7)
    first = await uploaded(services, store, clock, data)
    second = await uploaded(services, store, clock, data)
    assert first.status is Status.QUEUED
    assert second.status is Status.FAILED
    assert (second.status_reason or "").startswith("already_sent: ")
    assert store.names(Q) == [first.original_blob]
    assert await fakes.queue.count(SCAN_QUEUE) == 1
    again = await complete_direct_upload(services, second.id, clock=clock)
    for repeat in (second, again):
        earlier = await answering_repeat(fakes.catalog, repeat)
        assert earlier is not None
        assert (earlier.id, earlier.status) == (first.id, Status.QUEUED)


@pytest.mark.parametrize(
    "reworded",
    ["already_sent: Du hast dieses Foto schon geschickt.", "You sent this one before.", None],
)
async def test_a_repeat_is_answered_by_its_earlier_submission_whatever_its_reason_says(
    services: Services, fakes: Fakes, store: CountingStore, clock: FakeClock, reworded: str | None
) -> None:
    """The earlier submission is recorded with the failed repeat, not read from its reason: a
    reason reworded (or translated, or gone) still answers every completion with it.
    """
    data = samples.clean_jpeg(640, 480, seed=47)
    first = await uploaded(services, store, clock, data)
    second = await uploaded(services, store, clock, data)
    # No port rewrites a reason; the fake can, as a later release's wording would read.
    fakes.catalog._submissions[second.id] = replace(second, status_reason=reworded)
    again = await complete_direct_upload(services, second.id, clock=clock)
    earlier = await answering_repeat(fakes.catalog, again)
    assert earlier is not None and earlier.id == first.id


async def test_a_repeat_records_the_earlier_submission_and_still_names_it_for_people(
    services: Services, store: CountingStore, clock: FakeClock
) -> None:
    """The failed repeat's repeat_of is the earlier submission; its reason names it as well."""
    data = samples.clean_jpeg(640, 480, seed=57)
    first = await uploaded(services, store, clock, data)
    second = await uploaded(services, store, clock, data)
    assert second.repeat_of == first.id
    assert second.status_reason == f"already_sent: {YOURS} (earlier submission {first.id})"


async def test_a_repeat_gives_its_days_share_back(
    fakes: Fakes, tmp_path: Path, store: CountingStore, clock: FakeClock
) -> None:
    """With a limit of 2 photos a day, a repeat costs none of it: one more upload is granted,
    and only the one after that is RateLimited.
    """
    services = services_for(fakes, tmp_path, store, per_email_per_product_per_day=2)
    data = samples.clean_jpeg(640, 480, seed=17)
    await uploaded(services, store, clock, data)
    repeat = await uploaded(services, store, clock, data)
    assert await answering_repeat(fakes.catalog, repeat) is not None
    await start(services, clock)
    with pytest.raises(RateLimited):
        await start(services, clock)


async def test_the_same_file_from_another_email_is_refused_naming_no_one(
    services: Services, fakes: Fakes, store: CountingStore, clock: FakeClock
) -> None:
    """Someone else's copy fails as already_sent_by_someone_else (409), deleted; the first
    customer's upload answers for nothing.
    """
    data = samples.clean_jpeg(640, 480, seed=27)
    first = await uploaded(services, store, clock, data)
    started = await start(services, clock, email="other@example.com")
    store.upload(started.grant.url, data, "image/jpeg")
    copy = await complete_direct_upload(services, started.submission.id, clock=clock)
    assert await answering_repeat(fakes.catalog, copy) is None
    refusal = refusal_of(copy)
    assert refusal is not None
    assert (refusal.code, refusal.status) == ("already_sent_by_someone_else", 409)
    assert first.id not in (copy.status_reason or "")
    assert store.names(Q) == [first.original_blob]


async def test_a_repeat_whose_earlier_submission_is_gone_is_not_found(
    services: Services, fakes: Fakes, store: CountingStore, clock: FakeClock
) -> None:
    """If the earlier submission is no longer there to answer, the answer is NotFound."""
    first = await uploaded(services, store, clock, samples.clean_jpeg(640, 480, seed=37))
    repeat = await uploaded(services, store, clock, samples.clean_jpeg(640, 480, seed=37))
    del fakes.catalog._submissions[first.id]  # no port deletes a submission; the fake can
    with pytest.raises(NotFound) as caught:
        await answering_repeat(fakes.catalog, repeat)
    assert caught.value.code == "unknown_submission"


@pytest.mark.parametrize(
    ("status", "reason", "recorded"),
    [
        (Status.FAILED, "already_sent: You already sent this photo.", False),  # before ids
        (Status.FAILED, f"already_sent: x (earlier submission {'a' * 32})", False),
        (Status.QUEUED, f"already_sent: x (earlier submission {'a' * 32})", True),
    ],
)
async def test_only_a_failed_repeat_recording_its_earlier_submission_is_answered_by_it(
    services: Services,
    fakes: Fakes,
    clock: FakeClock,
    status: Status,
    reason: str,
    recorded: bool,
) -> None:
    """A failure recording no earlier submission (whatever its reason says), or another state,
    answers for nothing.
    """
    earlier = (await start(services, clock)).submission.id
    started = await start(services, clock, email="b@x.io")
    submission = replace(
        started.submission,
        status=status,
        status_reason=reason.replace("a" * 32, earlier),
        repeat_of=earlier if recorded else None,
    )
    assert await answering_repeat(fakes.catalog, submission) is None


async def test_abandoned_uploads_are_settled_once_their_grant_ran_out(
    services: Services, fakes: Fakes, store: CountingStore, clock: FakeClock
) -> None:
    """The sweep completes a file that arrived unannounced, fails one that never came."""
    arrived, never = await start(services, clock), await start(services, clock, email="b@x.io")
    store.upload(arrived.grant.url, samples.clean_jpeg(640, 480, seed=8), "image/jpeg")
    clock.advance(timedelta(minutes=5))
    fresh = await start(services, clock, email="c@x.io")
    assert await settle_abandoned_uploads(services, clock=clock) == []
    clock.advance(timedelta(minutes=5) + ARRIVAL_GRACE)
    settled = {s.id: s.status for s in await settle_abandoned_uploads(services, clock=clock)}
    assert settled == {arrived.submission.id: Status.QUEUED, never.submission.id: Status.FAILED}
    still = await fakes.catalog.get_submission(fresh.submission.id)
    assert still is not None and still.status is Status.AWAITING_UPLOAD


class FailingReads(CountingStore):
    """The direct-upload fake, failing every read of the blobs named in `failing`."""

    failing: frozenset[str] = frozenset()

    async def get(self, container: Container, name: str) -> bytes:
        if name in self.failing:
            raise RuntimeError("a bug, or a storage error nobody foresaw")
        return await super().get(container, name)


async def test_an_upload_that_cannot_be_settled_holds_up_no_other(
    fakes: Fakes, tmp_path: Path, clock: FakeClock
) -> None:
    """The oldest expired upload fails unexpectedly every time: the others behind it are
    settled all the same, and it stays awaiting for the next sweep.
    """
    store = FailingReads(clock=clock)
    services = services_for(fakes, tmp_path, store)
    stuck, behind = await start(services, clock), await start(services, clock, email="b@x.io")
    for started in (stuck, behind):
        store.upload(started.grant.url, samples.clean_jpeg(640, 480, seed=8), "image/jpeg")
    store.failing = frozenset({stuck.submission.original_blob})
    clock.advance(timedelta(minutes=10) + ARRIVAL_GRACE)
    settled = await settle_abandoned_uploads(services, clock=clock)
    assert [s.id for s in settled] == [behind.submission.id]
    left = await fakes.catalog.get_submission(stuck.submission.id)
    assert left is not None and left.status is Status.AWAITING_UPLOAD


def test_submission_id_from_blob_name_knows_only_granted_blobs() -> None:
    """Only "<32 hex>/upload" names a direct upload; multipart originals and others do not."""
    sid = "0123456789abcdef0123456789abcdef"
    assert submission_id_from_blob_name(f"{sid}/upload") == sid
    assert submission_id_from_blob_name(f"{sid}/original.jpeg") is None
    assert submission_id_from_blob_name(f"x/{sid}/upload") is None
    assert submission_id_from_blob_name("upload") is None


async def test_refusal_of_gives_back_the_multipart_error(
    services: Services, store: CountingStore, clock: FakeClock
) -> None:
    """The API answers a refused file with the multipart path's code and status."""
    submission = await uploaded(services, store, clock, samples.text_file())
    refusal = refusal_of(submission)
    assert refusal is not None
    assert (refusal.code, refusal.status) == ("unsupported_type", 415)


@pytest.mark.parametrize(
    ("data", "code", "status"),
    [
        (samples.tiny_jpeg(), "image_too_small", 400),
        (samples.truncated_jpeg(), "corrupt_image", 400),
        (b"", "empty_file", 400),
    ],
)
async def test_refusals_answer_the_multipart_paths_status(
    services: Services,
    store: CountingStore,
    clock: FakeClock,
    data: bytes,
    code: str,
    status: int,
) -> None:
    """A file too small, damaged or empty is a 400 on both paths, not a 422."""
    refusal = refusal_of(await uploaded(services, store, clock, data))
    assert refusal is not None
    assert (refusal.code, refusal.status) == (code, status)


async def test_refused_or_missing_files_give_their_days_share_back(
    fakes: Fakes, tmp_path: Path, store: CountingStore, clock: FakeClock
) -> None:
    """With a limit of 2 photos a day, a refused file and an upload that never came cost none
    of it: two more uploads are granted, and only the one after those is RateLimited.
    """
    services = services_for(fakes, tmp_path, store, per_email_per_product_per_day=2)
    refused = await uploaded(services, store, clock, samples.tiny_jpeg())
    assert refused.status is Status.FAILED
    never_sent = await start(services, clock)
    clock.advance(timedelta(minutes=10) + ARRIVAL_GRACE)
    missing = await complete_direct_upload(services, never_sent.submission.id, clock=clock)
    assert missing.status is Status.FAILED
    await start(services, clock)
    await start(services, clock)
    with pytest.raises(RateLimited):
        await start(services, clock)


async def test_a_file_arriving_after_the_upload_was_given_up_is_deleted(
    services: Services, store: CountingStore, clock: FakeClock
) -> None:
    """A late PUT's BlobCreated finds the submission failed as upload_missing: the file goes."""
    started = await start(services, clock)
    clock.advance(timedelta(minutes=10) + ARRIVAL_GRACE)
    await complete_direct_upload(services, started.submission.id, clock=clock)
    await store.put(Q, started.submission.original_blob, samples.clean_jpeg(), "image/jpeg")
    late = await complete_direct_upload(services, started.submission.id, clock=clock)
    assert late.status is Status.FAILED
    assert store.names(Q) == []


async def test_the_licence_version_accepted_at_start_is_kept_through_completion(
    services: Services, store: CountingStore, clock: FakeClock
) -> None:
    """Consent on the direct path records the licence version shown, as multipart does."""
    started = await start(services, clock, licence_version="2026-01")
    assert started.submission.licence_version == "2026-01"
    store.upload(started.grant.url, samples.clean_jpeg(640, 480), "image/jpeg")
    done = await complete_direct_upload(services, started.submission.id, clock=clock)
    assert (done.licence_version, done.consent_at) == ("2026-01", started.submission.consent_at)


# -- the grant opens one door once ---------------------------------------------------------
# It stays valid for up to ten minutes and creates the blob again whenever it is not there, so
# a file landing for a submission no longer awaiting it goes, unless it is the accepted original.

# Where a submission can stand once no longer awaiting its upload.
NOT_AWAITING = sorted(set(Status) - {Status.AWAITING_UPLOAD})
# Where an accepted upload can stand while its original is kept in quarantine.
HOLDING_ORIGINAL = sorted(set(NOT_AWAITING) - {Status.ERASED})


async def landed_again(
    services: Services, store: CountingStore, url: str, clock: FakeClock, submission_id: str
) -> Submission:
    """The same grant PUT a new file (the blob was not there) and its BlobCreated came."""
    store.upload(url, samples.clean_jpeg(640, 480, seed=99), "image/jpeg")
    return await complete_direct_upload(services, submission_id, clock=clock)


async def test_a_file_put_again_after_a_refusal_is_deleted_unchecked(
    services: Services, store: CountingStore, clock: FakeClock
) -> None:
    """After a refused file was deleted, the same link's second file is deleted too."""
    started = await start(services, clock)
    store.upload(started.grant.url, samples.text_file(), "text/plain")
    refused = await complete_direct_upload(services, started.submission.id, clock=clock)
    store.upload(started.grant.url, b"\0" * 5_000_000, "application/octet-stream")
    again = await complete_direct_upload(services, started.submission.id, clock=clock)
    assert again == refused
    assert (again.status_reason or "").startswith("unsupported_type: ")
    assert store.names(Q) == []


async def test_a_photo_arriving_after_the_customer_was_erased_is_deleted(
    services: Services, store: CountingStore, clock: FakeClock
) -> None:
    """Staff erase a customer while their link is open: the photo PUT afterwards goes at once."""
    started = await start(services, clock)
    await erase_customer(started.submission.email, actor="staff", ports=services.ports)
    late = await landed_again(services, store, started.grant.url, clock, started.submission.id)
    assert late.status is Status.ERASED
    assert store.names(Q) == []


@pytest.mark.parametrize("status", NOT_AWAITING)
async def test_a_file_for_a_submission_that_never_accepted_one_is_deleted(
    services: Services, fakes: Fakes, store: CountingStore, clock: FakeClock, status: Status
) -> None:
    """Whatever a submission without an accepted file moved to, a file landing for it goes."""
    started = await start(services, clock)
    await fakes.catalog.transition(
        started.submission.id, allowed_from={Status.AWAITING_UPLOAD}, to=status, actor="test"
    )
    late = await landed_again(services, store, started.grant.url, clock, started.submission.id)
    assert late.status is status
    assert store.names(Q) == []


@pytest.mark.parametrize("status", HOLDING_ORIGINAL)
async def test_the_accepted_original_stays_whatever_comes_after(
    services: Services, fakes: Fakes, store: CountingStore, clock: FakeClock, status: Status
) -> None:
    """A repeated BlobCreated for the accepted file, in any later state, leaves it alone."""
    accepted = await uploaded(services, store, clock, samples.clean_jpeg(640, 480, seed=98))
    await fakes.catalog.transition(
        accepted.id, allowed_from={accepted.status}, to=status, actor="test"
    )
    await complete_direct_upload(services, accepted.id, clock=clock)
    assert store.names(Q) == [accepted.original_blob]


async def test_a_file_put_again_after_retention_purged_the_original_is_deleted(
    services: Services, fakes: Fakes, store: CountingStore, clock: FakeClock
) -> None:
    """Once the accepted original is purged, the still-valid link cannot put a new one back."""
    started = await start(services, clock)
    store.upload(started.grant.url, samples.clean_jpeg(640, 480, seed=97), "image/jpeg")
    accepted = await complete_direct_upload(services, started.submission.id, clock=clock)
    await fakes.catalog.transition(
        accepted.id, allowed_from={accepted.status}, to=Status.APPROVED, actor="test"
    )
    await store.delete(Q, accepted.original_blob)
    clock.advance(timedelta(minutes=1))
    assert await fakes.catalog.mark_original_purged(
        accepted.id, allowed_from={Status.APPROVED}, at=clock.now
    )
    late = await landed_again(services, store, started.grant.url, clock, accepted.id)
    assert late.status is Status.APPROVED
    assert store.names(Q) == []
