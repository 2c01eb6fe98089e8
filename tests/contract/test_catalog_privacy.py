"""Contract of the catalog's erasure and retention methods: in-memory, SQLite and PostgreSQL."""

# The catalog suite's fixtures are imported by name, and tests take them as parameters of the
# same name: that is how pytest injects them, not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import JSON, DateTime, Engine, column, create_engine, inspect, table, text
from sqlalchemy.types import TypeEngine

from photogate.adapters.sql.engine import sync_url
from photogate.adapters.sql.migrate import alembic_config, upgrade
from photogate.domain.catalog import EmailRecord, EmailStatus
from photogate.domain.erasure import ErasureRequest
from photogate.domain.fingerprint import Fingerprint
from photogate.domain.submission import SCANNABLE, Status, Submission
from photogate.ports.catalog import Catalog
from tests.contract.test_catalog import (  # noqa: F401 - fixtures are found by name
    T0,
    TickingClock,
    a_product,
    a_submission,
    an_outbox,
    approved,
    backend,
    catalog,
    clock,
    migrated_url,
    postgres_url,
    received,
)

ERASER = "operator:test"
SETTLED = frozenset({Status.REJECTED, Status.FAILED})


async def sent_by(catalog: Catalog, email: str, *, seconds: int = 0) -> Submission:
    """A received submission sent with `email`, with a fingerprint."""
    await catalog.upsert_products([a_product()])
    submission = replace(a_submission(T0 + timedelta(seconds=seconds)), email=email)
    fingerprint = Fingerprint("c" * 64, "0123456789abcdef")
    await catalog.add_submission(submission, an_outbox(submission.id), fingerprint)
    return submission


async def test_customer_submissions_match_the_address_in_any_case_oldest_first(
    catalog: Catalog,
) -> None:
    """Lookup by email ignores case, lists oldest first, and leaves other customers out."""
    second = await sent_by(catalog, "Ana@Example.com", seconds=2)
    first = await sent_by(catalog, "ana@example.com", seconds=1)
    await sent_by(catalog, "bob@example.com")
    found = await catalog.customer_submissions("ANA@example.COM")
    assert [s.id for s in found] == [first.id, second.id]
    assert await catalog.customer_submissions("") == []


async def test_customer_submissions_fold_case_in_any_alphabet(catalog: Catalog) -> None:
    """Åsa.Berg@example.se is found as åsa.berg@EXAMPLE.se, where SQL lower() would miss it,
    whether the submission came as a form upload or as a direct upload still awaited.
    """
    sent = await sent_by(catalog, "Åsa.Berg@example.se")
    await sent_by(catalog, "asa.berg@example.se")
    awaited = replace(a_submission(T0 + timedelta(seconds=5)), email="ÅSA.BERG@example.se")
    awaited = replace(awaited, status=Status.AWAITING_UPLOAD)
    await catalog.add_awaiting_upload(awaited)
    found = await catalog.customer_submissions(" åsa.berg@EXAMPLE.se ")
    assert [s.id for s in found] == [sent.id, awaited.id]
    assert await catalog.erase_submission(sent.id, actor=ERASER, reason="asked")
    left = await catalog.customer_submissions("åsa.berg@example.se")
    assert [s.id for s in left] == [awaited.id]


async def test_licence_version_and_purge_time_round_trip(catalog: Catalog) -> None:
    """A submission's accepted licence version is stored; it starts with its original kept."""
    await catalog.upsert_products([a_product()])
    submission = replace(a_submission(), licence_version="2026-01")
    await catalog.add_submission(submission, an_outbox(submission.id))
    stored = await catalog.get_submission(submission.id)
    assert stored is not None
    assert (stored.licence_version, stored.original_purged_at) == ("2026-01", None)


async def taken_down(catalog: Catalog) -> tuple[Submission, EmailRecord]:
    """A submission approved (with its thank-you owed), then taken down, as an erasure does."""
    submission, email = await approved(catalog)
    assert await catalog.unpublish(
        submission.id,
        allowed_from={Status.APPROVED},
        to=Status.TAKEN_DOWN,
        actor=ERASER,
        reason="x",
    )
    return submission, email


async def test_a_published_submission_is_not_erased_until_taken_down(catalog: Catalog) -> None:
    """While its photo is published the erasure is refused and changes nothing: its files
    and its row go first (take_down), so no public file is left without a row naming it.
    """
    submission, email = await approved(catalog)
    assert not await catalog.erase_submission(submission.id, actor=ERASER, reason="asked")
    owed = await catalog.get_email(email.id)
    assert owed is not None and owed.to == email.to
    kept = await catalog.get_submission(submission.id)
    assert kept is not None and kept.status is Status.APPROVED and kept.email
    assert await catalog.get_photo(submission.id) is not None


