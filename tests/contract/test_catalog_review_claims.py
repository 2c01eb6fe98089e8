"""Contract of the catalog's review claims: moderators working at once get different photos,
claims lapse by themselves and end with a decision; the in-memory fake, SQLite and PostgreSQL.
"""

# The catalog suite's fixtures are imported by name, and tests take them as parameters of the
# same name: that is how pytest injects them, not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from photogate.adapters.sql.catalog import open_sql_catalog
from photogate.adapters.sql.engine import sync_url
from photogate.adapters.sql.migrate import alembic_config, upgrade
from photogate.adapters.sql.tables import metadata
from photogate.domain.fingerprint import Fingerprint
from photogate.domain.moderation import ReviewClaim
from photogate.domain.submission import SCANNABLE, Status, Submission
from photogate.ports.catalog import Catalog
from tests.contract.test_catalog import (  # noqa: F401 - fixtures are found by name
    T0,
    _schema_differences,
    a_product,
    a_submission,
    an_outbox,
    backend,
    catalog,
    clock,
    migrated_url,
    postgres_url,
    received,
)

LEASE = timedelta(minutes=5)
MS = timedelta(milliseconds=1)


async def in_review(catalog: Catalog, count: int = 1) -> list[Submission]:
    """`count` submissions the scanner left to people, received a second apart, oldest first."""
    waiting = []
    for n in range(count):
        submission = await received(catalog, T0 + timedelta(seconds=n))
        moved = await catalog.transition(
            submission.id, allowed_from=SCANNABLE, to=Status.NEEDS_REVIEW, actor="scanner"
        )
        assert moved is not None
        waiting.append(moved)
    return waiting


async def next_for(catalog: Catalog, moderator: str, now: datetime = T0) -> str | None:
    """The id of the submission "next" claims for `moderator` at `now`, or None."""
    claimed = await catalog.claim_next_review(moderator, now=now, until=now + LEASE)
    return None if claimed is None else claimed.id


async def open_as(
    catalog: Catalog, submission_id: str, moderator: str, now: datetime = T0, **take: bool
) -> ReviewClaim | None:
    return await catalog.claim_review(submission_id, moderator, now=now, until=now + LEASE, **take)


async def test_next_gives_two_moderators_different_photos_oldest_first(catalog: Catalog) -> None:
    """The first "next" claims the oldest photo in review, the second moderator's the one after;
    with both claimed, a third finds nothing, and the claims are listed with who holds them.
    """
    first, second = await in_review(catalog, 2)
    claimed = await catalog.claim_next_review("sam", now=T0, until=T0 + LEASE)
    assert claimed is not None and claimed.id == first.id
    assert claimed.status is Status.NEEDS_REVIEW and claimed.caption == first.caption
    assert await next_for(catalog, "mia") == second.id
    assert await next_for(catalog, "lee") is None
    claims = await catalog.review_claims([first.id, second.id, "missing"], now=T0)
    assert claims == {
        first.id: ReviewClaim(first.id, "sam", T0 + LEASE),
        second.id: ReviewClaim(second.id, "mia", T0 + LEASE),
    }


async def test_next_passes_over_submissions_not_in_review(catalog: Catalog) -> None:
    """Only needs_review is claimed: a received submission is not, and an empty queue is None."""
    await received(catalog)
    assert await next_for(catalog, "sam") is None
    [waiting] = await in_review(catalog)
    assert await next_for(catalog, "sam") == waiting.id


async def test_a_claim_lapses_at_its_until_and_is_free_again(catalog: Catalog) -> None:
    """Up to its last instant a claim steers others away; from `until` on, it is free to take,
    and it is no longer listed.
    """
    [waiting] = await in_review(catalog)
    assert await next_for(catalog, "sam") == waiting.id
    assert await next_for(catalog, "mia", T0 + LEASE - MS) is None
    assert await catalog.review_claims([waiting.id], now=T0 + LEASE) == {}
    assert await next_for(catalog, "mia", T0 + LEASE) == waiting.id
    claims = await catalog.review_claims([waiting.id], now=T0 + LEASE)
    assert claims[waiting.id] == ReviewClaim(waiting.id, "mia", T0 + 2 * LEASE)


async def test_asking_next_again_moves_on_and_frees_the_one_before(catalog: Catalog) -> None:
    """ "Next" never gives a moderator the photo they hold: it takes the following one and drops
    theirs, which is the next one for someone else; a moderator holds one claim at a time.
    """
    first, second = await in_review(catalog, 2)
    assert await next_for(catalog, "sam") == first.id
    assert await next_for(catalog, "sam") == second.id
    assert await catalog.review_claims([first.id], now=T0) == {}
    assert await next_for(catalog, "mia") == first.id


