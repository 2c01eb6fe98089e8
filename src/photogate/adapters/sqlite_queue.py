"""SqliteMessageQueue: a MessageQueue in one SQLite file, shared by processes on one machine."""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from photogate.adapters.atomic_files import create_private
from photogate.adapters.fifo_doorbell import FifoDoorbell
from photogate.adapters.group_commit import GroupCommit
from photogate.errors import ReceiptExpired
from photogate.ports.queue import QueueMessage

# Visible messages are taken in the order they became visible, ties by send order: the index
# answers the receive query without a sort, and a redelivered message queues up behind the
# ones that were already waiting instead of jumping ahead of them.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    queue TEXT NOT NULL,
    body TEXT NOT NULL,
    inserted_at REAL NOT NULL,
    visible_at REAL NOT NULL,
    dequeue_count INTEGER NOT NULL DEFAULT 0,
    pop_receipt TEXT
);
CREATE INDEX IF NOT EXISTS messages_by_visibility ON messages (queue, visible_at, seq);
"""

_SELECT_VISIBLE = """
SELECT seq, id, body, inserted_at, dequeue_count FROM messages
WHERE queue = ? AND visible_at <= ? ORDER BY visible_at, seq LIMIT ?
"""

_MARK_RECEIVED = """
UPDATE messages SET visible_at = ?, dequeue_count = dequeue_count + 1, pop_receipt = ?
WHERE seq = ?
"""

_BUSY_TIMEOUT_S = 30.0


class SqliteMessageQueue:
    """Named queues in a SQLite file; every receive, delete and update is one write transaction.

    `clock` returns wall-clock seconds; it must agree across the processes sharing the file.
    A send rings a doorbell (a named pipe next to the file) that wakes idle consumers at once.
    """

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self._path = path
        self._clock = clock
        self._idle: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._schema_ready = False
        self._closed = False
        self._doorbell = FifoDoorbell(path.with_name(f"{path.name}.wake"))
        # Sends that arrive together (a burst of uploads) share one transaction.
        self._sends = GroupCommit(self._send_batch)

    async def send(self, queue: str, body: str, *, delay: float = 0.0) -> str:
        """Enqueue `body`, invisible for `delay` seconds; returns the message id."""
        outgoing = _Outgoing(str(uuid.uuid4()), queue, body, delay)
        await self._sends.submit(outgoing)
        return outgoing.id

    async def receive(
        self, queue: str, *, max_messages: int = 1, visibility_timeout: float = 30.0
    ) -> list[QueueMessage]:
        """Take up to `max_messages` visible messages, oldest-visible first, and hide them."""
        self._doorbell.listen(queue)  # from now on a send wakes this process's next wait
        return await asyncio.to_thread(self._receive, queue, max_messages, visibility_timeout)

    async def delete(self, queue: str, message: QueueMessage) -> None:
        """Remove a received message; raises ReceiptExpired if its receipt is stale."""
        await asyncio.to_thread(self._delete, queue, message)

    async def update_visibility(
        self, queue: str, message: QueueMessage, visibility_timeout: float
    ) -> QueueMessage:
        """Hide the message for `visibility_timeout` s from now; returns it with a new receipt."""
        return await asyncio.to_thread(self._update_visibility, queue, message, visibility_timeout)

    async def count(self, queue: str) -> int:
        """Number of messages in the queue, visible or not."""
        return await asyncio.to_thread(self._count, queue)

    async def peek(self, queue: str, *, max_messages: int = 1) -> list[QueueMessage]:
        """Up to `max_messages` visible messages, oldest-visible first, left as they are."""
        return await asyncio.to_thread(self._peek, queue, max_messages)

    async def wait_for_messages(self, queue: str, seconds: float) -> bool:
        """Wait up to `seconds` for a send to `queue` from any process; True if one came."""
        return await self._doorbell.wait(queue, seconds)

    def close(self) -> None:
        """Close the idle connections; connections in use close when their call returns."""
        self._doorbell.close()
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    async def _send_batch(self, batch: Sequence[_Outgoing]) -> None:
        await asyncio.to_thread(self._insert, batch)
        for queue in {outgoing.queue for outgoing in batch if outgoing.delay <= 0}:
            self._doorbell.ring(queue)

    def _insert(self, batch: Sequence[_Outgoing]) -> None:
        now = self._clock()
        rows = [(o.id, o.queue, o.body, now, now + o.delay) for o in batch]
        with self._connection() as db, _write_transaction(db):
            db.executemany(
                "INSERT INTO messages (id, queue, body, inserted_at, visible_at)"
                " VALUES (?, ?, ?, ?, ?)",
                rows,
            )

    def _receive(
        self, queue: str, max_messages: int, visibility_timeout: float
    ) -> list[QueueMessage]:
        now = self._clock()
        with self._connection() as db, _write_transaction(db):
            rows = db.execute(_SELECT_VISIBLE, (queue, now, max_messages)).fetchall()
            messages = [_received(row) for row in rows]
            db.executemany(
                _MARK_RECEIVED,
                [
                    (now + visibility_timeout, message.pop_receipt, row[0])
                    for row, message in zip(rows, messages, strict=True)
                ],
            )
        return messages

    def _delete(self, queue: str, message: QueueMessage) -> None:
        with self._connection() as db, _write_transaction(db):
            cursor = db.execute(
                "DELETE FROM messages WHERE queue = ? AND id = ? AND pop_receipt = ?",
                (queue, message.id, message.pop_receipt),
            )
            _require_one_row(cursor, message)

    def _update_visibility(
        self, queue: str, message: QueueMessage, visibility_timeout: float
    ) -> QueueMessage:
        renewed = replace(message, pop_receipt=_new_receipt())
        with self._connection() as db, _write_transaction(db):
            cursor = db.execute(
                "UPDATE messages SET visible_at = ?, pop_receipt = ?"
                " WHERE queue = ? AND id = ? AND pop_receipt = ?",
                (
                    self._clock() + visibility_timeout,
                    renewed.pop_receipt,
                    queue,
                    message.id,
                    message.pop_receipt,
                ),
            )
            _require_one_row(cursor, message)
        if visibility_timeout <= 0:
            self._doorbell.ring(queue)
        return renewed

    def _peek(self, queue: str, max_messages: int) -> list[QueueMessage]:
        with self._connection() as db:
            rows = db.execute(_SELECT_VISIBLE, (queue, self._clock(), max_messages)).fetchall()
        return [_peeked(row) for row in rows]

    def _count(self, queue: str) -> int:
        with self._connection() as db:
            (number,) = db.execute(
                "SELECT COUNT(*) FROM messages WHERE queue = ?", (queue,)
            ).fetchone()
        return int(number)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """Lend a connection to one thread at a time, then keep it for the next call."""
        connection = self._take_idle() or self._open()
        try:
            yield connection
        finally:
            self._give_back(connection)

    def _take_idle(self) -> sqlite3.Connection | None:
        with self._lock:
            if self._closed:
                raise RuntimeError(f"the queue at {self._path} is closed")
            return self._idle.pop() if self._idle else None

    def _give_back(self, connection: sqlite3.Connection) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append(connection)
                return
        connection.close()

    def _open(self) -> sqlite3.Connection:
        # check_same_thread=False because the pool hands a connection to whichever worker
        # thread asks next; the pool guarantees only one thread uses it at a time.
        # isolation_level=None leaves transactions to us (BEGIN IMMEDIATE below); `timeout`
        # is SQLite's busy_timeout, how long to wait for another process's write lock.
        if not self._schema_ready:  # messages name submissions: a new file is our user's only
            create_private(self._path)
        connection = sqlite3.connect(
            self._path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        if not self._schema_ready:  # two threads racing here both run idempotent DDL
            _prepare_file(connection)
            self._schema_ready = True
        return connection


@contextmanager
def _write_transaction(db: sqlite3.Connection) -> Iterator[None]:
    """Take the write lock up front so two processes never read the same visible rows."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _prepare_file(db: sqlite3.Connection) -> None:
    # WAL is a property of the file and switching needs an exclusive lock, so only the first
    # opener switches; later ones (maybe while others are working) see it is already set.
    (mode,) = db.execute("PRAGMA journal_mode").fetchone()
    if mode != "wal":
        db.execute("PRAGMA journal_mode = WAL")
    db.executescript(_SCHEMA)


@dataclass(frozen=True)
class _Outgoing:
    """A message on its way in: its id is chosen before the batch is written."""

    id: str
    queue: str
    body: str
    delay: float


def _received(row: tuple[Any, ...]) -> QueueMessage:
    _seq, message_id, body, inserted_at, dequeue_count = row
    return QueueMessage(
        id=message_id,
        body=body,
        pop_receipt=_new_receipt(),
        dequeue_count=dequeue_count + 1,
        inserted_at=datetime.fromtimestamp(inserted_at, tz=UTC),
    )


def _peeked(row: tuple[Any, ...]) -> QueueMessage:
    _seq, message_id, body, inserted_at, dequeue_count = row
    inserted = datetime.fromtimestamp(inserted_at, tz=UTC)
    return QueueMessage(message_id, body, "", dequeue_count, inserted)


def _require_one_row(cursor: sqlite3.Cursor, message: QueueMessage) -> None:
    if cursor.rowcount != 1:
        raise ReceiptExpired(
            f"message {message.id} was received again or deleted since this receipt was issued;"
            " drop it, its new owner will settle it"
        )


def _new_receipt() -> str:
    return secrets.token_urlsafe(16)
