"""Contract of the catalog's fingerprints: the in-memory fake, SQLite and PostgreSQL alike."""

# The catalog suite's fixtures are imported by name, and tests take them as parameters of the
# same name: that is how pytest injects them, not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect

from photogate.adapters.sql.catalog import open_sql_catalog
from photogate.adapters.sql.engine import sync_url
from photogate.adapters.sql.migrate import alembic_config, upgrade
from photogate.domain.fingerprint import Fingerprint, ImageKind, KnownImage, listing_order
from photogate.domain.submission import SCANNABLE, Status
from photogate.errors import CatalogConflict
from photogate.ports.catalog import Catalog
from tests.contract.test_catalog import (  # noqa: F401 - fixtures are found by name
    SKU,
    T0,
    TickingClock,
    a_photo,
    a_product,
    a_scan,
    a_submission,
    an_email,
    an_outbox,
    backend,
    catalog,
    clock,
    migrated_url,
    postgres_url,
)

A = Fingerprint("a" * 64, "f0f0f0f0f0f0f0f0")
B = Fingerprint("b" * 64, "0f0f0f0f0f0f0f0f")
ANY = frozenset(Status)


async def fingerprinted(
    catalog: Catalog, fingerprint: Fingerprint | None = A, *, sku: str = SKU, seconds: int = 0
) -> str:
    """A received submission of `sku` with `fingerprint`; returns its id."""
    await catalog.upsert_products([a_product(sku)])
    submission = a_submission(sku=sku)
    submission = replace(submission, created_at=submission.created_at.replace(second=seconds))
    await catalog.add_submission(submission, an_outbox(submission.id), fingerprint)
    return submission.id


async def publish(catalog: Catalog, submission_id: str, at: datetime = T0) -> None:
    """Approve the submission with a photo published `at`, as the publish stage does."""
    submission = await catalog.get_submission(submission_id)
    assert submission is not None
    assert await catalog.approve(
        submission_id,
        photo=a_photo(submission, at),
        email=an_email(submission_id),
        outbox=an_outbox(submission_id, "publish"),
        actor="scanner",
        scan=a_scan(),
    )


async def test_a_submission_keeps_the_fingerprint_it_was_added_with(catalog: Catalog) -> None:
    """The fingerprint given to add_submission reads back; one added without has none."""
    with_print = await fingerprinted(catalog, A)
    without = await fingerprinted(catalog, None)
    assert await catalog.get_fingerprint(with_print) == A
    assert await catalog.get_fingerprint(without) is None
    assert await catalog.get_fingerprint("missing") is None


async def add_unless_repeat(
    catalog: Catalog, repeats: frozenset[Status] = ANY
) -> tuple[str, str | None]:
    """A new submission of SKU with A, added unless it repeats one in `repeats`: its id, and
    the id of the earlier submission returned instead (None when it was recorded).
    """
    submission = a_submission()
    earlier = await catalog.add_submission(submission, an_outbox(submission.id), A, repeats=repeats)
    return submission.id, None if earlier is None else earlier.id


async def test_a_repeat_is_not_recorded_and_the_oldest_copy_answers(catalog: Catalog) -> None:
    """With `repeats`, a new submission of a file already sent for the product writes nothing
    (no row, fingerprint or queue message) and gets the oldest copy back.
    """
    later = await fingerprinted(catalog, A, seconds=30)
    first = await fingerprinted(catalog, A, seconds=10)
    pending = len(await catalog.pending_outbox(100))
    new_id, earlier = await add_unless_repeat(catalog)
    assert earlier == first != later
    assert await catalog.get_submission(new_id) is None
    assert await catalog.get_fingerprint(new_id) is None
    assert len(await catalog.pending_outbox(100)) == pending


async def test_a_copy_outside_repeats_or_of_another_product_does_not_stop_one(
    catalog: Catalog,
) -> None:
    """A rejected copy (not among `repeats`), another product's copy and another file leave a
    new submission to be recorded, with its fingerprint.
    """
    rejected = await fingerprinted(catalog, A)
    await catalog.transition(rejected, allowed_from=SCANNABLE, to=Status.REJECTED, actor="scanner")
    await fingerprinted(catalog, A, sku="CAP-9")
    await fingerprinted(catalog, B)
    new_id, earlier = await add_unless_repeat(catalog, frozenset(SCANNABLE))
    assert earlier is None
    assert await catalog.get_fingerprint(new_id) == A


async def test_copies_added_at_once_are_recorded_once(catalog: Catalog) -> None:
    """Six submissions of one file added together (a batch, on SQL catalogs): the one recorded
    answers for the five others.
    """
    await catalog.upsert_products([a_product()])
    added = await asyncio.gather(*(add_unless_repeat(catalog) for _ in range(6)))
    [recorded] = [new_id for new_id, earlier in added if earlier is None]
    assert {earlier for _, earlier in added} == {None, recorded}
    assert [s.id for s in (await catalog.list_submissions(Status.RECEIVED, limit=10))[0]] == [
        recorded
    ]


