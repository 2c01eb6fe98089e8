"""A backlog seeded in bulk: real queued submissions, as intake and the outbox relay leave them.

Each seeded submission has what an accepted upload has once its outbox message went out: a
distinct original in quarantine, its submissions row (status queued), the audit entries
(received by the customer, queued by the outbox), a dispatched outbox row, a fingerprint
row, and its scan message in the SQLite queue. Rows are built with the SQL adapter's own
tables and mapping functions; they are inserted in batches (one transaction each) because
one transaction per upload would take minutes for 100,000 of them.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, insert

from benchmarks._harness import SKU
from photogate.adapters.sql import mapping
from photogate.adapters.sql import tables as db
from photogate.adapters.sqlite_queue import SqliteMessageQueue
from photogate.domain.catalog import OutboxMessage
from photogate.domain.licence import CURRENT
from photogate.domain.submission import AuditEntry, Status, Submission, new_id
from photogate.intake.fingerprint import perceptual_hash
from photogate.messages import SCAN_QUEUE, scan_request
from photogate.testing import samples

BATCH = 2000
ORIGINAL_SIZE = (96, 72)  # small originals: 100,000 of them must fit on disk

Rows = dict[str, list[dict[str, Any]]]
# The state changes intake and the outbox relay record for an upload, and who made them.
_AUDIT = ((None, Status.RECEIVED, "customer"), (Status.RECEIVED, Status.QUEUED, "outbox"))
_SEND = "INSERT INTO messages (id, queue, body, inserted_at, visible_at) VALUES (?, ?, ?, ?, ?)"


@dataclass(frozen=True)
class Original:
    """The bytes of one seeded original and their fingerprint."""

    data: bytes
    sha256: str
    phash: str


def seed_backlog(
    data_dir: Path, count: int, *, progress: Callable[[int], object] = lambda _: None
) -> int:
    """Add `count` queued submissions (and their scan messages) under `data_dir`; calls
    `progress` with the number seeded so far after each batch. Returns the queue's depth.
    """
    base = samples.clean_jpeg(*ORIGINAL_SIZE, seed=7)
    phash = perceptual_hash(base)  # every copy shows the same picture
    engine = create_engine(f"sqlite:///{data_dir / 'catalog.sqlite3'}")
    queue_path = data_dir / "queue.sqlite3"
    _create_queue(queue_path)
    try:
        for done, numbers in _batches(count):
            originals = [_original(base, phash, number) for number in numbers]
            submissions = [_store_original(data_dir, o) for o in originals]
            with engine.begin() as conn:
                _insert(conn, _catalog_rows(submissions, originals))
            _enqueue(queue_path, [s.id for s in submissions])
            progress(done)
    finally:
        engine.dispose()
    return queue_depth(queue_path)


def queue_depth(queue_path: Path) -> int:
    """How many scan messages the SQLite queue holds."""
    with closing(sqlite3.connect(queue_path)) as conn:
        row = conn.execute("SELECT count(*) FROM messages WHERE queue = ?", (SCAN_QUEUE,))
        return int(row.fetchone()[0])


def _create_queue(path: Path) -> None:
    """Let the adapter create its file and schema (WAL, indexes) as the processes will."""
    queue = SqliteMessageQueue(path)
    try:
        asyncio.run(queue.count(SCAN_QUEUE))
    finally:
        queue.close()


def _batches(count: int) -> Iterator[tuple[int, range]]:
    for start in range(0, count, BATCH):
        end = min(count, start + BATCH)
        yield end, range(start, end)


def _original(base: bytes, phash: str, number: int) -> Original:
    """`base` with a comment naming `number`: the same pixels, a distinct file."""
    comment = f"backlog photo {number}".encode()
    data = base[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + base[2:]
    return Original(data, hashlib.sha256(data).hexdigest(), phash)


def _store_original(data_dir: Path, original: Original) -> Submission:
    submission_id, now = new_id(), datetime.now(UTC)
    blob = f"{submission_id}/original.jpeg"
    path = data_dir / "blobs" / "quarantine" / blob
    path.parent.mkdir(parents=True)
    path.write_bytes(original.data)
    return Submission(
        id=submission_id,
        sku=SKU,
        email=f"backlog-{submission_id[:8]}@example.com",
        display_name="Backlog",
        caption="",
        original_blob=blob,
        content_type="image/jpeg",
        size_bytes=len(original.data),
        width=ORIGINAL_SIZE[0],
        height=ORIGINAL_SIZE[1],
        created_at=now,
        consent_at=now,
        status=Status.QUEUED,
        updated_at=now,
        licence_version=CURRENT,
    )


def _catalog_rows(submissions: list[Submission], originals: list[Original]) -> Rows:
    rows: Rows = {"submissions": [], "audit_log": [], "outbox": [], "fingerprints": []}
    for submission, original in zip(submissions, originals, strict=True):
        at, sid = submission.created_at, submission.id
        rows["submissions"].append(mapping.submission_values(submission))
        rows["audit_log"] += [
            mapping.audit_values(AuditEntry(sid, None, Status.RECEIVED, "customer", None, at)),
            mapping.audit_values(
                AuditEntry(sid, Status.RECEIVED, Status.QUEUED, "outbox", None, at)
            ),
        ]
        outbox = OutboxMessage(new_id(), SCAN_QUEUE, scan_request(sid), sid)
        rows["outbox"].append({**mapping.outbox_values(outbox, at), "dispatched_at": at})
        prints = {"sha256": original.sha256, "phash": original.phash}
        rows["fingerprints"].append({"submission_id": sid, "sku": SKU, **prints})
    return rows


def _insert(conn: Connection, rows: Rows) -> None:
    for table in ("submissions", "audit_log", "outbox", "fingerprints"):
        conn.execute(insert(db.metadata.tables[table]), rows[table])


def _enqueue(queue_path: Path, submission_ids: list[str]) -> None:
    """The scan messages, in the adapter's table, as its send() writes them."""
    now = datetime.now(UTC).timestamp()
    rows = [(str(uuid.uuid4()), SCAN_QUEUE, scan_request(s), now, now) for s in submission_ids]
    with closing(sqlite3.connect(queue_path)) as conn, conn:
        conn.executemany(_SEND, rows)
