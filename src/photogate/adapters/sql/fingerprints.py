"""SqlCatalog's fingerprint methods: same files at intake, known images for near-copies."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Protocol, TypeVar

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from photogate.adapters.sql import mapping
from photogate.adapters.sql import tables as db
from photogate.adapters.sql.batches import fingerprint_values
from photogate.domain.fingerprint import (
    ON_THEIR_WAY,
    Fingerprint,
    ImageKind,
    KnownImage,
    listing_order,
    pending_image,
    published_image,
)
from photogate.domain.submission import Submission

R = TypeVar("R")


class Connected(Protocol):
    """What these methods need of the SqlCatalog they are mixed into."""

    def _read(self) -> AbstractAsyncContextManager[AsyncConnection]: ...

    def _write(self) -> AbstractAsyncContextManager[AsyncConnection]: ...

    async def _read_in_thread(self, work: Callable[[Connection], R]) -> R: ...


async def insert_fingerprint(
    conn: AsyncConnection, submission: Submission, fingerprint: Fingerprint
) -> None:
    """Write the fingerprint row of a new submission (inside the caller's transaction)."""
    await conn.execute(insert(db.fingerprints).values(fingerprint_values(submission, fingerprint)))


class SqlFingerprints:
    """Mixed into SqlCatalog."""

    async def get_fingerprint(self: Connected, submission_id: str) -> Fingerprint | None:
        """The fingerprint recorded with the submission, or None."""
        prints = db.fingerprints.c
        query = select(prints.sha256, prints.phash).where(prints.submission_id == submission_id)
        async with self._read() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else Fingerprint(row.sha256, row.phash)

    async def record_marketing_fingerprints(
        self: Connected, sku: str, phashes: Mapping[str, str]
    ) -> None:
        """Replace the perceptual hashes (by URL) of a product's marketing photos."""
        rows = [{"sku": sku, "url": url, "phash": phash} for url, phash in phashes.items()]
        async with self._write() as conn:
            await conn.execute(
                delete(db.marketing_fingerprints).where(db.marketing_fingerprints.c.sku == sku)
            )
            if rows:
                await conn.execute(insert(db.marketing_fingerprints), rows)

    async def known_images(self: Connected, *, with_pending: bool = False) -> list[KnownImage]:
        """Fingerprinted marketing photos, published customer photos and (`with_pending`)
        submissions on their way, in listing_order.
        """
        async with self._read() as conn:
            # Pending before published: a submission approved between the two reads is then
            # seen as one or the other (each read is its own snapshot), never as neither.
            found = await _pending(conn) if with_pending else []
            rows = (await conn.execute(_PUBLISHED)).mappings()
            found += [published_image(mapping.photo_from_row(r), r["phash"]) for r in rows]
            shop = await conn.execute(select(db.marketing_fingerprints))
            found += [KnownImage(ImageKind.MARKETING, row.sku, row.url, row.phash) for row in shop]
        return sorted(found, key=listing_order)


_PUBLISHED = select(db.customer_photos, db.fingerprints.c.phash).join(
    db.fingerprints, db.fingerprints.c.submission_id == db.customer_photos.c.submission_id
)


async def _pending(conn: AsyncConnection) -> list[KnownImage]:
    """Fingerprinted submissions on their way, as pending images (found by the index on
    submissions' status).
    """
    subs, prints = db.submissions.c, db.fingerprints.c
    query = (
        select(subs.id, subs.sku, prints.phash)
        .join(db.fingerprints, prints.submission_id == subs.id)
        .where(subs.status.in_(sorted(ON_THEIR_WAY)))
    )
    rows = await conn.execute(query)
    return [pending_image(row.id, row.sku, row.phash) for row in rows]
