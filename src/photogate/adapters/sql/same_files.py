"""Repeats set aside as new submissions are written: of the same file sent for the same product
twice at once (a double click), exactly one is recorded.

Run inside insert_submissions' transaction, so checking and writing are one step. What keeps two
transactions from both finding no earlier copy is a lock held from before the check until the
commit:

- SQLite: the database's one write lock, taken first (locks.SQLITE_WRITE_LOCK).
- PostgreSQL: a transaction-scoped advisory lock per product and file, taken first, in key
  order. Under READ COMMITTED the check after the lock sees what the previous holder
  committed.

Within one batch, a later upload of a file an earlier one of the batch records is its repeat.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Select, and_, func, or_, select

from photogate.adapters.sql import mapping
from photogate.adapters.sql import tables as db
from photogate.adapters.sql.locks import SQLITE_WRITE_LOCK, advisory_lock_id
from photogate.domain.submission import Status, Submission

if TYPE_CHECKING:
    from photogate.adapters.sql.batches import NewSubmission

_Key = tuple[str, str]  # (sku, sha256)


def set_aside_repeats(conn: Connection, batch: Sequence[NewSubmission]) -> list[NewSubmission]:
    """The new submissions to write: each one repeating an earlier submission in its `repeats`
    gets that one (the oldest) as its `earlier` and is left out.
    """
    checked = [new for new in batch if _key(new) is not None]
    if not checked:
        return list(batch)
    keys = {key for new in checked if (key := _key(new)) is not None}
    _lock(conn, keys)
    stored = _stored_copies(conn, keys)
    recorded: dict[_Key, list[Submission]] = {}
    for new in batch:
        key = _key(new)
        if key is None:
            continue
        copies = stored.get(key, []) + recorded.get(key, [])
        new.earlier = next((s for s in copies if s.status in new.repeats), None)
        if new.earlier is None:
            recorded.setdefault(key, []).append(new.submission)
    return [new for new in batch if new.earlier is None]


def first_copy(
    conn: Connection, sku: str, sha256: str, among: Collection[Status], *, excluding: str
) -> Submission | None:
    """Under the same lock, the oldest stored submission of `sku` and `sha256` in `among`,
    other than `excluding` (a direct upload being completed is checked against the others).
    """
    key = (sku, sha256)
    _lock(conn, {key})
    copies = _stored_copies(conn, {key}).get(key, [])
    return next((s for s in copies if s.status in among and s.id != excluding), None)


def _key(new: NewSubmission) -> _Key | None:
    """What makes two submissions copies of one another, if `new` is to be checked."""
    if new.fingerprint is None or not new.repeats:
        return None
    return new.submission.sku, new.fingerprint.sha256


def _lock(conn: Connection, keys: set[_Key]) -> None:
    if conn.dialect.name == "sqlite":
        conn.execute(SQLITE_WRITE_LOCK)
        return
    for lock in sorted(advisory_lock_id("same-file", *key) for key in keys):
        conn.execute(select(func.pg_advisory_xact_lock(lock)))


def _stored_copies(conn: Connection, keys: set[_Key]) -> dict[_Key, list[Submission]]:
    """The stored submissions of each product and file, oldest first."""
    copies: dict[_Key, list[Submission]] = {}
    for row in conn.execute(copies_query(keys)).mappings():
        copies.setdefault((row["sku"], row["same_sha256"]), []).append(
            mapping.submission_from_row(row)
        )
    return copies


def copies_query(keys: Collection[_Key]) -> Select[Any]:
    """The submissions of these products and files, each row with its file's SHA-256."""
    prints, subs = db.fingerprints.c, db.submissions.c
    # One (sku AND sha256) term per key: SQLite then looks each up in the fingerprints index,
    # where a row-value IN of several keys made it scan every submission.
    same = or_(*(and_(prints.sku == sku, prints.sha256 == sha) for sku, sha in sorted(keys)))
    return (
        select(db.submissions, prints.sha256.label("same_sha256"))
        .join(db.fingerprints, prints.submission_id == subs.id)
        .where(same)
        .order_by(subs.created_at, subs.id)
    )
