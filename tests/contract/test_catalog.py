"""Contract of the Catalog port: the in-memory fake, SQLite and PostgreSQL pass the same suite."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, event, text

from photogate.adapters.memory.catalog import InMemoryCatalog
from photogate.adapters.sql.catalog import SqlCatalog, open_sql_catalog
from photogate.adapters.sql.engine import create_catalog_engine, sync_url
from photogate.adapters.sql.migrate import current_revision, head_revision, upgrade
from photogate.adapters.sql.tables import metadata
from photogate.domain.catalog import (
    OUTBOX_ACTOR,
    CustomerPhoto,
    EmailRecord,
    EmailStatus,
    OutboxMessage,
    Product,
    Rendition,
)
from photogate.domain.scan import ScanResult, Verdict
from photogate.domain.submission import SCANNABLE, Status, Submission, new_id
from photogate.errors import CatalogConflict
from photogate.moderation.audit_export import audit_csv
from photogate.ports.catalog import Catalog
from tests.support.postgres import fresh_database

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SKU = "MUG-1"
# Every table of the schema, so a table added later is emptied between tests too.
TABLES = ", ".join(metadata.tables)
POSTGRES = pytest.param("postgres", marks=pytest.mark.integration)


class TickingClock:
    """A UTC clock that moves one millisecond forward each time it is read."""

    def __init__(self) -> None:
        self.now = T0 + timedelta(days=1)

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


# -- backends ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated database on the server under test, dropped after the session."""
    yield from fresh_database("photogate_contract")


def _emptied(url: str) -> str:
    engine = create_engine(sync_url(url))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
    engine.dispose()
    return url