async def test_erasing_a_taken_down_submission_blanks_it_and_forgets_everything_personal(
    catalog: Catalog,
) -> None:
    """Erasure moves to erased (audited), drops the fingerprint, blanks the emails."""
    submission, email = await taken_down(catalog)
    assert await catalog.erase_submission(submission.id, actor=ERASER, reason="asked")
    erased = await catalog.get_submission(submission.id)
    assert erased is not None
    assert (erased.status, erased.email, erased.display_name, erased.caption) == (
        Status.ERASED,
        "",
        "",
        "",
    )
    assert erased.extra == {}
    assert erased.original_purged_at is not None
    assert await catalog.get_photo(submission.id) is None
    assert await catalog.get_fingerprint(submission.id) is None
    cancelled = await catalog.get_email(email.id)
    assert cancelled is not None
    assert (cancelled.to, cancelled.status) == ("", EmailStatus.FAILED)
    last = (await catalog.audit_trail(submission.id))[-1]
    assert (last.from_status, last.to_status, last.actor, last.reason) == (
        Status.TAKEN_DOWN,
        Status.ERASED,
        ERASER,
        "asked",
    )


async def test_erasure_keeps_a_sent_email_sent_but_forgets_its_address(catalog: Catalog) -> None:
    """A delivered email stays sent (history), only its address is blanked."""
    submission, email = await taken_down(catalog)
    assert await catalog.mark_email_sent(email.id, T0)
    assert await catalog.erase_submission(submission.id, actor=ERASER, reason="asked")
    kept = await catalog.get_email(email.id)
    assert kept is not None
    assert (kept.to, kept.status) == ("", EmailStatus.SENT)


@pytest.mark.parametrize("sent", [False, True], ids=["failed", "sent-after-a-deferral"])
async def test_erasure_leaves_the_address_in_no_email_of_the_submission(
    catalog: Catalog, sent: bool
) -> None:
    """A mail server's error quoting the address goes too, whatever became of the email."""
    submission, email = await taken_down(catalog)
    error = f"550 5.1.1 <{email.to}>: user unknown"
    await catalog.mark_email_attempt(email.id, error, final=not sent)
    if sent:
        assert await catalog.mark_email_sent(email.id, T0)
    assert await catalog.erase_submission(submission.id, actor=ERASER, reason="asked")
    kept = await catalog.get_email(email.id)
    assert kept is not None
    assert kept.status is (EmailStatus.SENT if sent else EmailStatus.FAILED)
    assert email.to not in repr(kept)


async def test_erasing_twice_or_an_unknown_submission_changes_nothing(catalog: Catalog) -> None:
    """The second erasure returns False and writes no second audit entry."""
    submission = await sent_by(catalog, "ana@example.com")
    assert await catalog.erase_submission(submission.id, actor=ERASER, reason="asked")
    assert not await catalog.erase_submission(submission.id, actor=ERASER, reason="again")
    assert not await catalog.erase_submission("missing", actor=ERASER, reason="asked")
    assert [e.to_status for e in await catalog.audit_trail(submission.id)] == [
        Status.RECEIVED,
        Status.ERASED,
    ]
    assert await catalog.customer_submissions("ana@example.com") == []


def asked(submission: Submission, seconds: int = 0) -> ErasureRequest:
    """A request to erase `submission`, asked `seconds` after T0."""
    at = T0 + timedelta(seconds=seconds)
    return ErasureRequest(submission.id, "operator:sam", "withdrawn", "erased by admin: T-1", at)


async def test_erasure_requests_are_kept_until_their_submission_is_erased(
    catalog: Catalog,
) -> None:
    """A request is recorded once (the first one stays), listed oldest first while its
    submission is not erased, and dropped by the erasure; unknown or erased ones get none.
    """
    first, second, gone = [await sent_by(catalog, "ana@example.com", seconds=i) for i in range(3)]
    assert await catalog.erase_submission(gone.id, actor="a", reason="r")
    ghost = replace(first, id="f" * 32)
    await catalog.request_erasure([asked(second, 5), asked(first, 9), asked(gone), asked(ghost)])
    await catalog.request_erasure([replace(asked(first, 1), actor="someone else")])
    await catalog.request_erasure([])
    assert await catalog.erasure_requests(10) == [asked(second, 5), asked(first, 9)]
    assert await catalog.erasure_requests(1) == [asked(second, 5)]
    assert await catalog.erase_submission(second.id, actor="operator:sam", reason="r")
    assert await catalog.erasure_requests(10) == [asked(first, 9)]