async def test_next_with_only_your_own_photo_left_keeps_it(catalog: Catalog) -> None:
    """When nothing else is free, "next" finds nothing and the moderator's claim stays."""
    [only] = await in_review(catalog)
    assert await next_for(catalog, "sam") == only.id
    assert await next_for(catalog, "sam") is None
    assert (await catalog.review_claims([only.id], now=T0))[only.id].moderator == "sam"


async def test_opening_a_photo_claims_it_and_renews_your_own_claim(catalog: Catalog) -> None:
    """Opening a free photo claims it, drops the opener's other claim, and opening it again
    later renews it.
    """
    first, second = await in_review(catalog, 2)
    assert await next_for(catalog, "sam") == first.id
    assert await open_as(catalog, second.id, "sam") == ReviewClaim(second.id, "sam", T0 + LEASE)
    assert await catalog.review_claims([first.id], now=T0) == {}
    later = T0 + timedelta(minutes=3)
    renewed = await open_as(catalog, second.id, "sam", later)
    assert renewed == ReviewClaim(second.id, "sam", later + LEASE)
    assert await next_for(catalog, "mia", later + LEASE - MS) == first.id


async def test_opening_a_photo_someone_holds_changes_nothing(catalog: Catalog) -> None:
    """Opening a photo whose claim still runs answers with that claim and keeps it; the
    opener's own claim elsewhere stays too.
    """
    first, second = await in_review(catalog, 2)
    assert await next_for(catalog, "sam") == first.id
    assert await next_for(catalog, "mia") == second.id
    kept = await open_as(catalog, first.id, "mia", T0 + MS)
    assert kept == ReviewClaim(first.id, "sam", T0 + LEASE)
    claims = await catalog.review_claims([first.id, second.id], now=T0 + MS)
    assert {sid: claim.moderator for sid, claim in claims.items()} == {
        first.id: "sam",
        second.id: "mia",
    }


async def test_taking_over_moves_a_running_claim_to_you(catalog: Catalog) -> None:
    """With take_over, a moderator claims a photo someone else holds; that one's claim ends."""
    [waiting] = await in_review(catalog)
    assert await next_for(catalog, "sam") == waiting.id
    taken = await open_as(catalog, waiting.id, "mia", T0 + MS, take_over=True)
    assert taken == ReviewClaim(waiting.id, "mia", T0 + MS + LEASE)
    assert await open_as(catalog, waiting.id, "sam", T0 + MS) == taken


async def test_only_photos_in_review_can_be_claimed(catalog: Catalog) -> None:
    """Opening a submission not in review, or an unknown one, claims nothing and answers None."""
    submission = await received(catalog)
    assert await open_as(catalog, submission.id, "sam") is None
    assert await open_as(catalog, submission.id, "sam", take_over=True) is None
    assert await open_as(catalog, "missing", "sam") is None
    assert await catalog.review_claims([submission.id], now=T0) == {}


async def test_a_decision_ends_the_claim(catalog: Catalog) -> None:
    """Moving the submission out of review drops its claim: it is not listed, and should it
    ever come back to review it is free, not still held.
    """
    [waiting] = await in_review(catalog)
    assert await next_for(catalog, "sam") == waiting.id
    rejected = await catalog.transition(
        waiting.id, allowed_from={Status.NEEDS_REVIEW}, to=Status.REJECTED, actor="moderator:sam"
    )
    assert rejected is not None
    assert await catalog.review_claims([waiting.id], now=T0) == {}
    assert await next_for(catalog, "mia") is None
    back = await catalog.transition(
        waiting.id, allowed_from={Status.REJECTED}, to=Status.NEEDS_REVIEW, actor="test"
    )
    assert back is not None
    assert await catalog.review_claims([waiting.id], now=T0) == {}
    assert await next_for(catalog, "mia") == waiting.id


async def test_claims_write_nothing_to_the_audit_trail(catalog: Catalog) -> None:
    """A claim, a take-over and a lapse are not decisions: the trail is as it was."""
    [waiting] = await in_review(catalog)
    before = await catalog.audit_trail(waiting.id)
    assert await next_for(catalog, "sam") == waiting.id
    assert await open_as(catalog, waiting.id, "mia", take_over=True) is not None
    assert await catalog.audit_trail(waiting.id) == before