async def test_separate_catalogs_adding_copies_at_once_record_one(migrated_url: str) -> None:
    """Four catalogs on one database (four web processes), three copies of one file from each
    at once: one is recorded, and every other is told it is the one that answers.
    """
    setup = await open_sql_catalog(migrated_url)
    await setup.upsert_products([a_product()])
    catalogs = [await open_sql_catalog(migrated_url) for _ in range(4)]
    try:
        added = await asyncio.gather(*(add_unless_repeat(c) for c in catalogs for _ in range(3)))
        received, total = await setup.list_submissions(Status.RECEIVED, limit=20)
    finally:
        for catalog in [setup, *catalogs]:
            await catalog.aclose()
    [recorded] = [new_id for new_id, earlier in added if earlier is None]
    assert {earlier for _, earlier in added} == {None, recorded}
    assert total == 1 and received[0].id == recorded


async def test_marketing_fingerprints_are_replaced_per_product(catalog: Catalog) -> None:
    """Recording a product's marketing fingerprints replaces that product's, not others'."""
    await catalog.upsert_products([a_product(SKU), a_product("CAP-9")])
    await catalog.record_marketing_fingerprints(SKU, {"/img/1.jpg": A.phash, "/img/2.jpg": B.phash})
    await catalog.record_marketing_fingerprints("CAP-9", {"/img/cap.jpg": A.phash})
    await catalog.record_marketing_fingerprints(SKU, {"/img/3.jpg": B.phash})
    assert await everything(catalog) == [
        KnownImage(ImageKind.MARKETING, "CAP-9", "/img/cap.jpg", A.phash),
        KnownImage(ImageKind.MARKETING, SKU, "/img/3.jpg", B.phash),
    ]


async def test_marketing_fingerprints_of_an_unknown_product_are_refused(
    catalog: Catalog,
) -> None:
    """Fingerprints for a SKU the catalog does not have are refused as a conflict."""
    with pytest.raises(CatalogConflict):
        await catalog.record_marketing_fingerprints("NOPE", {"/img/1.jpg": A.phash})
    assert await everything(catalog) == []


async def test_published_photos_are_known_images_until_they_are_taken_down(
    catalog: Catalog,
) -> None:
    """A published, fingerprinted photo is a known image (its JPEG URL) until unpublished."""
    waiting = await fingerprinted(catalog, B)
    live = await fingerprinted(catalog, A)
    await publish(catalog, live)
    [image] = await everything(catalog)
    assert image == KnownImage(
        ImageKind.CUSTOMER, SKU, f"/media/{live}-1200.jpg", A.phash, submission_id=live
    )
    assert waiting != live
    assert await catalog.unpublish(
        live, allowed_from={Status.APPROVED}, to=Status.TAKEN_DOWN, actor="op", reason="x"
    )
    assert await everything(catalog) == []


async def everything(catalog: Catalog, *, with_pending: bool = False) -> list[KnownImage]:
    """Every known image: all are within 64 bits of any hash."""
    return await catalog.images_near(["0" * 16], max_distance=64, with_pending=with_pending)


async def test_images_near_are_those_within_the_distance_of_any_hash_given(
    catalog: Catalog,
) -> None:
    """Marketing, published and pending images are found only within `max_distance` bits of
    one of the hashes asked about; no hashes, no images.
    """
    await catalog.upsert_products([a_product(SKU)])
    await catalog.record_marketing_fingerprints(SKU, {"/img/0.jpg": f"{0b111:016x}"})
    live = await fingerprinted(catalog, Fingerprint("a" * 64, f"{0xFFFF_0000:016x}"))
    await publish(catalog, live)
    scanning = await fingerprinted(catalog, Fingerprint("b" * 64, f"{0xFF << 40:016x}"))
    assert await catalog.transition(scanning, allowed_from=ANY, to=Status.SCANNING, actor="t")
    assert await catalog.images_near([], max_distance=64, with_pending=True) == []
    assert await catalog.images_near(["0" * 16], max_distance=2, with_pending=True) == []
    found = await catalog.images_near(["0" * 16], max_distance=3, with_pending=True)
    assert [(i.kind, i.submission_id) for i in found] == [(ImageKind.MARKETING, None)]
    asked = [f"{0xFFFE_0000:016x}", f"{0xFE << 40:016x}"]  # one bit off each photo
    found = await catalog.images_near(asked, max_distance=1, with_pending=True)
    assert [(i.kind, i.submission_id) for i in found] == [
        (ImageKind.CUSTOMER, live),
        (ImageKind.PENDING, scanning),
    ]
    found = await catalog.images_near(asked, max_distance=1)
    assert [(i.kind, i.submission_id) for i in found] == [(ImageKind.CUSTOMER, live)]


