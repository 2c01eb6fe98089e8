"""SqlCatalog: the Catalog port on SQLAlchemy Core, for SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from functools import partial
from typing import TypeVar

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from photogate.adapters.group_commit import GroupCommit
from photogate.adapters.sql import mapping
from photogate.adapters.sql import tables as db
from photogate.adapters.sql.batches import (
    NewSubmission,
    RateEvent,
    SentMark,
    insert_submissions,
    mark_sent,
    record_rate_events,
)
from photogate.adapters.sql.engine import (
    create_blocking_engine,
    create_catalog_engine,
    database_location,
    driver_message,
    id_chunks,
    sqlite_file,
    unusable_file,
)
from photogate.adapters.sql.fingerprints import PublishedHashes, SqlFingerprints
from photogate.adapters.sql.heartbeats import SqlHeartbeats
from photogate.adapters.sql.migrate import require_head, revision_of
from photogate.adapters.sql.moderation import SqlModeration
from photogate.adapters.sql.moves import Move, Since, apply_move
from photogate.adapters.sql.outbox import SqlOutbox
from photogate.adapters.sql.privacy import SqlPrivacy
from photogate.adapters.sql.rate_slots import (
    SlotClaim,
    forget_rate_keys,
    give_back_rate_slot,
    take_rate_slots,
)
from photogate.adapters.sql.review_claims import SqlReviewClaims
from photogate.adapters.sql.stale import stale_query
from photogate.adapters.sql.uploads import SqlUploads
from photogate.clock import Clock, utcnow
from photogate.domain.catalog import (
    CustomerPhoto,
    EmailRecord,
    OutboxMessage,
    Product,
)
from photogate.domain.fingerprint import Fingerprint
from photogate.domain.scan import ScanResult
from photogate.domain.submission import SCANNABLE, AuditEntry, Status, Submission
from photogate.errors import CatalogConflict, ConfigError, StorageUnavailable
from photogate.ports.rate_limits import require_slots
from photogate.settings.database import DatabaseSettings

R = TypeVar("R")

# Waiting for the scanner, as opposed to being scanned or settled. Statuses are bound as their
# plain values: a driver may adapt an Enum by its name.
WAITING = (Status.RECEIVED.value, Status.QUEUED.value)


async def open_sql_catalog(
    url: str, *, clock: Clock = utcnow, pools: DatabaseSettings | None = None
) -> SqlCatalog:
    """A SqlCatalog on `url`, connected once so that a wrong URL fails now, not later, and
    checked to be at the schema this code needs (else a ConfigError says how to migrate it).

    `pools` sizes its two connection pools on a server (PHOTOGATE_DATABASE__*).
    """
    where = database_location(url)
    file = sqlite_file(url)
    if file is not None and not file.exists():
        require_head(None, where)  # connecting would leave an empty file behind: refuse first
    catalog = _sql_catalog(url, clock, pools)
    try:
        require_head(await catalog.schema_revision(), where)
    except BaseException:
        await catalog.aclose()
        raise
    return catalog


def _sql_catalog(url: str, clock: Clock, pools: DatabaseSettings | None) -> SqlCatalog:
    try:
        return SqlCatalog(create_catalog_engine(url, pools), clock=clock, pools=pools)
    except ImportError as exc:
        raise ConfigError(
            f"the database driver {exc.name or ''} is not installed: for PostgreSQL,"
            " pip install 'photogate[postgres]'"
        ) from exc


class SqlCatalog(
    SqlModeration,
    SqlReviewClaims,
    SqlOutbox,
    SqlFingerprints,
    SqlUploads,
    SqlPrivacy,
    SqlHeartbeats,
):
    """The catalog database; every multi-row change happens in one transaction."""

    def __init__(
        self, engine: AsyncEngine, *, clock: Clock = utcnow, pools: DatabaseSettings | None = None
    ) -> None:
        self._engine = engine
        self._clock = clock
        # The hot paths of an upload (its product, the same-file check, the rate limits, its
        # rows, the relay's mark) go through a sync twin in one thread hop each, and the writes
        # are group committed: a burst of uploads costs a few transactions, not a few each.
        url = engine.url.render_as_string(hide_password=False)
        self._where = database_location(url)  # for messages: no password
        self._blocking = create_blocking_engine(url, pools)
        self._new_submissions = GroupCommit(
            self._insert_batch, item_errors=(CatalogConflict, ValueError)
        )
        self._sent_marks = GroupCommit(self._mark_batch)
        self._rate_events = GroupCommit(self._record_rate_batch)
        self._rate_slots = GroupCommit(self._take_slot_batch)
        self._published_hashes = PublishedHashes(clock)

    async def aclose(self) -> None:
        """Close every pooled connection."""
        await self._engine.dispose()
        await asyncio.to_thread(self._blocking.dispose)

    async def ping(self) -> None:
        """Reach the database once; raises StorageUnavailable when it cannot be reached."""
        async with self._read() as conn:
            await conn.execute(select(1))

    async def schema_revision(self) -> str | None:
        """The Alembic revision the database is at (None if never migrated); raises
        StorageUnavailable when it cannot be reached.
        """
        async with self._read() as conn:
            return await conn.run_sync(revision_of)

    # -- products -------------------------------------------------------------------------

    async def upsert_products(self, products: Sequence[Product]) -> None:
        """Insert or update these products by SKU."""
        async with self._write() as conn:
            for product in products:
                values = mapping.product_values(product)
                changed = await conn.execute(
                    update(db.products).where(db.products.c.sku == product.sku).values(values)
                )
                if changed.rowcount == 0:
                    await conn.execute(insert(db.products).values(values))

    async def list_products(self) -> list[Product]:
        """All products, by SKU."""
        async with self._read() as conn:
            rows = await conn.execute(select(db.products).order_by(db.products.c.sku))
            return [mapping.product_from_row(row) for row in rows.mappings()]

    async def get_product(self, sku: str) -> Product | None:
        """One product, or None."""
        query = select(db.products).where(db.products.c.sku == sku)
        row = await self._read_in_thread(lambda conn: conn.execute(query).mappings().first())
        return None if row is None else mapping.product_from_row(row)

    async def list_photos(
        self, sku: str, *, limit: int, offset: int = 0
    ) -> tuple[list[CustomerPhoto], int]:
        """A page of a product's approved photos, newest first, and the total count."""
        of_sku = db.customer_photos.c.sku == sku
        newest_first = (
            db.customer_photos.c.approved_at.desc(),
            db.customer_photos.c.submission_id.desc(),
        )
        page = select(db.customer_photos).where(of_sku).order_by(*newest_first)
        async with self._read() as conn:
            total = await conn.scalar(select(func.count()).where(of_sku))
            rows = await conn.execute(page.limit(limit).offset(offset))
            return [mapping.photo_from_row(row) for row in rows.mappings()], total or 0

    async def get_photo(self, submission_id: str) -> CustomerPhoto | None:
        """The published photo of one submission, or None."""
        query = select(db.customer_photos).where(
            db.customer_photos.c.submission_id == submission_id
        )
        async with self._read() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else mapping.photo_from_row(row)

    async def photo_counts(self) -> dict[str, int]:
        """Number of approved customer photos per SKU."""
        sku = db.customer_photos.c.sku
        async with self._read() as conn:
            rows = await conn.execute(select(sku, func.count()).group_by(sku))
            return {row[0]: row[1] for row in rows}

    # -- submissions ----------------------------------------------------------------------

    async def add_submission(
        self,
        submission: Submission,
        outbox: OutboxMessage,
        fingerprint: Fingerprint | None = None,
        *,
        repeats: Collection[Status] = (),
    ) -> Submission | None:
        """Record a new submission, its "received" audit, queue message and fingerprint at once,
        unless it repeats one in `repeats` (returned; see same_files).

        Group committed with the other uploads of the moment; a row refused by the database
        (CatalogConflict) fails only its own call.
        """
        new = NewSubmission(submission, outbox, fingerprint, frozenset(repeats))
        await self._new_submissions.submit(new)
        return new.earlier

    async def mark_dispatched(self, outbox_id: str, *, queued: str | None = None) -> None:
        """The outbox message is on its queue now; marking it twice keeps the first time.

        `queued` names the submission the message queued: it moves from received to queued
        (unless it has moved on already). Group committed with the relay's other marks.
        """
        await self._sent_marks.submit(SentMark(outbox_id, queued))

    async def _insert_batch(self, batch: Sequence[NewSubmission]) -> None:
        await self._write_in_thread(partial(insert_submissions, batch=batch, now=self._clock()))

    async def _mark_batch(self, batch: Sequence[SentMark]) -> None:
        await self._write_in_thread(partial(mark_sent, marks=batch, now=self._clock()))

    async def get_submission(self, submission_id: str) -> Submission | None:
        """One submission, or None."""
        async with self._read() as conn:
            return await self._load(conn, submission_id)

    async def known_submissions(self, submission_ids: Collection[str]) -> set[str]:
        """Those of `submission_ids` the catalog has a submission for: one query per 500."""
        ids, known = sorted(set(submission_ids)), set[str]()
        async with self._read() as conn:
            for chunk in id_chunks(ids):
                query = select(db.submissions.c.id).where(db.submissions.c.id.in_(chunk))
                known.update(row.id for row in await conn.execute(query))
        return known

    async def transition(
        self,
        submission_id: str,
        *,
        allowed_from: Collection[Status],
        to: Status,
        actor: str,
        reason: str | None = None,
        scan: ScanResult | None = None,
    ) -> Submission | None:
        """Move the submission to `to` only if it is in `allowed_from`, with an audit entry."""
        changes = {} if scan is None else {"scan": mapping.scan_json(scan)}
        allowed = frozenset(allowed_from)
        move = Move(submission_id, allowed, to, actor, reason, self._clock(), changes)
        async with self._write() as conn:
            if not await apply_move(conn, move):
                return None
            return await self._load(conn, submission_id)

    async def approve(
        self,
        submission_id: str,
        *,
        photo: CustomerPhoto,
        email: EmailRecord,
        outbox: OutboxMessage,
        actor: str,
        scan: ScanResult | None,
        allowed_from: Collection[Status] = SCANNABLE,
        reason: str | None = None,
    ) -> bool:
        """In one transaction: approve, publish `photo`, owe `email` and queue `outbox`."""
        at = self._clock()
        changes: mapping.Values = {"published_at": photo.approved_at, "caption": photo.caption}
        if scan is not None:
            changes["scan"] = mapping.scan_json(scan)
        allowed = frozenset(allowed_from)
        move = Move(submission_id, allowed, Status.APPROVED, actor, reason, at, changes)
        async with self._write() as conn:
            if not await apply_move(conn, move):
                return False
            await conn.execute(insert(db.customer_photos).values(mapping.photo_values(photo)))
            await conn.execute(insert(db.emails).values(mapping.email_values(email, at)))
            await self._queue(conn, outbox)
        return True

    async def queue_position(self, submission_id: str) -> int | None:
        """How many submissions waiting to be scanned were received before this one."""
        this = select(db.submissions.c.status, db.submissions.c.created_at)
        async with self._read() as conn:
            row = (await conn.execute(this.where(db.submissions.c.id == submission_id))).first()
            if row is None or row.status not in WAITING:
                return None
            ahead = select(func.count()).where(
                db.submissions.c.status.in_(WAITING), db.submissions.c.created_at < row.created_at
            )
            return await conn.scalar(ahead) or 0

    async def audit_trail(self, submission_id: str) -> list[AuditEntry]:
        """Every recorded state change of the submission, oldest first."""
        query = select(db.audit_log).where(db.audit_log.c.submission_id == submission_id)
        async with self._read() as conn:
            rows = await conn.execute(query.order_by(db.audit_log.c.id))
            return [mapping.audit_from_row(row) for row in rows.mappings()]

    async def stale_submissions(self, older_than: datetime, limit: int) -> list[Submission]:
        """Scannable submissions unchanged since before `older_than`, their messages all sent."""
        async with self._read() as conn:
            rows = await conn.execute(stale_query(older_than, limit))
            return [mapping.submission_from_row(row) for row in rows.mappings()]

    async def note_scan_retry(self, submission_id: str) -> bool:
        """Move a scanning submission's updated_at to now; False if it is not scanning."""
        row = db.submissions.c
        scanning = (row.id == submission_id) & (row.status == Status.SCANNING.value)
        async with self._write() as conn:
            noted = await conn.execute(
                update(db.submissions).where(scanning).values(updated_at=self._clock())
            )
        return noted.rowcount == 1

    async def requeue(
        self,
        submission_id: str,
        *,
        outbox: OutboxMessage,
        actor: str,
        reason: str,
        expected_updated_at: datetime | None,
    ) -> Submission | None:
        """Move a scannable submission unchanged since `expected_updated_at` to queued, at once
        with its new outbox message; None if it moved on meanwhile.
        """
        guard = Since(expected_updated_at)
        at = self._clock()
        move = Move(submission_id, SCANNABLE, Status.QUEUED, actor, reason, at, unchanged=guard)
        async with self._write() as conn:
            if not await apply_move(conn, move):
                return None
            await self._queue(conn, outbox)
            return await self._load(conn, submission_id)

    # -- rate limits ----------------------------------------------------------------------

    async def record_rate_event(
        self, bucket: str, key: str, at: datetime, *, prune_before: datetime
    ) -> None:
        """Count one event of `key` in `bucket`; forget the bucket's ones before `prune_before`.

        Group committed with the other events of the moment.
        """
        await self._rate_events.submit(RateEvent(bucket, key, at, prune_before))

    async def count_rate_events(
        self, bucket: str, key: str, *, since: datetime
    ) -> tuple[int, datetime | None]:
        """How many events of `key` in `bucket` happened at or after `since`, and the oldest."""
        events = db.rate_events.c
        recent = (events.bucket == bucket) & (events.key == key) & (events.at >= since)
        query = select(func.count(), func.min(events.at)).where(recent)
        count, oldest = await self._read_in_thread(lambda conn: conn.execute(query).one())
        # min() keeps the column's type, so the oldest comes back as an aware UTC datetime.
        return int(count), oldest

    async def take_rate_slot(
        self,
        bucket: str,
        key: str,
        at: datetime,
        *,
        since: datetime,
        max_events: int,
        prune_before: datetime,
    ) -> datetime | None:
        """Count one event of `key` if fewer than `max_events` happened since `since`; else
        return the oldest of them.

        Atomic per key across processes (see rate_slots); group committed with the other
        slots of the moment.
        """
        require_slots(max_events)
        claim = SlotClaim(RateEvent(bucket, key, at, prune_before), since, max_events)
        await self._rate_slots.submit(claim)
        return claim.refused_since

    async def give_back_rate_slot(self, bucket: str, key: str, at: datetime) -> None:
        """Forget one event of `key` in `bucket` at `at`, if there is one."""
        await self._write_in_thread(partial(give_back_rate_slot, bucket=bucket, key=key, at=at))

    async def forget_rate_keys(self, bucket: str, keys: Collection[str]) -> None:
        """Forget every event of these keys in `bucket`."""
        if keys:
            await self._write_in_thread(partial(forget_rate_keys, bucket=bucket, keys=keys))

    async def _record_rate_batch(self, batch: Sequence[RateEvent]) -> None:
        await self._write_in_thread(partial(record_rate_events, events=batch))

    async def _take_slot_batch(self, batch: Sequence[SlotClaim]) -> None:
        await self._write_in_thread(partial(take_rate_slots, claims=batch))

    # -- plumbing -------------------------------------------------------------------------

    async def _queue(self, conn: AsyncConnection, message: OutboxMessage) -> None:
        await conn.execute(insert(db.outbox).values(mapping.outbox_values(message, self._clock())))

    async def _load(self, conn: AsyncConnection, submission_id: str) -> Submission | None:
        rows = await conn.execute(
            select(db.submissions).where(db.submissions.c.id == submission_id)
        )
        row = rows.mappings().first()
        return None if row is None else mapping.submission_from_row(row)

    async def _read_in_thread(self, work: Callable[[Connection], R]) -> R:
        def run() -> R:
            with self._blocking.connect() as conn:
                return work(conn)

        with _translated_errors(self._where):
            return await asyncio.to_thread(run)

    async def _write_in_thread(self, work: Callable[[Connection], None]) -> None:
        def run() -> None:
            with self._blocking.begin() as conn:
                work(conn)

        with _translated_errors(self._where):
            await asyncio.to_thread(run)

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        with _translated_errors(self._where):
            async with self._engine.connect() as conn:
                yield conn

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        with _translated_errors(self._where):
            async with self._engine.begin() as conn:
                yield conn


@contextmanager
def _translated_errors(where: str) -> Iterator[None]:
    """Database failures as photogate errors: broken rules are permanent, outages transient;
    `where` (the database, without password) names a SQLite file that is not a database.
    """
    try:
        yield
    except IntegrityError as exc:
        raise CatalogConflict(f"the catalog refused the write: {exc.orig}") from exc
    except OperationalError as exc:
        raise StorageUnavailable(
            f"the catalog database is unavailable: {driver_message(exc)}"
        ) from exc
    except DatabaseError as exc:
        raise (unusable_file(exc, where) or exc) from exc
    except PoolTimeout as exc:
        # Every pooled connection stayed busy for PHOTOGATE_DATABASE__POOL_TIMEOUT_S: a passing
        # overload, retried like an outage.
        raise StorageUnavailable(f"the catalog database is busy: {exc}") from exc
    except StatementError as exc:
        # A value our column types refused (a naive datetime): the caller's bug, as it was raised.
        if isinstance(exc.orig, ValueError):
            raise exc.orig from exc
        raise