async def test_naive_claim_times_are_refused(catalog: Catalog) -> None:
    """A claim time without a zone raises ValueError instead of comparing a guess."""
    [waiting] = await in_review(catalog)
    naive = datetime(2025, 3, 1, 12, 0)
    with pytest.raises(ValueError, match="naive"):
        await catalog.claim_next_review("sam", now=naive, until=T0 + LEASE)
    with pytest.raises(ValueError, match="naive"):
        await catalog.claim_review(waiting.id, "sam", now=T0, until=naive)
    with pytest.raises(ValueError, match="naive"):
        await catalog.review_claims([waiting.id], now=naive)


async def test_moderators_asking_next_at_once_all_get_different_photos(catalog: Catalog) -> None:
    """Eight moderators press "next" together over five photos: five get one each, no photo
    twice, and three get nothing.
    """
    waiting = await in_review(catalog, 5)
    moderators = [f"mod{n}" for n in range(8)]
    got = await asyncio.gather(*(next_for(catalog, name) for name in moderators))
    claimed = [sid for sid in got if sid is not None]
    assert sorted(claimed) == sorted(s.id for s in waiting)
    claims = await catalog.review_claims(claimed, now=T0)
    assert {claims[sid].moderator for sid in claimed} == {
        name for name, sid in zip(moderators, got, strict=True) if sid is not None
    }


async def test_opening_one_photo_at_once_has_exactly_one_holder(catalog: Catalog) -> None:
    """Six moderators open the same free photo together: one claims it, the others are told
    that one's claim.
    """
    [waiting] = await in_review(catalog)
    answers = await asyncio.gather(*(open_as(catalog, waiting.id, f"mod{n}") for n in range(6)))
    assert None not in answers
    [holder] = {answer.moderator for answer in answers if answer is not None}
    assert all(answer == ReviewClaim(waiting.id, holder, T0 + LEASE) for answer in answers)


async def test_separate_connections_asking_next_at_once_get_different_photos(
    migrated_url: str,
) -> None:
    """Four catalogs on one database (as four web processes would be), three moderators on
    each, press "next" together over ten photos: ten are told a photo, each a different one
    and each the holder of its claim; two are told there is none.
    """
    setup = await open_sql_catalog(migrated_url)
    waiting = await in_review(setup, 10)
    catalogs = [await open_sql_catalog(migrated_url) for _ in range(4)]
    moderators = [(c, f"mod{n}-{m}") for n, c in enumerate(catalogs) for m in range(3)]
    try:
        got = await asyncio.gather(*(next_for(c, name) for c, name in moderators))
        claims = await setup.review_claims([s.id for s in waiting], now=T0)
    finally:
        for catalog in [setup, *catalogs]:
            await catalog.aclose()
    told = {sid: name for (_, name), sid in zip(moderators, got, strict=True) if sid}
    assert got.count(None) == 2 and len(told) == 10
    assert {sid: claim.moderator for sid, claim in claims.items()} == told


def test_claims_migration_downgrades_keeping_rows_and_upgrades_again(migrated_url: str) -> None:
    """Revision 0008 can be undone, its two columns going without the submission rows or their
    fingerprints, and redone, back to exactly the schema of tables.py.
    """
    asyncio.run(_a_fingerprinted_submission(migrated_url))
    engine = create_engine(sync_url(migrated_url))
    try:
        command.downgrade(alembic_config(migrated_url), "0007")
        columns = {c["name"] for c in inspect(engine).get_columns("submissions")}
        assert not {"claimed_by", "claimed_until"} & columns
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM fingerprints")) == 1
        upgrade(migrated_url)
        assert _schema_differences(migrated_url, metadata) == []
    finally:
        engine.dispose()


async def _a_fingerprinted_submission(url: str) -> None:
    catalog = await open_sql_catalog(url)
    try:
        await catalog.upsert_products([a_product()])
        submission = a_submission()
        fingerprint = Fingerprint("a" * 64, "f0f0f0f0f0f0f0f0")
        await catalog.add_submission(submission, an_outbox(submission.id), fingerprint)
    finally:
        await catalog.aclose()


async def test_a_look_while_holding_another_claims_nothing(catalog: Catalog) -> None:
    """unless_holding (a moderator opening another photo's page): with a claim running on
    another photo, nothing is claimed and that claim runs on; with none, it claims.
    """
    first, second = await in_review(catalog, 2)
    assert await next_for(catalog, "sam") == first.id
    looked = await catalog.claim_review(
        second.id, "sam", now=T0, until=T0 + LEASE, unless_holding=True
    )
    assert looked is None
    running = await catalog.review_claims([first.id, second.id], now=T0)
    assert running == {first.id: ReviewClaim(first.id, "sam", T0 + LEASE)}
    mia = await catalog.claim_review(
        second.id, "mia", now=T0, until=T0 + LEASE, unless_holding=True
    )
    assert mia == ReviewClaim(second.id, "mia", T0 + LEASE)
