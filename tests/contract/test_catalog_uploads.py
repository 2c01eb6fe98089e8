"""Contract of the catalog's direct uploads: the in-memory fake, SQLite and PostgreSQL alike."""

# The catalog suite's fixtures are imported by name, and tests take them as parameters of the
# same name: that is how pytest injects them, not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import asyncio
from dataclasses import replace

from photogate.adapters.sql.catalog import open_sql_catalog
from photogate.domain.fingerprint import Fingerprint
from photogate.domain.submission import Repeat, Status, Submission, UploadedFile
from photogate.ports.catalog import Catalog
from tests.contract.test_catalog import (  # noqa: F401 - fixtures are found by name
    a_product,
    a_submission,
    an_outbox,
    backend,
    catalog,
    clock,
    migrated_url,
    postgres_url,
)

PRINT = Fingerprint("c" * 64, "00ff00ff00ff00ff")
FILE = UploadedFile("image/png", 4321, 800, 600)


async def awaiting(catalog: Catalog, *, seconds: int = 0) -> Submission:
    """A submission recorded awaiting its direct upload (received `seconds` into the minute)."""
    await catalog.upsert_products([a_product()])
    sent = a_submission()
    submission = replace(
        sent,
        created_at=sent.created_at.replace(second=seconds),
        status=Status.AWAITING_UPLOAD,
        content_type="",
        size_bytes=0,
        width=0,
        height=0,
        extra={"upload_expires_at": "2025-03-01T12:10:00+00:00"},
    )
    await catalog.add_awaiting_upload(submission)
    return submission


async def complete(catalog: Catalog, submission_id: str) -> Submission | Repeat | None:
    return await catalog.complete_upload(
        submission_id, file=FILE, fingerprint=PRINT, outbox=an_outbox(submission_id), actor="me"
    )


async def complete_unless_repeat(
    catalog: Catalog, submission_id: str
) -> Submission | Repeat | None:
    """complete, unless the file repeats a submission in any state but failed."""
    return await catalog.complete_upload(
        submission_id,
        file=FILE,
        fingerprint=PRINT,
        outbox=an_outbox(submission_id),
        actor="me",
        repeats=frozenset(Status) - {Status.FAILED},
    )


async def test_an_awaiting_upload_is_recorded_audited_and_not_queued(catalog: Catalog) -> None:
    """add_awaiting_upload stores the submission as given, audits it, and queues nothing."""
    submission = await awaiting(catalog)
    assert await catalog.get_submission(submission.id) == submission
    trail = await catalog.audit_trail(submission.id)
    assert [(e.from_status, e.to_status, e.actor) for e in trail] == [
        (None, Status.AWAITING_UPLOAD, "customer")
    ]
    assert await catalog.pending_outbox(10) == []
    assert await catalog.queue_position(submission.id) is None


async def test_awaiting_uploads_are_listed_but_never_reconciled(catalog: Catalog) -> None:
    """They are listed by status (for the sweep) and are no scannable work for the reconciler."""
    submission = await awaiting(catalog)
    listed, total = await catalog.list_submissions(Status.AWAITING_UPLOAD, limit=10)
    assert ([s.id for s in listed], total) == ([submission.id], 1)
    far_future = submission.created_at.replace(year=2100)
    assert await catalog.stale_submissions(far_future, 10) == []


async def test_completing_records_the_file_fingerprint_and_message_at_once(
    catalog: Catalog,
) -> None:
    """complete_upload fills in the file's facts, keeps the fingerprint, queues the message."""
    submission = await awaiting(catalog)
    moved = await complete(catalog, submission.id)
    assert moved is not None and moved == await catalog.get_submission(submission.id)
    assert moved.status is Status.RECEIVED
    assert (moved.content_type, moved.size_bytes, moved.width, moved.height) == (
        "image/png",
        4321,
        800,
        600,
    )
    assert moved.extra == submission.extra
    assert await catalog.get_fingerprint(submission.id) == PRINT
    assert [m.submission_id for m in await catalog.pending_outbox(10)] == [submission.id]
    trail = await catalog.audit_trail(submission.id)
    assert [(e.from_status, e.to_status) for e in trail][-1] == (
        Status.AWAITING_UPLOAD,
        Status.RECEIVED,
    )


async def test_completing_twice_changes_nothing_the_second_time(catalog: Catalog) -> None:
    """The compare-and-set lets one completion through; the second returns None."""
    submission = await awaiting(catalog)
    assert await complete(catalog, submission.id) is not None
    assert await complete(catalog, submission.id) is None
    assert len(await catalog.pending_outbox(10)) == 1
    assert len(await catalog.audit_trail(submission.id)) == 2


async def test_a_failed_or_unknown_upload_cannot_be_completed(catalog: Catalog) -> None:
    """Once failed (or never recorded), complete_upload returns None and writes nothing."""
    submission = await awaiting(catalog)
    failed = await catalog.transition(
        submission.id, allowed_from={Status.AWAITING_UPLOAD}, to=Status.FAILED, actor="intake"
    )
    assert failed is not None and failed.status is Status.FAILED
    assert await complete(catalog, submission.id) is None
    assert await complete(catalog, "f" * 32) is None
    assert await catalog.pending_outbox(10) == []
    assert await catalog.get_fingerprint(submission.id) is None


