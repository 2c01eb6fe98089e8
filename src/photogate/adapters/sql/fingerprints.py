"""SqlCatalog's fingerprint methods: same files at intake, known images for near-copies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Final, Protocol, TypeVar

from sqlalchemy import ColumnElement, Connection, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from photogate.adapters.sql import mapping
from photogate.adapters.sql import tables as db
from photogate.adapters.sql.batches import fingerprint_values
from photogate.adapters.sql.engine import id_chunks
from photogate.clock import Clock
from photogate.domain.fingerprint import (
    ON_THEIR_WAY,
    Fingerprint,
    ImageKind,
    KnownImage,
    listing_order,
    pending_image,
    published_image,
    within,
)
from photogate.domain.submission import Status, Submission

R = TypeVar("R")

# How old a process's copy of the published hashes may grow before it is read again, and how
# far before the copy was taken screening looks for photos published since.
REFRESH: Final = timedelta(seconds=60)
RECENT_MARGIN: Final = timedelta(minutes=5)


class Connected(Protocol):
    """What these methods need of the SqlCatalog they are mixed into."""

    _published_hashes: PublishedHashes

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

    async def images_near(
        self: Connected, phashes: Collection[str], *, max_distance: int, with_pending: bool = False
    ) -> list[KnownImage]:
        """Fingerprinted marketing photos, published customer photos and (`with_pending`)
        submissions on their way within `max_distance` bits of one of `phashes`, in
        listing_order.

        Every hash is read, but only the matching photos' rows: a shop's tens of thousands of
        photos cost a column each, compared on a thread, off the event loop.
        """
        if not phashes:
            return []
        copy = await self._published_hashes.current(self._read_in_thread)
        near = within(max_distance, phashes)
        found = await self._read_in_thread(
            partial(_near, near=near, copy=copy, with_pending=with_pending)
        )
        return sorted(found, key=listing_order)

    async def marketing_images(self: Connected) -> list[KnownImage]:
        """Every fingerprinted marketing photo, in listing_order."""
        async with self._read() as conn:
            shop = await conn.execute(select(db.marketing_fingerprints))
            found = [KnownImage(ImageKind.MARKETING, row.sku, row.url, row.phash) for row in shop]
        return sorted(found, key=listing_order)


Hashes = tuple[tuple[str, str], ...]  # (submission id, pHash)
Copied = tuple[Hashes, Hashes]  # published, in review


@dataclass(frozen=True)
class HashCopy:
    """The pHashes of the published photos and of the photos in review, as read at
    `taken_at` or after.
    """

    taken_at: datetime
    published: Hashes
    in_review: Hashes

    @property
    def since(self) -> datetime:
        """From when photos published or sent to review are read again, not taken from here."""
        return self.taken_at - RECENT_MARGIN


class PublishedHashes:
    """A process's copy of the pHashes of every published photo and every photo waiting for
    people, read again once REFRESH old: the many a scan's picture may copy, which change
    slowly.

    Only a first sieve. Screening also reads what was published or sent to review since the
    copy was taken (less RECENT_MARGIN, for slow transactions and clocks a little apart) and
    what is being scanned, then loads only the matches still published or on their way; so a
    photo published, sent to review or settled since is seen as it is now. A year of a shop's
    photos then costs each scan a pass over a list in memory, not a read of every row.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._copy: HashCopy | None = None

    async def current(
        self, read: Callable[[Callable[[Connection], Copied]], Awaitable[Copied]]
    ) -> HashCopy:
        """The copy, read again first if it is missing or older than REFRESH."""
        copy = self._copy
        if copy is None or self._clock() - copy.taken_at > REFRESH:
            taken_at = self._clock()  # before the read: what commits during it is "since"
            published, in_review = await read(_copied_hashes)
            copy = self._copy = HashCopy(taken_at, published, in_review)
        return copy


def _copied_hashes(conn: Connection) -> Copied:
    prints, subs = db.fingerprints.c, db.submissions.c
    published = select(db.customer_photos.c.submission_id)
    in_review = select(subs.id).where(subs.status == Status.NEEDS_REVIEW)
    return _hashes(conn, prints.submission_id.in_(published)), _hashes(
        conn, prints.submission_id.in_(in_review)
    )


def _hashes(conn: Connection, where: ColumnElement[bool]) -> Hashes:
    prints = db.fingerprints.c
    rows = conn.execute(select(prints.submission_id, prints.phash).where(where))
    return tuple((row.submission_id, row.phash) for row in rows)


def _near(
    conn: Connection, near: Callable[[str], bool], copy: HashCopy, with_pending: bool
) -> list[KnownImage]:
    # Pending before published: a submission approved between the two reads is then seen as
    # one or the other (each read is its own snapshot), never as neither.
    found = _pending(conn, near, copy) if with_pending else []
    found += _published(conn, near, copy)
    shop = conn.execute(select(db.marketing_fingerprints))
    found += [KnownImage(ImageKind.MARKETING, r.sku, r.url, r.phash) for r in shop if near(r.phash)]
    return found


def _pending(conn: Connection, near: Callable[[str], bool], copy: HashCopy) -> list[KnownImage]:
    """Fingerprinted submissions on their way, as pending images: those being scanned, read
    whole (by the index on submissions' status); those in review, from the copy and read since.
    """
    subs, prints = db.submissions.c, db.fingerprints.c
    scanning = _hashes(conn, prints.submission_id.in_(select(subs.id).where(_SCANNING)))
    to_review = select(subs.id).where(_IN_REVIEW, subs.updated_at >= copy.since)
    recent = _hashes(conn, prints.submission_id.in_(to_review))
    ids = _matching(near, scanning, copy.in_review, recent)
    found = []
    for chunk in id_chunks(ids):
        query = (
            select(subs.id, subs.sku, prints.phash)
            .join(db.fingerprints, prints.submission_id == subs.id)
            .where(subs.id.in_(chunk), subs.status.in_(sorted(ON_THEIR_WAY)))
        )
        found += [pending_image(r.id, r.sku, r.phash) for r in conn.execute(query)]
    return found


def _published(conn: Connection, near: Callable[[str], bool], copy: HashCopy) -> list[KnownImage]:
    """Published customer photos near enough: those of the copy and those published since,
    then the rows of the matches still published.
    """
    photos, prints = db.customer_photos.c, db.fingerprints.c
    since = select(photos.submission_id).where(photos.approved_at >= copy.since)
    recent = _hashes(conn, prints.submission_id.in_(since))
    found = []
    for chunk in id_chunks(_matching(near, copy.published, recent)):
        query = (
            select(db.customer_photos, prints.phash)
            .join(db.fingerprints, prints.submission_id == photos.submission_id)
            .where(photos.submission_id.in_(chunk))
        )
        rows = conn.execute(query).mappings()
        found += [published_image(mapping.photo_from_row(r), r["phash"]) for r in rows]
    return found


def _matching(near: Callable[[str], bool], *lists: Hashes) -> list[str]:
    """The ids in `lists` whose hash is near, once each, sorted."""
    return sorted({sid for hashes in lists for sid, phash in hashes if near(phash)})


_SCANNING = db.submissions.c.status.in_(sorted(ON_THEIR_WAY - {Status.NEEDS_REVIEW}))
_IN_REVIEW = db.submissions.c.status == Status.NEEDS_REVIEW