def _migrated(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "postgres":
        return _emptied(request.getfixturevalue("postgres_url"))
    url = f"sqlite+aiosqlite:///{tmp_path / 'catalog.sqlite3'}"
    upgrade(url)
    return url


@pytest.fixture(params=["sqlite", POSTGRES])
def migrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty catalog database at the newest schema."""
    return _migrated(request.param, request, tmp_path)


@pytest.fixture(params=["memory", "sqlite", POSTGRES])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """None for the in-memory catalog, else the URL of an empty migrated database."""
    if request.param == "memory":
        return None
    return _migrated(request.param, request, tmp_path)


@pytest.fixture
def clock() -> TickingClock:
    return TickingClock()


@pytest.fixture
async def catalog(backend: str | None, clock: TickingClock) -> AsyncIterator[Catalog]:
    if backend is None:
        yield InMemoryCatalog(clock=clock)
        return
    sql_catalog = await open_sql_catalog(backend, clock=clock)
    yield sql_catalog
    await sql_catalog.aclose()


# -- builders ------------------------------------------------------------------------------


def a_product(sku: str = SKU, name: str = "Mug") -> Product:
    return Product(sku, name, "A mug.", 1299, ("/img/mug-front.jpg", "/img/mug-side.jpg"))


def a_scan(verdict: Verdict = Verdict.PASS) -> ScanResult:
    return ScanResult(
        request_id=new_id(),
        verdict=verdict,
        categories={"nudity": 0.012, "violence": 0.0},
        model_version="ref-1.2",
        reasons=("looks fine", "no faces"),
        scanned_at="2025-03-01T12:00:05Z",
    )


def a_submission(created_at: datetime = T0, *, sku: str = SKU) -> Submission:
    return Submission(
        id=new_id(),
        sku=sku,
        email="ana@example.com",
        display_name="Ana Łukasiewicz",
        caption="Mit Kaffee ☕ — très bien! 🎉",
        original_blob=f"quarantine/{new_id()}.jpg",
        content_type="image/jpeg",
        size_bytes=123_456,
        width=4032,
        height=3024,
        created_at=created_at,
        consent_at=created_at - timedelta(seconds=3),
    )


def an_outbox(submission_id: str, queue: str = "scan") -> OutboxMessage:
    return OutboxMessage(
        new_id(), queue, json.dumps({"submission_id": submission_id}), submission_id
    )


def a_photo(submission: Submission, approved_at: datetime = T0) -> CustomerPhoto:
    renditions = (
        Rendition("webp", 480, 360, f"/media/{submission.id}-480.webp", 20_000),
        Rendition("jpeg", 1200, 900, f"/media/{submission.id}-1200.jpg", 150_000),
    )
    return CustomerPhoto(
        submission.id,
        submission.sku,
        submission.display_name,
        submission.caption,
        1200,
        900,
        "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
        approved_at,
        renditions,
    )


def an_email(submission_id: str, kind: str = "thank_you") -> EmailRecord:
    return EmailRecord(new_id(), submission_id, kind, "ana@example.com")


async def received(catalog: Catalog, created_at: datetime = T0, sku: str = SKU) -> Submission:
    await catalog.upsert_products([a_product(sku)])
    submission = a_submission(created_at, sku=sku)
    await catalog.add_submission(submission, an_outbox(submission.id))
    return submission


async def approved(
    catalog: Catalog, approved_at: datetime = T0, sku: str = SKU
) -> tuple[Submission, EmailRecord]:
    submission = await received(catalog, sku=sku)
    email = an_email(submission.id)
    publish = an_outbox(submission.id, "publish")
    photo = a_photo(submission, approved_at)
    assert await catalog.approve(
        submission.id, photo=photo, email=email, outbox=publish, actor="scanner", scan=a_scan()
    )
    return submission, email


# -- products ------------------------------------------------------------------------------


async def test_a_reachable_catalog_answers_a_ping(catalog: Catalog) -> None:
    """ping() returns on a catalog that is there (readiness probes call it)."""
    assert await catalog.ping() is None


async def test_upsert_inserts_then_updates_products_listed_by_sku(catalog: Catalog) -> None:
    """Upserting by SKU inserts new products, replaces known ones, and lists them by SKU."""
    await catalog.upsert_products([a_product("TEE-2", "Tee"), a_product("CAP-9", "Cap")])
    await catalog.upsert_products([a_product("TEE-2", "Tee, organic"), a_product("BAG-1")])
    products = await catalog.list_products()
    assert [(p.sku, p.name) for p in products] == [
        ("BAG-1", "Mug"),
        ("CAP-9", "Cap"),
        ("TEE-2", "Tee, organic"),
    ]
    assert await catalog.get_product("CAP-9") == a_product("CAP-9", "Cap")
    assert await catalog.get_product("NOPE") is None


# -- submissions ---------------------------------------------------------------------------


async def test_submission_round_trips_with_aware_datetimes_scan_and_unicode(
    catalog: Catalog,
) -> None:
    """A stored submission reads back equal: same instants (tz-aware), scan, extra and caption."""
    await catalog.upsert_products([a_product()])
    paris = timezone(timedelta(hours=2))
    submission = replace(
        a_submission(datetime(2025, 6, 1, 14, 30, 15, 123456, tzinfo=paris)),
        scan=a_scan(Verdict.INCONCLUSIVE),
        updated_at=T0,
        extra={"source": "kiosk"},
    )
    await catalog.add_submission(submission, an_outbox(submission.id))
    stored = await catalog.get_submission(submission.id)
    assert stored == submission
    assert stored is not None
    assert stored.created_at.tzinfo is not None
    if isinstance(catalog, SqlCatalog):
        assert stored.created_at.utcoffset() == timedelta(0)
        assert stored.consent_at.utcoffset() == timedelta(0)
    assert await catalog.get_submission("missing") is None


async def test_known_submissions_are_those_of_the_ids_the_catalog_has(catalog: Catalog) -> None:
    """Of the ids asked about (more than one query's worth), those with a submission, in any
    state; none asked, none known.
    """
    await catalog.upsert_products([a_product()])
    kept = [a_submission() for _ in range(2)]
    for submission in kept:
        await catalog.add_submission(submission, an_outbox(submission.id))
    assert await catalog.erase_submission(kept[1].id, actor="customer", reason="asked")
    asked = [new_id() for _ in range(1200)] + [s.id for s in kept]
    assert await catalog.known_submissions(asked) == {s.id for s in kept}
    assert await catalog.known_submissions([]) == set()


async def test_add_submission_writes_its_outbox_message_and_received_audit(
    catalog: Catalog,
) -> None:
    """Adding a submission also queues its outbox message and audits it as the customer's."""
    submission = await received(catalog)
    [message] = await catalog.pending_outbox(10)
    assert (message.queue, message.submission_id) == ("scan", submission.id)
    assert message.payload() == {"submission_id": submission.id}
    [entry] = await catalog.audit_trail(submission.id)
    assert (entry.from_status, entry.to_status, entry.actor) == (None, Status.RECEIVED, "customer")
    assert entry.at == submission.created_at


async def test_add_submission_for_unknown_product_is_refused_and_leaves_nothing(
    catalog: Catalog,
) -> None:
    """A submission for a SKU the shop does not sell raises CatalogConflict and writes no row."""
    submission = a_submission(sku="GHOST")
    with pytest.raises(CatalogConflict):
        await catalog.add_submission(submission, an_outbox(submission.id))
    assert await catalog.get_submission(submission.id) is None
    assert await catalog.pending_outbox(10) == []


async def test_adding_the_same_submission_twice_is_refused(catalog: Catalog) -> None:
    """A second add with the same id raises CatalogConflict and queues nothing more."""
    submission = await received(catalog)
    with pytest.raises(CatalogConflict):
        await catalog.add_submission(submission, an_outbox(submission.id))
    assert len(await catalog.pending_outbox(10)) == 1
    assert len(await catalog.audit_trail(submission.id)) == 1


async def test_naive_datetimes_are_refused(catalog: Catalog) -> None:
    """A datetime without a zone raises ValueError instead of being stored as a guess."""
    await catalog.upsert_products([a_product()])
    submission = a_submission(datetime(2025, 3, 1, 12, 0))
    with pytest.raises(ValueError, match="naive"):
        await catalog.add_submission(submission, an_outbox(submission.id))


async def test_concurrent_adds_are_each_recorded_and_a_refused_one_fails_alone(
    catalog: Catalog,
) -> None:
    """Adds that arrive together (written as one group by the SQL adapter) are each recorded
    with their message and audit entry; one the catalog refuses fails alone.
    """
    await catalog.upsert_products([a_product()])
    first = await received(catalog)
    good = [a_submission(T0 + timedelta(seconds=i)) for i in range(12)]
    ghost, again = a_submission(sku="GHOST"), replace(first, caption="sent twice")
    naive = a_submission(datetime(2025, 3, 1, 12, 0))
    adds = [catalog.add_submission(s, an_outbox(s.id)) for s in [*good, ghost, again, naive]]
    outcomes = await asyncio.gather(*adds, return_exceptions=True)
    assert outcomes[:12] == [None] * 12
    assert [type(o) for o in outcomes[12:]] == [CatalogConflict, CatalogConflict, ValueError]
    pending = {m.submission_id for m in await catalog.pending_outbox(100)}
    assert pending == {first.id, *(s.id for s in good)}
    for submission in good:
        assert len(await catalog.audit_trail(submission.id)) == 1
    assert await catalog.get_submission(ghost.id) is None
    stored = await catalog.get_submission(first.id)
    assert stored is not None and stored.caption == first.caption


# -- transitions ---------------------------------------------------------------------------


async def test_transition_from_an_allowed_state_moves_and_audits(
    catalog: Catalog, clock: TickingClock
) -> None:
    """A transition from an allowed state returns the moved submission and writes an audit row."""
    submission = await received(catalog)
    scan = a_scan(Verdict.FAIL)
    moved = await catalog.transition(
        submission.id,
        allowed_from=SCANNABLE,
        to=Status.REJECTED,
        actor="scanner",
        reason="nudity over limit",
        scan=scan,
    )
    assert moved is not None
    assert (moved.status, moved.status_reason, moved.scan) == (
        Status.REJECTED,
        "nudity over limit",
        scan,
    )
    assert moved.updated_at == clock.now
    assert await catalog.get_submission(submission.id) == moved
    last = (await catalog.audit_trail(submission.id))[-1]
    assert (last.from_status, last.to_status) == (Status.RECEIVED, Status.REJECTED)
    assert (last.actor, last.reason, last.at) == ("scanner", "nudity over limit", clock.now)


async def test_transition_from_another_state_changes_nothing(catalog: Catalog) -> None:
    """A transition whose allowed states exclude the current one returns None and audits nothing."""
    submission = await received(catalog)
    assert (
        await catalog.transition(
            submission.id, allowed_from={Status.SCANNING}, to=Status.APPROVED, actor="scanner"
        )
        is None
    )
    assert await catalog.get_submission(submission.id) == submission
    assert len(await catalog.audit_trail(submission.id)) == 1
    assert (
        await catalog.transition("missing", allowed_from=SCANNABLE, to=Status.QUEUED, actor="x")
        is None
    )


async def test_transition_keeps_the_stored_scan_when_given_none(catalog: Catalog) -> None:
    """A transition without a scan leaves the previously stored scan in place."""
    submission = await received(catalog)
    scan = a_scan(Verdict.INCONCLUSIVE)
    await catalog.transition(
        submission.id, allowed_from=SCANNABLE, to=Status.NEEDS_REVIEW, actor="scanner", scan=scan
    )
    moved = await catalog.transition(
        submission.id, allowed_from={Status.NEEDS_REVIEW}, to=Status.REJECTED, actor="moderator"
    )
    assert moved is not None
    assert (moved.scan, moved.status_reason) == (scan, None)


async def test_concurrent_transitions_from_one_state_have_one_winner(catalog: Catalog) -> None:
    """Of several racing transitions out of `received`, exactly one moves the submission."""
    submission = await received(catalog)
    results = await asyncio.gather(
        *(
            catalog.transition(
                submission.id, allowed_from={Status.RECEIVED}, to=Status.QUEUED, actor=f"w{i}"
            )
            for i in range(5)
        )
    )
    assert sum(result is not None for result in results) == 1
    assert len(await catalog.audit_trail(submission.id)) == 2


async def test_audit_trail_lists_every_change_oldest_first(catalog: Catalog) -> None:
    """The audit trail replays the submission's path from received to approved, in order."""
    submission = await received(catalog)
    for source, target in [(Status.RECEIVED, Status.QUEUED), (Status.QUEUED, Status.SCANNING)]:
        await catalog.transition(submission.id, allowed_from={source}, to=target, actor="worker")
    await catalog.approve(
        submission.id,
        photo=a_photo(submission),
        email=an_email(submission.id),
        outbox=an_outbox(submission.id, "publish"),
        actor="scanner",
        scan=a_scan(),
    )
    trail = await catalog.audit_trail(submission.id)
    assert [(e.from_status, e.to_status) for e in trail] == [
        (None, Status.RECEIVED),
        (Status.RECEIVED, Status.QUEUED),
        (Status.QUEUED, Status.SCANNING),
        (Status.SCANNING, Status.APPROVED),
    ]
    assert [e.at for e in trail] == sorted(e.at for e in trail)
    assert await catalog.audit_trail("missing") == []


# -- approval ------------------------------------------------------------------------------


async def test_approve_publishes_photo_owes_email_and_queues_at_once(
    catalog: Catalog, clock: TickingClock
) -> None:
    """Approving sets status, scan and published time, and stores the photo, email and message."""
    submission = await received(catalog)
    scan, photo, email = a_scan(), a_photo(submission), an_email(submission.id)
    publish = an_outbox(submission.id, "publish")
    assert await catalog.approve(
        submission.id, photo=photo, email=email, outbox=publish, actor="scanner", scan=scan
    )
    stored = await catalog.get_submission(submission.id)
    assert stored is not None
    assert (stored.status, stored.scan, stored.published_at) == (Status.APPROVED, scan, T0)
    assert await catalog.get_photo(submission.id) == photo
    assert await catalog.get_email(email.id) == email
    assert publish in await catalog.pending_outbox(10)


async def test_approve_audits_who_approved_and_why(catalog: Catalog) -> None:
    """The approval's audit row keeps its actor and reason (what the scanner found)."""
    submission = await received(catalog)
    photo, email = a_photo(submission), an_email(submission.id)
    why = "scanner: pass; highest scores adult 0.02"
    assert await catalog.approve(
        submission.id,
        photo=photo,
        email=email,
        outbox=an_outbox(submission.id, "publish"),
        actor="scanner:m-7",
        scan=a_scan(),
        reason=why,
    )
    last = (await catalog.audit_trail(submission.id))[-1]
    assert (last.to_status, last.actor, last.reason) == (Status.APPROVED, "scanner:m-7", why)


async def test_approve_keeps_the_published_caption_on_the_submission(catalog: Catalog) -> None:
    """A photo published without its caption blanks the submission's caption in the same step."""
    submission = await received(catalog)
    photo = replace(a_photo(submission), caption="")
    assert await catalog.approve(
        submission.id,
        photo=photo,
        email=an_email(submission.id),
        outbox=an_outbox(submission.id, "publish"),
        actor="moderator:sam",
        scan=None,
    )
    stored = await catalog.get_submission(submission.id)
    assert stored is not None and (stored.status, stored.caption) == (Status.APPROVED, "")
    assert await catalog.get_photo(submission.id) == photo


async def test_a_refused_approval_leaves_the_caption_alone(catalog: Catalog) -> None:
    """An approval that loses (the submission moved on) does not blank the caption either."""
    submission = await received(catalog)
    await catalog.transition(
        submission.id, allowed_from=SCANNABLE, to=Status.REJECTED, actor="moderator"
    )
    assert not await catalog.approve(
        submission.id,
        photo=replace(a_photo(submission), caption=""),
        email=an_email(submission.id),
        outbox=an_outbox(submission.id, "publish"),
        actor="moderator:sam",
        scan=None,
    )
    stored = await catalog.get_submission(submission.id)
    assert stored is not None and stored.caption == submission.caption


async def test_approve_twice_returns_false_and_changes_nothing(catalog: Catalog) -> None:
    """A redelivered approval returns False: still one photo, one email and one publish message."""
    submission, email = await approved(catalog)
    again = await catalog.approve(
        submission.id,
        photo=a_photo(submission, T0 + timedelta(hours=1)),
        email=an_email(submission.id),
        outbox=an_outbox(submission.id, "publish"),
        actor="scanner",
        scan=None,
    )
    assert again is False
    assert await catalog.list_photos(SKU, limit=10) == ([a_photo(submission)], 1)
    assert await catalog.get_email(email.id) == email
    assert [m.queue for m in await catalog.pending_outbox(10)] == ["scan", "publish"]
    assert len(await catalog.audit_trail(submission.id)) == 2


async def test_approve_of_a_settled_or_unknown_submission_returns_false(catalog: Catalog) -> None:
    """Only a scannable submission can be approved; a rejected or missing one returns False."""
    submission = await received(catalog)
    await catalog.transition(
        submission.id, allowed_from=SCANNABLE, to=Status.REJECTED, actor="moderator"
    )
    for submission_id in (submission.id, "missing"):
        assert not await catalog.approve(
            submission_id,
            photo=a_photo(submission),
            email=an_email(submission.id),
            outbox=an_outbox(submission.id, "publish"),
            actor="scanner",
            scan=None,
        )
    assert await catalog.get_photo(submission.id) is None
    assert await catalog.photo_counts() == {}


async def test_second_email_of_a_kind_is_refused_and_rolls_back_the_approval(
    catalog: Catalog,
) -> None:
    """One email per (submission, kind): a duplicate undoes the whole approval that carried it."""
    first, _ = await approved(catalog)
    second = await received(catalog)
    with pytest.raises(CatalogConflict):
        await catalog.approve(
            second.id,
            photo=a_photo(second),
            email=an_email(first.id),  # a second thank-you for the first submission
            outbox=an_outbox(second.id, "publish"),
            actor="scanner",
            scan=a_scan(),
        )
    assert await catalog.get_submission(second.id) == second
    assert await catalog.get_photo(second.id) is None
    assert len(await catalog.audit_trail(second.id)) == 1
    assert [m.queue for m in await catalog.pending_outbox(10)] == ["scan", "publish", "scan"]


async def test_concurrent_approvals_publish_once(catalog: Catalog) -> None:
    """Of several racing approvals of one submission, exactly one wins and writes one photo."""
    submission = await received(catalog)
    results = await asyncio.gather(
        *(
            catalog.approve(
                submission.id,
                photo=a_photo(submission),
                email=an_email(submission.id),
                outbox=an_outbox(submission.id, "publish"),
                actor=f"worker-{i}",
                scan=a_scan(),
            )
            for i in range(4)
        )
    )
    assert sorted(results) == [False, False, False, True]
    assert await catalog.photo_counts() == {SKU: 1}


# -- emails --------------------------------------------------------------------------------


async def test_mark_email_sent_once_records_delivery_and_thanked_time(catalog: Catalog) -> None:
    """The first mark_email_sent records delivery and thanked_at; a second one returns False."""
    submission, email = await approved(catalog)
    at = T0 + timedelta(minutes=5)
    assert await catalog.mark_email_sent(email.id, at) is True
    assert await catalog.mark_email_sent(email.id, at + timedelta(minutes=1)) is False
    assert await catalog.get_email(email.id) == replace(email, status=EmailStatus.SENT, sent_at=at)
    stored = await catalog.get_submission(submission.id)
    assert stored is not None
    assert stored.thanked_at == at
    assert await catalog.mark_email_sent("missing", at) is False
    assert await catalog.get_email("missing") is None


async def test_mark_email_attempt_counts_failures_and_final_gives_up(catalog: Catalog) -> None:
    """Each failed attempt is counted with its error; a final one marks the email failed."""
    _, email = await approved(catalog)
    await catalog.mark_email_attempt(email.id, "421 try later", final=False)
    pending = await catalog.get_email(email.id)
    assert pending == replace(email, attempts=1, last_error="421 try later")
    await catalog.mark_email_attempt(email.id, "550 no such user", final=True)
    failed = await catalog.get_email(email.id)
    assert failed == replace(
        email, status=EmailStatus.FAILED, attempts=2, last_error="550 no such user"
    )


async def test_a_sent_email_ignores_later_failed_attempts(catalog: Catalog) -> None:
    """A failure reported after delivery (a redelivered job) does not undo the delivery."""
    _, email = await approved(catalog)
    await catalog.mark_email_sent(email.id, T0)
    await catalog.mark_email_attempt(email.id, "timeout", final=True)
    stored = await catalog.get_email(email.id)
    assert stored is not None
    assert (stored.status, stored.attempts) == (EmailStatus.SENT, 0)


async def test_reopen_email_owes_a_failed_email_again_unclaimed(catalog: Catalog) -> None:
    """A failed email goes back to pending, its history kept, and can be claimed at once."""
    _, email = await approved(catalog)
    assert await catalog.claim_email(email.id, now=T0, until=T0 + timedelta(minutes=5))
    await catalog.mark_email_attempt(email.id, "poisoned", final=True)
    assert await catalog.reopen_email(email.id) is True
    reopened = await catalog.get_email(email.id)
    assert reopened == replace(email, attempts=1, last_error="poisoned")
    assert await catalog.claim_email(email.id, now=T0, until=T0 + timedelta(minutes=5))
    assert await catalog.reopen_email(email.id) is False, "pending already: nothing to reopen"


async def test_reopen_email_leaves_sent_erased_and_unknown_emails_alone(catalog: Catalog) -> None:
    """A sent email stays sent (one thank-you per photo); one cancelled by erasure stays failed."""
    _, sent = await approved(catalog)
    await catalog.mark_email_attempt(sent.id, "poisoned", final=True)
    await catalog.mark_email_sent(sent.id, T0)  # a slow first delivery made it after all
    erased_submission, erased = await approved(catalog, sku="MUG-2")
    assert await catalog.unpublish(
        erased_submission.id,
        allowed_from={Status.APPROVED},
        to=Status.TAKEN_DOWN,
        actor="operator",
        reason="asked",
    )
    assert await catalog.erase_submission(erased_submission.id, actor="operator", reason="asked")
    assert await catalog.reopen_email(sent.id) is False
    assert await catalog.reopen_email(erased.id) is False
    assert await catalog.reopen_email("missing") is False
    stored = [await catalog.get_email(e.id) for e in (sent, erased)]
    assert [(e.status, e.to) for e in stored if e] == [
        (EmailStatus.SENT, sent.to),
        (EmailStatus.FAILED, ""),
    ]


# -- queue position ------------------------------------------------------------------------


async def test_queue_position_counts_waiting_submissions_received_earlier(
    catalog: Catalog,
) -> None:
    """Position is the number of received or queued submissions created strictly before this one."""
    subs = [await received(catalog, T0 + timedelta(seconds=i)) for i in range(5)]
    await catalog.transition(subs[1].id, allowed_from=SCANNABLE, to=Status.SCANNING, actor="w")
    await catalog.transition(subs[2].id, allowed_from=SCANNABLE, to=Status.QUEUED, actor="w")
    positions = [await catalog.queue_position(s.id) for s in subs]
    assert positions == [0, None, 1, 2, 3]
    assert await catalog.queue_position("missing") is None


async def test_submissions_received_at_the_same_instant_do_not_count_each_other(
    catalog: Catalog,
) -> None:
    """Only submissions strictly earlier are ahead: two at the same instant both see position 0."""
    twins = [await received(catalog, T0) for _ in range(2)]
    assert [await catalog.queue_position(s.id) for s in twins] == [0, 0]


# -- photos --------------------------------------------------------------------------------


async def test_list_photos_pages_newest_first_with_the_total(catalog: Catalog) -> None:
    """Photos of a SKU come newest first, a page at a time, each page with the SKU's total."""
    mugs = [(await approved(catalog, T0 + timedelta(hours=i)))[0] for i in range(5)]
    await approved(catalog, T0, sku="TEE-2")
    newest_first = [s.id for s in reversed(mugs)]
    pages = [await catalog.list_photos(SKU, limit=2, offset=o) for o in (0, 2, 4, 6)]
    assert [[p.submission_id for p in page] for page, _ in pages] == [
        newest_first[0:2],
        newest_first[2:4],
        newest_first[4:],
        [],
    ]
    assert {total for _, total in pages} == {5}
    assert await catalog.list_photos("NONE", limit=5) == ([], 0)


async def test_photo_round_trips_with_its_renditions(catalog: Catalog) -> None:
    """A published photo reads back equal, renditions and placeholder included."""
    submission, _ = await approved(catalog)
    photo = await catalog.get_photo(submission.id)
    assert photo == a_photo(submission)
    assert photo.best("webp", 600) == photo.renditions[0]
    assert await catalog.get_photo("missing") is None


async def test_photo_counts_per_sku(catalog: Catalog) -> None:
    """photo_counts counts approved photos per SKU and omits SKUs without any."""
    for sku in ("MUG-1", "MUG-1", "TEE-2"):
        await approved(catalog, sku=sku)
    await catalog.upsert_products([a_product("CAP-9")])
    assert await catalog.photo_counts() == {"MUG-1": 2, "TEE-2": 1}


# -- outbox --------------------------------------------------------------------------------


async def test_pending_outbox_is_oldest_first_until_dispatched(catalog: Catalog) -> None:
    """Undispatched messages come oldest first up to the limit; dispatched ones (even twice) go."""
    subs = [await received(catalog, T0 + timedelta(seconds=i)) for i in range(3)]
    pending = await catalog.pending_outbox(10)
    assert [m.submission_id for m in pending] == [s.id for s in subs]
    assert await catalog.pending_outbox(2) == pending[:2]
    await catalog.mark_dispatched(pending[0].id)
    await catalog.mark_dispatched(pending[0].id)
    await catalog.mark_dispatched("missing")
    assert await catalog.pending_outbox(10) == pending[1:]


async def test_mark_dispatched_with_queued_moves_the_submission_in_the_same_step(
    catalog: Catalog,
) -> None:
    """Marking a scan request sent moves its submission received -> queued, audited once."""
    submission = await received(catalog)
    [message] = await catalog.pending_outbox(10)
    await catalog.mark_dispatched(message.id, queued=submission.id)
    await catalog.mark_dispatched(message.id, queued=submission.id)  # a relay's retry
    assert await catalog.pending_outbox(10) == []
    stored = await catalog.get_submission(submission.id)
    assert stored is not None and stored.status is Status.QUEUED
    trail = await catalog.audit_trail(submission.id)
    assert [(e.to_status, e.actor) for e in trail] == [
        (Status.RECEIVED, "customer"),
        (Status.QUEUED, OUTBOX_ACTOR),
    ]


async def test_mark_dispatched_leaves_a_submission_that_moved_on_where_it_is(
    catalog: Catalog,
) -> None:
    """A late relay never pulls a submission the worker already took back to queued."""
    submission = await received(catalog)
    [message] = await catalog.pending_outbox(10)
    await catalog.transition(
        submission.id, allowed_from={Status.RECEIVED}, to=Status.SCANNING, actor="worker"
    )
    await catalog.mark_dispatched(message.id, queued=submission.id)
    stored = await catalog.get_submission(submission.id)
    assert stored is not None and stored.status is Status.SCANNING


async def test_concurrent_marks_move_each_submission_once(catalog: Catalog) -> None:
    """Marks that arrive together each mark their message and move their own submission once,
    and leave one that a worker already took where it is.
    """
    subs = [await received(catalog, T0 + timedelta(seconds=i)) for i in range(8)]
    messages = {m.submission_id: m for m in await catalog.pending_outbox(100)}
    taken = subs[0]
    await catalog.transition(
        taken.id, allowed_from={Status.RECEIVED}, to=Status.SCANNING, actor="worker"
    )
    marks = [catalog.mark_dispatched(messages[s.id].id, queued=s.id) for s in subs for _ in "ab"]
    await asyncio.gather(*marks)
    assert await catalog.pending_outbox(100) == []
    for submission in subs[1:]:
        stored = await catalog.get_submission(submission.id)
        assert stored is not None and stored.status is Status.QUEUED
        trail = await catalog.audit_trail(submission.id)
        assert [e.to_status for e in trail] == [Status.RECEIVED, Status.QUEUED]
    stored = await catalog.get_submission(taken.id)
    assert stored is not None and stored.status is Status.SCANNING
    trail = await catalog.audit_trail(taken.id)
    assert [e.to_status for e in trail] == [Status.RECEIVED, Status.SCANNING]


async def test_dispatched_outbox_messages_are_forgotten_by_age_in_batches(
    catalog: Catalog, clock: TickingClock
) -> None:
    """Messages dispatched before a moment go, at most `limit` at once; later ones stay, and
    one never dispatched is never deleted, however old.
    """
    subs = [await received(catalog, T0 + timedelta(seconds=i)) for i in range(4)]
    first, second, third, undispatched = await catalog.pending_outbox(10)
    await catalog.mark_dispatched(first.id)
    await catalog.mark_dispatched(second.id)
    moment = clock()
    await catalog.mark_dispatched(third.id, queued=subs[2].id)
    assert await catalog.forget_dispatched_outbox(moment, 1) == 1
    assert await catalog.forget_dispatched_outbox(moment, 10) == 1
    assert await catalog.forget_dispatched_outbox(moment, 10) == 0
    assert await catalog.forget_dispatched_outbox(clock.now + timedelta(days=999), 10) == 1
    assert await catalog.pending_outbox(10) == [undispatched]
    stored = await catalog.get_submission(subs[2].id)
    assert stored is not None and stored.status is Status.QUEUED


# -- moderation ----------------------------------------------------------------------------


async def needing_review(catalog: Catalog, created_at: datetime = T0) -> Submission:
    submission = await received(catalog, created_at)
    moved = await catalog.transition(
        submission.id,
        allowed_from=SCANNABLE,
        to=Status.NEEDS_REVIEW,
        actor="scanner:ref-1.2",
        scan=a_scan(Verdict.INCONCLUSIVE),
    )
    assert moved is not None
    return moved


async def test_list_submissions_pages_one_status_oldest_first(catalog: Catalog) -> None:
    """Listing a status returns only its submissions, oldest first, page by page, with the total."""
    waiting = [await needing_review(catalog, T0 + timedelta(minutes=m)) for m in (3, 1, 2)]
    await received(catalog, T0)
    page, total = await catalog.list_submissions(Status.NEEDS_REVIEW, limit=2)
    oldest_first = sorted(waiting, key=lambda s: s.created_at)
    assert ([s.id for s in page], total) == ([s.id for s in oldest_first[:2]], 3)
    rest, _ = await catalog.list_submissions(Status.NEEDS_REVIEW, limit=2, offset=2)
    assert rest == [await catalog.get_submission(oldest_first[2].id)]
    assert await catalog.list_submissions(Status.FAILED, limit=5) == ([], 0)


async def test_list_submissions_with_limit_zero_counts_without_rows(catalog: Catalog) -> None:
    """A page of 0 is how a caller asks for the count alone: no rows, the right total."""
    for minutes in (1, 2):
        await needing_review(catalog, T0 + timedelta(minutes=minutes))
    assert await catalog.list_submissions(Status.NEEDS_REVIEW, limit=0) == ([], 2)


async def test_list_published_filters_by_sku_prefix_newest_first(catalog: Catalog) -> None:
    """Published photos are listed newest first; a SKU prefix narrows them, wildcards literal."""
    mug, _ = await approved(catalog, T0, sku="MUG-1")
    tent, _ = await approved(catalog, T0 + timedelta(hours=1), sku="TENT-2")
    photos, total = await catalog.list_published(limit=10)
    assert ([p.submission_id for p in photos], total) == ([tent.id, mug.id], 2)
    only_mugs, count = await catalog.list_published(sku_prefix="MUG", limit=10)
    assert ([p.submission_id for p in only_mugs], count) == ([mug.id], 1)
    assert await catalog.list_published(sku_prefix="M%", limit=10) == ([], 0)
    assert await catalog.list_published(sku_prefix="_UG", limit=10) == ([], 0)


async def test_approve_from_needs_review_only_when_allowed(catalog: Catalog) -> None:
    """Approval refuses a submission in review unless the caller allows needs_review."""
    submission = await needing_review(catalog)
    photo, publish = a_photo(submission), an_outbox(submission.id, "publish")

    async def approve(**allowed: object) -> bool:
        return await catalog.approve(
            submission.id,
            photo=photo,
            email=an_email(submission.id),
            outbox=publish if allowed else an_outbox(submission.id),
            actor="moderator:sam",
            scan=None,
            **allowed,  # type: ignore[arg-type]
        )

    assert not await approve()
    assert await approve(allowed_from={Status.NEEDS_REVIEW})
    stored = await catalog.get_submission(submission.id)
    assert stored is not None
    assert (stored.status, stored.scan) == (Status.APPROVED, submission.scan)
    assert (await catalog.audit_trail(submission.id))[-1].actor == "moderator:sam"
    assert await catalog.get_photo(submission.id) == photo


async def test_transition_with_email_moves_owes_and_queues_once(catalog: Catalog) -> None:
    """A rejection with an email moves, audits, owes the email and queues it, exactly once."""
    submission = await needing_review(catalog)
    email, message = an_email(submission.id, "rejection"), an_outbox(submission.id, "notify")

    async def reject(email: EmailRecord, message: OutboxMessage) -> bool:
        return await catalog.transition_with_email(
            submission.id,
            allowed_from={Status.NEEDS_REVIEW},
            to=Status.REJECTED,
            actor="moderator:sam",
            reason="spam",
            email=email,
            outbox=message,
        )

    assert await reject(email, message)
    stored = await catalog.get_submission(submission.id)
    assert stored is not None
    assert (stored.status, stored.status_reason) == (Status.REJECTED, "spam")
    last = (await catalog.audit_trail(submission.id))[-1]
    assert (last.from_status, last.to_status, last.actor, last.at) == (
        Status.NEEDS_REVIEW,
        Status.REJECTED,
        "moderator:sam",
        stored.updated_at,
    )
    assert await catalog.get_email(email.id) == email
    assert message in await catalog.pending_outbox(10)
    second = an_email(submission.id, "rejection")
    assert not await reject(second, an_outbox(submission.id, "notify"))
    assert await catalog.get_email(second.id) is None


async def test_a_second_email_of_a_kind_rolls_the_transition_back(catalog: Catalog) -> None:
    """If the submission already has an email of that kind, the move is refused and undone."""
    submission = await needing_review(catalog)
    await catalog.transition(
        submission.id, allowed_from={Status.NEEDS_REVIEW}, to=Status.SCANNING, actor="test"
    )
    first = an_email(submission.id, "rejection")
    assert await catalog.transition_with_email(
        submission.id,
        allowed_from={Status.SCANNING},
        to=Status.NEEDS_REVIEW,
        actor="test",
        reason=None,
        email=first,
        outbox=an_outbox(submission.id, "notify"),
    )
    with pytest.raises(CatalogConflict):
        await catalog.transition_with_email(
            submission.id,
            allowed_from={Status.NEEDS_REVIEW},
            to=Status.REJECTED,
            actor="test",
            reason="spam",
            email=an_email(submission.id, "rejection"),
            outbox=an_outbox(submission.id, "notify"),
        )
    stored = await catalog.get_submission(submission.id)
    assert stored is not None
    assert stored.status is Status.NEEDS_REVIEW


async def test_unpublish_removes_the_photo_and_audits_once(catalog: Catalog) -> None:
    """Unpublishing hides the photo from every listing, audits the move, and happens once."""
    submission, _ = await approved(catalog)

    async def take_down() -> bool:
        return await catalog.unpublish(
            submission.id,
            allowed_from={Status.APPROVED},
            to=Status.TAKEN_DOWN,
            actor="moderator:sam",
            reason="complaint",
        )

    assert await take_down()
    assert await catalog.get_photo(submission.id) is None
    assert await catalog.list_photos(SKU, limit=10) == ([], 0)
    assert await catalog.list_published(limit=10) == ([], 0)
    assert await catalog.photo_counts() == {}
    stored = await catalog.get_submission(submission.id)
    assert stored is not None
    assert (stored.status, stored.status_reason) == (Status.TAKEN_DOWN, "complaint")
    last = (await catalog.audit_trail(submission.id))[-1]
    assert (last.from_status, last.to_status, last.reason) == (
        Status.APPROVED,
        Status.TAKEN_DOWN,
        "complaint",
    )
    assert not await take_down()
    assert len(await catalog.audit_trail(submission.id)) == 3


async def test_audit_page_numbers_every_entry_in_writing_order(catalog: Catalog) -> None:
    """The audit trail of every submission reads back in pages after a number, in order."""
    first = await received(catalog)
    second = await received(catalog)
    await catalog.transition(
        first.id, allowed_from={Status.RECEIVED}, to=Status.QUEUED, actor="outbox"
    )
    page = await catalog.audit_page(after=0, limit=2)
    assert [(line.entry.submission_id, line.entry.to_status) for line in page] == [
        (first.id, Status.RECEIVED),
        (second.id, Status.RECEIVED),
    ]
    numbers = [line.number for line in page]
    assert numbers == sorted(numbers)
    rest = await catalog.audit_page(after=numbers[-1], limit=10)
    assert [
        (line.entry.submission_id, line.entry.to_status, line.entry.actor) for line in rest
    ] == [(first.id, Status.QUEUED, "outbox")]
    assert await catalog.audit_page(after=rest[-1].number, limit=10) == []


async def test_audit_page_names_each_entrys_sku(catalog: Catalog) -> None:
    """Each entry of a page comes with the SKU of its submission, whichever product it is of."""
    mug = await received(catalog, sku="MUG-1")
    tee = await received(catalog, sku="TEE-2")
    await catalog.transition(mug.id, allowed_from={Status.RECEIVED}, to=Status.QUEUED, actor="o")
    page = await catalog.audit_page(after=0, limit=10)
    assert [(line.entry.submission_id, line.sku) for line in page] == [
        (mug.id, "MUG-1"),
        (tee.id, "TEE-2"),
        (mug.id, "MUG-1"),
    ]


async def test_the_audit_export_reads_a_page_in_one_query(
    migrated_url: str, clock: TickingClock
) -> None:
    """Exporting the trail costs one SELECT per page, not one more per submission on it."""
    engine = create_catalog_engine(migrated_url)
    catalog = SqlCatalog(engine, clock=clock)
    for _ in range(5):
        await received(catalog)
    selects: list[str] = []

    def count(conn: object, cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    exported = "".join([chunk async for chunk in audit_csv(catalog, batch=2)])
    await catalog.aclose()
    assert exported.count(SKU) == 5
    assert len(selects) == 4, "three pages of entries, then an empty one"


# -- rate events ---------------------------------------------------------------------------


async def test_rate_events_are_counted_per_bucket_and_key_since_a_time(catalog: Catalog) -> None:
    """Counting sees one key's events at or after `since`, with the oldest of them."""
    prune = T0 - timedelta(days=1)
    for minutes in (0, 10, 20):
        at = T0 + timedelta(minutes=minutes)
        await catalog.record_rate_event("upload-ip", "k1", at, prune_before=prune)
    await catalog.record_rate_event("upload-ip", "k2", T0, prune_before=prune)
    await catalog.record_rate_event("signin-ip", "k1", T0, prune_before=prune)
    since = T0 + timedelta(minutes=10)
    assert await catalog.count_rate_events("upload-ip", "k1", since=since) == (2, since)
    assert await catalog.count_rate_events("upload-ip", "k1", since=T0) == (3, T0)
    assert await catalog.count_rate_events("upload-ip", "nobody", since=T0) == (0, None)


async def test_recording_prunes_old_events_of_its_own_bucket_only(catalog: Catalog) -> None:
    """A new event forgets its bucket's events before `prune_before`, not other buckets'."""
    old = T0 - timedelta(days=2)
    await catalog.record_rate_event("upload-ip", "k", old, prune_before=old)
    await catalog.record_rate_event("signin-ip", "k", old, prune_before=old)
    await catalog.record_rate_event("upload-ip", "k", T0, prune_before=T0 - timedelta(days=1))
    long_ago = old - timedelta(days=1)
    assert await catalog.count_rate_events("upload-ip", "k", since=long_ago) == (1, T0)
    assert await catalog.count_rate_events("signin-ip", "k", since=long_ago) == (1, old)


async def test_concurrent_rate_events_are_each_counted_and_prune_their_own_bucket(
    catalog: Catalog,
) -> None:
    """Events recorded together are all counted; what is older than every horizon given for
    a bucket is forgotten, and other buckets keep theirs.
    """
    old = T0 - timedelta(days=3)
    await catalog.record_rate_event("upload-ip", "k0", old, prune_before=old)
    await catalog.record_rate_event("signin-ip", "k0", old, prune_before=old)
    horizons = [T0 - timedelta(days=2), T0 - timedelta(days=1)]
    await asyncio.gather(
        *(
            catalog.record_rate_event(
                "upload-ip", f"k{n % 3}", T0 + timedelta(seconds=n), prune_before=horizons[n % 2]
            )
            for n in range(20)
        )
    )
    counts = [await catalog.count_rate_events("upload-ip", f"k{k}", since=T0) for k in range(3)]
    assert [count for count, _ in counts] == [7, 7, 6]
    long_ago = old - timedelta(days=1)
    assert (await catalog.count_rate_events("upload-ip", "k0", since=long_ago))[0] == 7
    assert await catalog.count_rate_events("signin-ip", "k0", since=long_ago) == (1, old)


# -- reconciliation ------------------------------------------------------------------------


async def sent(catalog: Catalog, created_at: datetime = T0) -> Submission:
    """A received submission whose outbox messages (and every earlier one) were dispatched."""
    submission = await received(catalog, created_at)
    for message in await catalog.pending_outbox(100):
        await catalog.mark_dispatched(message.id)
    return submission


async def moved_to(catalog: Catalog, submission: Submission, to: Status) -> Submission:
    moved = await catalog.transition(submission.id, allowed_from=SCANNABLE, to=to, actor="w")
    assert moved is not None
    return moved


async def test_stale_submissions_are_scannable_unchanged_and_sent_oldest_change_first(
    catalog: Catalog, clock: TickingClock
) -> None:
    """Stale means scannable, last changed before the cutoff and with no message left to send."""
    never_moved = await sent(catalog, T0)
    queued = await moved_to(catalog, await sent(catalog, T0 + timedelta(seconds=1)), Status.QUEUED)
    await moved_to(catalog, await sent(catalog, T0), Status.REJECTED)
    scanning = await moved_to(catalog, await sent(catalog, T0), Status.SCANNING)
    await received(catalog, T0)  # its outbox message is still the relay's to send
    assert await catalog.stale_submissions(T0 + timedelta(hours=1), 10) == [never_moved]
    everything = await catalog.stale_submissions(clock.now + timedelta(seconds=1), 10)
    assert everything == [never_moved, queued, scanning]
    assert await catalog.stale_submissions(clock.now + timedelta(seconds=1), 2) == [
        never_moved,
        queued,
    ]
    assert await catalog.stale_submissions(T0, 10) == []
    with pytest.raises(ValueError, match="naive"):
        await catalog.stale_submissions(datetime(2025, 3, 1, 12, 0), 10)


async def test_a_noted_scan_retry_keeps_a_scanning_submission_from_looking_stale(
    catalog: Catalog,
) -> None:
    """Noting a retry moves a scanning submission's updated_at on, with no audit entry; a
    submission in any other state is left alone.
    """
    scanning = await moved_to(catalog, await sent(catalog), Status.SCANNING)
    queued = await moved_to(catalog, await sent(catalog), Status.QUEUED)
    trail = await catalog.audit_trail(scanning.id)
    assert scanning.updated_at is not None
    cutoff = scanning.updated_at + timedelta(milliseconds=1)
    assert scanning in await catalog.stale_submissions(cutoff, 10)
    assert await catalog.note_scan_retry(scanning.id)
    noted = await catalog.get_submission(scanning.id)
    assert noted is not None and noted.updated_at is not None
    assert noted.updated_at > scanning.updated_at
    assert noted == replace(scanning, updated_at=noted.updated_at)
    assert await catalog.audit_trail(scanning.id) == trail
    assert scanning.id not in {s.id for s in await catalog.stale_submissions(cutoff, 10)}
    assert not await catalog.note_scan_retry(queued.id)
    assert await catalog.get_submission(queued.id) == queued
    assert not await catalog.note_scan_retry("no-such-submission")


async def test_requeue_moves_to_queued_audits_and_queues_in_one_step(catalog: Catalog) -> None:
    """Requeue of an unchanged submission queues it, bumps updated_at, audits and writes outbox."""
    stuck = await moved_to(catalog, await sent(catalog), Status.SCANNING)
    message = an_outbox(stuck.id)
    moved = await catalog.requeue(
        stuck.id,
        outbox=message,
        actor="reconciler",
        reason="lost",
        expected_updated_at=stuck.updated_at,
    )
    assert moved is not None
    assert (moved.status, moved.status_reason) == (Status.QUEUED, "lost")
    assert moved.updated_at is not None and stuck.updated_at is not None
    assert moved.updated_at > stuck.updated_at
    assert await catalog.get_submission(stuck.id) == moved
    assert await catalog.pending_outbox(10) == [message]
    last = (await catalog.audit_trail(stuck.id))[-1]
    assert (last.from_status, last.to_status, last.actor, last.reason, last.at) == (
        Status.SCANNING,
        Status.QUEUED,
        "reconciler",
        "lost",
        moved.updated_at,
    )
    await catalog.mark_dispatched(message.id)
    assert await catalog.stale_submissions(moved.updated_at, 10) == []
    later = moved.updated_at + timedelta(milliseconds=1)
    assert await catalog.stale_submissions(later, 10) == [moved]


async def test_requeue_of_a_changed_final_or_unknown_submission_does_nothing(
    catalog: Catalog,
) -> None:
    """Requeue is a compare-and-set: a moved-on, settled or missing submission is left alone."""
    never_moved = await sent(catalog)
    assert (
        await catalog.requeue(
            never_moved.id,
            outbox=an_outbox(never_moved.id),
            actor="r",
            reason="x",
            expected_updated_at=T0,
        )
        is None
    )
    settled = await moved_to(catalog, await sent(catalog), Status.REJECTED)
    for submission_id, expected in [(settled.id, settled.updated_at), ("missing", None)]:
        outbox = an_outbox(settled.id)
        assert (
            await catalog.requeue(
                submission_id, outbox=outbox, actor="r", reason="x", expected_updated_at=expected
            )
            is None
        )
    assert await catalog.pending_outbox(10) == []
    assert await catalog.get_submission(never_moved.id) == never_moved
    assert [e.to_status for e in await catalog.audit_trail(settled.id)] == [
        Status.RECEIVED,
        Status.REJECTED,
    ]


async def test_concurrent_requeues_of_one_submission_have_one_winner(catalog: Catalog) -> None:
    """Of several reconcilers re-queueing the same submission at once, exactly one does."""
    stuck = await sent(catalog)
    results = await asyncio.gather(
        *(
            catalog.requeue(
                stuck.id,
                outbox=an_outbox(stuck.id),
                actor=f"reconciler-{i}",
                reason="lost",
                expected_updated_at=None,
            )
            for i in range(4)
        )
    )
    assert sum(result is not None for result in results) == 1
    assert len(await catalog.pending_outbox(10)) == 1
    assert len(await catalog.audit_trail(stuck.id)) == 2


# -- migrations (SQL only) -----------------------------------------------------------------


def test_migrations_create_exactly_the_schema_of_tables_py(migrated_url: str) -> None:
    """Alembic finds no difference between the migrated database and tables.metadata."""
    assert _schema_differences(migrated_url, metadata) == []


def test_schema_comparison_notices_drift(migrated_url: str) -> None:
    """The comparison is not vacuous: a table missing from the migrations is reported."""
    drifted = MetaData()
    for table in metadata.tables.values():
        table.to_metadata(drifted)
    Table("extra_table", drifted, Column("id", Integer, primary_key=True))
    assert [diff[0] for diff in _schema_differences(migrated_url, drifted)] == ["add_table"]


def test_upgrade_twice_is_a_no_op_that_keeps_data(migrated_url: str) -> None:
    """Upgrading a database already at head keeps its revision and its rows."""
    engine = create_engine(sync_url(migrated_url))
    insert = "INSERT INTO products VALUES ('MUG-1', 'Mug', '', 1, '[]')"
    with engine.begin() as conn:
        conn.execute(text(insert))
    upgrade(migrated_url)
    assert current_revision(migrated_url) == head_revision()
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM products")) == 1
    engine.dispose()


async def test_a_new_sqlite_catalog_is_readable_by_our_user_only(tmp_path: Path) -> None:
    """A catalog file the migrations create (or find empty), and the journal files SQLite
    adds beside it, are 0600 whatever the umask: they hold customers' names and addresses.
    """
    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'catalog.sqlite3'}"
    old_umask = os.umask(0o022)
    try:
        (tmp_path / "data").mkdir()
        (tmp_path / "data" / "catalog.sqlite3").touch()  # opened, not migrated, by a web
        upgrade(url)
        catalog = await open_sql_catalog(url)
        await catalog.upsert_products([a_product()])
        await catalog.aclose()
    finally:
        os.umask(old_umask)
    files = sorted((tmp_path / "data").glob("catalog.sqlite3*"))
    assert files and {f.name: f.stat().st_mode & 0o777 for f in files} == dict.fromkeys(
        (f.name for f in files), 0o600
    )


def _schema_differences(url: str, target: MetaData) -> list[tuple[object, ...]]:
    engine = create_engine(sync_url(url))
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, target)
    engine.dispose()
    return list(differences)