async def test_failing_an_upload_records_the_submission_it_repeats(catalog: Catalog) -> None:
    """fail_upload moves awaiting_upload to failed, audited with its reason, and repeat_of
    comes back as written, from every read of the submission.
    """
    earlier, repeat = await awaiting(catalog), await awaiting(catalog)
    reason = "already_sent: You already sent this photo."
    failed = await catalog.fail_upload(
        repeat.id, reason=reason, actor="intake", repeat_of=earlier.id
    )
    assert failed is not None and failed == await catalog.get_submission(repeat.id)
    assert failed == replace(
        repeat,
        status=Status.FAILED,
        status_reason=reason,
        updated_at=failed.updated_at,
        repeat_of=earlier.id,
    )
    listed, _ = await catalog.list_submissions(Status.FAILED, limit=10)
    assert [s.repeat_of for s in listed] == [earlier.id]
    customers = await catalog.customer_submissions(repeat.email)
    assert {s.id: s.repeat_of for s in customers} == {earlier.id: None, repeat.id: earlier.id}
    [*_, entry] = await catalog.audit_trail(repeat.id)
    assert (entry.from_status, entry.to_status, entry.actor, entry.reason) == (
        Status.AWAITING_UPLOAD,
        Status.FAILED,
        "intake",
        reason,
    )


async def test_failing_an_upload_that_repeats_nothing_records_none(catalog: Catalog) -> None:
    """Any other failure (a refused file, one that never arrived) has no repeat_of."""
    submission = await awaiting(catalog)
    failed = await catalog.fail_upload(submission.id, reason="upload_missing: x", actor="intake")
    assert failed is not None and failed.repeat_of is None
    assert (await catalog.get_submission(submission.id) or submission).repeat_of is None


async def test_only_an_upload_still_awaited_can_be_failed(catalog: Catalog) -> None:
    """fail_upload is a compare-and-set: a completed (or unknown) upload is left as it was."""
    submission = await awaiting(catalog)
    completed = await complete(catalog, submission.id)
    again = await catalog.fail_upload(submission.id, reason="r", actor="intake", repeat_of="a" * 32)
    assert again is None
    assert await catalog.get_submission(submission.id) == completed
    assert await catalog.fail_upload("f" * 32, reason="r", actor="intake") is None
    assert len(await catalog.audit_trail(submission.id)) == 2


async def test_completing_a_repeat_changes_nothing_and_names_the_oldest_copy(
    catalog: Catalog,
) -> None:
    """With `repeats`, a file already recorded for the product (twice: the oldest answers)
    leaves the upload awaiting, with no fingerprint and no queue message.
    """
    first, second, third = [await awaiting(catalog, seconds=n) for n in range(3)]
    assert isinstance(await complete(catalog, first.id), Submission)
    assert isinstance(await complete(catalog, second.id), Submission)
    pending = await catalog.pending_outbox(10)
    answer = await complete_unless_repeat(catalog, third.id)
    assert isinstance(answer, Repeat) and answer.earlier.id == first.id
    assert await catalog.get_submission(third.id) == third
    assert await catalog.get_fingerprint(third.id) is None
    assert await catalog.pending_outbox(10) == pending


async def test_an_upload_is_never_its_own_repeat(catalog: Catalog) -> None:
    """Completing the same upload twice at once (the browser and Event Grid) with `repeats`:
    one completes it, the other is told it is no longer awaiting, not that it repeats itself.
    """
    submission = await awaiting(catalog)
    answers = await asyncio.gather(*(complete_unless_repeat(catalog, submission.id) for _ in "ab"))
    assert sorted(type(a).__name__ for a in answers) == ["NoneType", "Submission"]


async def test_separate_catalogs_completing_copies_at_once_record_one(migrated_url: str) -> None:
    """Six direct uploads of one file completed together through three catalogs on one
    database (three processes): one is received, the five others are told it is their repeat.
    """
    setup = await open_sql_catalog(migrated_url)
    uploads = [await awaiting(setup) for _ in range(6)]
    catalogs = [await open_sql_catalog(migrated_url) for _ in range(3)]
    try:
        answers = await asyncio.gather(
            *(complete_unless_repeat(catalogs[n % 3], u.id) for n, u in enumerate(uploads))
        )
        statuses = [(await setup.get_submission(u.id)) for u in uploads]
    finally:
        for catalog in [setup, *catalogs]:
            await catalog.aclose()
    [received] = [a for a in answers if isinstance(a, Submission)]
    assert all(
        isinstance(a, Repeat) and a.earlier.id == received.id for a in answers if a is not received
    )
    assert sorted(s.status for s in statuses if s is not None) == sorted(
        [Status.RECEIVED] + [Status.AWAITING_UPLOAD] * 5
    )