async def test_images_near_see_photos_published_and_taken_down_since_an_earlier_look(
    catalog: Catalog, clock: TickingClock
) -> None:
    """A photo published after an earlier look (the SQL catalog keeps a copy of the hashes)
    is found, one taken down since is not, and once the copy is a minute old one published
    with an older time than that (clocks apart) is found too.
    """
    first = await fingerprinted(catalog, A)
    await publish(catalog, first, at=clock())
    assert [i.submission_id for i in await everything(catalog)] == [first]
    second = await fingerprinted(catalog, B)
    await publish(catalog, second, at=clock())
    assert await catalog.unpublish(
        first, allowed_from={Status.APPROVED}, to=Status.TAKEN_DOWN, actor="op", reason="x"
    )
    assert [i.submission_id for i in await everything(catalog)] == [second]
    late = await fingerprinted(catalog, numbered(3))
    await publish(catalog, late, at=clock() - timedelta(hours=1))
    clock.now += timedelta(seconds=61)
    assert {i.submission_id for i in await everything(catalog)} == {second, late}


async def test_pending_images_follow_submissions_into_and_out_of_review_after_an_earlier_look(
    catalog: Catalog,
) -> None:
    """A submission sent to review after an earlier look is a pending image; one decided
    since is not, though the SQL catalog's copy of the hashes still has it.
    """
    waiting = await fingerprinted(catalog, A)
    assert await catalog.transition(waiting, allowed_from=ANY, to=Status.NEEDS_REVIEW, actor="t")
    assert [i.submission_id for i in await everything(catalog, with_pending=True)] == [waiting]
    later = await fingerprinted(catalog, B)
    for status in (Status.SCANNING, Status.NEEDS_REVIEW):
        assert await catalog.transition(later, allowed_from=ANY, to=status, actor="t")
    assert await catalog.transition(waiting, allowed_from=ANY, to=Status.REJECTED, actor="t")
    assert [i.submission_id for i in await everything(catalog, with_pending=True)] == [later]


async def test_marketing_images_are_the_marketing_photos_only(catalog: Catalog) -> None:
    """marketing_images lists the fingerprinted marketing photos, not customers' photos."""
    await catalog.upsert_products([a_product(SKU)])
    await catalog.record_marketing_fingerprints(SKU, {"/img/1.jpg": A.phash})
    await publish(catalog, await fingerprinted(catalog, B))
    assert await catalog.marketing_images() == [
        KnownImage(ImageKind.MARKETING, SKU, "/img/1.jpg", A.phash)
    ]


def numbered(n: int) -> Fingerprint:
    """A fingerprint of its own for the `n`th submission, so each image shows whose it is."""
    return Fingerprint(f"{n:064x}", f"{n:016x}")


async def in_status(catalog: Catalog, status: Status, n: int) -> str:
    """A submission received at second `n` with fingerprint `n`, moved to `status`."""
    sid = await fingerprinted(catalog, numbered(n), seconds=n)
    if status is Status.ERASED:
        assert await catalog.erase_submission(sid, actor="customer", reason="asked")
    elif status is not Status.RECEIVED:
        assert await catalog.transition(sid, allowed_from=ANY, to=status, actor="test")
    return sid


def pending(submission_id: str, n: int) -> KnownImage:
    """The pending image of the submission `in_status` made at second `n`."""
    return KnownImage(ImageKind.PENDING, SKU, "", f"{n:016x}", submission_id)


async def test_submissions_being_scanned_or_in_review_are_pending_known_images(
    catalog: Catalog,
) -> None:
    """With with_pending, fingerprinted submissions being scanned or in review (received
    before or after any other) are pending images with their own pHash; those still waiting
    for their scan (screened later), settled or erased ones are not; without it, none are.
    """
    statuses = [Status.SCANNING, Status.NEEDS_REVIEW, Status.SCANNING]
    on_their_way = [await in_status(catalog, s, n) for n, s in enumerate(statuses, start=1)]
    others = [Status.RECEIVED, Status.QUEUED, Status.REJECTED, Status.FAILED, Status.ERASED]
    for n, other in enumerate(others, start=10):
        await in_status(catalog, other, n)
    live = await in_status(catalog, Status.RECEIVED, 20)
    await publish(catalog, live)
    waiting = a_submission()
    await catalog.add_awaiting_upload(replace(waiting, status=Status.AWAITING_UPLOAD))
    found = await everything(catalog, with_pending=True)
    expected = [pending(sid, n) for n, sid in enumerate(on_their_way, start=1)]
    assert [image for image in found if image.kind is ImageKind.PENDING] == sorted(
        expected, key=listing_order
    )
    [published] = [image for image in found if image.kind is not ImageKind.PENDING]
    assert (published.kind, published.submission_id, published.phash) == (
        ImageKind.CUSTOMER,
        live,
        numbered(20).phash,
    )
    assert await everything(catalog) == [published]


def test_fingerprint_migration_downgrades_and_upgrades_again(migrated_url: str) -> None:
    """Revision 0005 can be undone to 0004 (its tables go) and applied again."""
    engine = create_engine(sync_url(migrated_url))
    try:
        command.downgrade(alembic_config(migrated_url), "0004")
        assert not {"fingerprints", "marketing_fingerprints"} & set(
            inspect(engine).get_table_names()
        )
        upgrade(migrated_url)
        assert {"fingerprints", "marketing_fingerprints"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