async def test_originals_to_purge_lists_settled_ones_older_than_the_cutoff(
    catalog: Catalog, clock: TickingClock
) -> None:
    """Only the given states, changed before the cutoff, with their original kept, are listed."""
    rejected = await received(catalog)
    await catalog.transition(rejected.id, allowed_from=SCANNABLE, to=Status.REJECTED, actor="s")
    failed = await received(catalog)
    await catalog.transition(failed.id, allowed_from=SCANNABLE, to=Status.FAILED, actor="s")
    cutoff = clock.now + timedelta(seconds=1)
    review = await received(catalog)
    await catalog.transition(review.id, allowed_from=SCANNABLE, to=Status.NEEDS_REVIEW, actor="s")
    late = await received(catalog)
    clock.now += timedelta(seconds=5)
    await catalog.transition(late.id, allowed_from=SCANNABLE, to=Status.REJECTED, actor="s")
    due = await catalog.originals_to_purge(SETTLED, settled_before=cutoff, limit=10)
    assert [s.id for s in due] == [rejected.id, failed.id]
    everything = await catalog.originals_to_purge(SETTLED, settled_before=None, limit=10)
    assert [s.id for s in everything] == [rejected.id, failed.id, late.id]
    assert len(await catalog.originals_to_purge(SETTLED, settled_before=None, limit=1)) == 1


async def test_a_marked_original_is_listed_no_more_and_marking_is_a_compare_and_set(
    catalog: Catalog, clock: TickingClock
) -> None:
    """Marking succeeds once, only from the allowed states; marked ones are not listed again."""
    submission = await received(catalog)
    await catalog.transition(submission.id, allowed_from=SCANNABLE, to=Status.FAILED, actor="s")
    assert not await catalog.mark_original_purged(
        submission.id, allowed_from={Status.REJECTED}, at=clock.now
    )
    assert await catalog.mark_original_purged(submission.id, allowed_from=SETTLED, at=clock.now)
    assert not await catalog.mark_original_purged(submission.id, allowed_from=SETTLED, at=clock.now)
    assert not await catalog.mark_original_purged("missing", allowed_from=SETTLED, at=clock.now)
    assert await catalog.originals_to_purge(SETTLED, settled_before=None, limit=10) == []
    stored = await catalog.get_submission(submission.id)
    assert stored is not None
    assert stored.original_purged_at == clock.now


def test_consent_migration_downgrades_and_upgrades_again(migrated_url: str) -> None:
    """Revision 0004 can be undone and redone: the two columns go and come back."""
    engine = create_engine(sync_url(migrated_url))
    try:
        command.downgrade(alembic_config(migrated_url), "0003")
        columns = {c["name"] for c in inspect(engine).get_columns("submissions")}
        assert not {"licence_version", "original_purged_at"} & columns
        upgrade(migrated_url)
        columns = {c["name"] for c in inspect(engine).get_columns("submissions")}
        assert {"licence_version", "original_purged_at"} <= columns
    finally:
        engine.dispose()


def test_email_key_migration_fills_in_the_rows_written_before_it(migrated_url: str) -> None:
    """Revision 0007 gives every earlier row (more than one batch) its folded key, and an index."""
    engine = create_engine(sync_url(migrated_url))
    try:
        command.downgrade(alembic_config(migrated_url), "0006")
        assert "email_key" not in _columns(engine, "submissions")
        emails = {f"s{n:04d}": f" Åsa.Berg+{n}@Example.se" for n in range(1001)}
        _insert_at_0006(engine, emails)
        upgrade(migrated_url)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, email_key FROM submissions"))
            keys: dict[str, str] = dict(rows.all())
        assert keys == {sid: email.strip().casefold() for sid, email in emails.items()}
        assert keys["s0007"] == "åsa.berg+7@example.se"
        indexes = inspect(engine).get_indexes("submissions")
        assert ["email_key"] in [index["column_names"] for index in indexes]
    finally:
        engine.dispose()


def _columns(engine: Engine, table_name: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table_name)}


# A received submission's columns as revision 0006 had them, bar id and email.
_AT_0006: dict[str, object] = {
    "sku": "MUG-1",
    "display_name": "",
    "caption": "",
    "original_blob": "o",
    "content_type": "image/jpeg",
    "size_bytes": 1,
    "width": 1,
    "height": 1,
    "status": "received",
    "created_at": T0,
    "consent_at": T0,
    "extra": {},
}


def _insert_at_0006(engine: Engine, emails: dict[str, str]) -> None:
    """Write a product and one received submission per (id, address), as revision 0006 had them."""
    when = DateTime(timezone=True)
    typed: dict[str, TypeEngine[Any]] = {"extra": JSON(), "created_at": when, "consent_at": when}
    old = table(
        "submissions", *(column(name, typed.get(name)) for name in ["id", "email", *_AT_0006])
    )
    rows = [{"id": sid, "email": email, **_AT_0006} for sid, email in emails.items()]
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO products VALUES ('MUG-1', 'Mug', '', 1, '[]')"))
        conn.execute(old.insert(), rows)
