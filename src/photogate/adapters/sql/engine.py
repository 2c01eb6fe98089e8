"""Engines for the catalog: SQLite tuned for several processes, and sync twins of async URLs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from photogate.adapters.atomic_files import create_private
from photogate.errors import ConfigError, StorageUnavailable
from photogate.settings.database import DatabaseSettings

# Migrations run synchronously, so each async driver maps to a sync driver of the same database.
_SYNC_DRIVERS = {
    "sqlite+aiosqlite": "sqlite+pysqlite",
    "postgresql+asyncpg": "postgresql+psycopg",
    "postgresql+psycopg_async": "postgresql+psycopg",
}

# SQLite's codes for a file that is not a database at all, or one whose pages are damaged.
_UNUSABLE_FILE = frozenset({"SQLITE_NOTADB", "SQLITE_CORRUPT"})

# Web and worker processes share one SQLite file: busy_timeout (set first, so the others wait
# too) makes a writer wait for the lock instead of failing at once, and WAL lets readers run
# beside the writer. SQLite leaves foreign keys off unless each connection asks.
_SQLITE_PRAGMAS = (
    "PRAGMA busy_timeout=10000",
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
)


# Ids bound in one IN (...): well under SQLite's limit of parameters in one statement.
IDS_PER_QUERY: Final = 500


def id_chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    """`ids` in runs of at most IDS_PER_QUERY, one IN (...) query each."""
    for start in range(0, len(ids), IDS_PER_QUERY):
        yield ids[start : start + IDS_PER_QUERY]


def create_catalog_engine(url: str, pools: DatabaseSettings | None = None) -> AsyncEngine:
    """An async engine for `url`; SQLite connections get WAL, foreign keys and a busy timeout,
    a server's pool is sized and kept as `pools` says (the defaults if None).
    """
    engine = create_async_engine(url, **pool_options(url, pools))
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _apply_sqlite_pragmas)
    return engine


def sync_url(url: str) -> URL:
    """The same database as `url`, reached through a synchronous driver."""
    parsed = make_url(url)
    return parsed.set(drivername=_SYNC_DRIVERS.get(parsed.drivername, parsed.drivername))


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite `url` names; None for a server or an in-memory database."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return None if database.startswith("file:") else Path(database)


def database_location(url: str) -> str:
    """Where `url` points, for messages: a SQLite file's path, else the URL without password."""
    file = sqlite_file(url)
    return str(file) if file is not None else make_url(url).render_as_string(hide_password=True)


def driver_message(exc: DBAPIError) -> str:
    """What the database driver said, on one line (psycopg adds hints on lines of their own)."""
    return " ".join(str(exc.orig).split())


def unusable_file(exc: DBAPIError, where: str) -> StorageUnavailable | None:
    """The error for a SQLite catalog file (at `where`) that is not a database or is damaged,
    naming the file and what to do; None for any other database error.

    Transient by type on purpose: a worker meeting it mid-delivery puts the message back at no
    cost, so nothing is failed for a file the operator is about to restore.
    """
    if getattr(exc.orig, "sqlite_errorname", None) not in _UNUSABLE_FILE:
        return None
    return StorageUnavailable(
        f"the catalog database at {where} is not a usable SQLite database"
        f" ({driver_message(exc)}): restore it from a backup, or move it away and run"
        " `photogate db upgrade` to start an empty one"
    )


def create_blocking_engine(url: str, pools: DatabaseSettings | None = None) -> Engine:
    """The sync twin of the catalog engine, for work done in one hop to a thread.

    Each statement through the async engine is a round trip between the event loop and the
    driver's thread; a batch of them run here costs one. SQLite connections get the same pragmas,
    a server's pool its own `pools`-sized pool.
    """
    blocking_url = sync_url(url)
    engine = create_engine(blocking_url, **pool_options(blocking_url, pools))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _apply_sqlite_pragmas)
    return engine


def pool_options(url: str | URL, pools: DatabaseSettings | None = None) -> dict[str, Any]:
    """The pool arguments of create_engine for `url`: none for SQLite, `pools` for a server.

    Every connection is pinged when taken from the pool, so one the server closed (a restart,
    a failover) is replaced instead of failing the caller's first statement.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return {}  # a local file: no server connection limit to share, no network to drop it
    pools = pools or DatabaseSettings()
    options: dict[str, Any] = {
        "pool_size": pools.pool_size,
        "max_overflow": pools.max_overflow,
        "pool_timeout": pools.pool_timeout_s,
        "pool_recycle": pools.pool_recycle_s,
        "pool_pre_ping": True,
    }
    if pools.pgbouncer:
        options["connect_args"] = _without_prepared_statements(parsed)
    return options


def _without_prepared_statements(url: URL) -> dict[str, Any]:
    # A transaction-mode PgBouncer gives each transaction any server connection, where a
    # statement psycopg prepared on another one is unknown.
    if not url.get_driver_name().startswith("psycopg"):
        raise ConfigError(
            "PHOTOGATE_DATABASE__PGBOUNCER needs the psycopg driver"
            f" (postgresql+psycopg://...), not {url.drivername}"
        )
    return {"prepare_threshold": None}


def create_migration_engine(url: str) -> Engine:
    """A sync engine whose transactions take SQLite's write lock at BEGIN.

    Two processes upgrading one fresh file then run one after the other: the second waits,
    sees the schema at head and does nothing.
    """
    parsed = sync_url(url)
    engine = create_engine(parsed)
    if engine.dialect.name == "sqlite":
        _ensure_private_file(parsed)
        event.listen(engine, "connect", _sqlite_manual_transactions)
        event.listen(engine, "begin", _begin_immediate)
    return engine


def _apply_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in _SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _sqlite_manual_transactions(dbapi_connection: Any, record: Any) -> None:
    # pysqlite would otherwise run DDL outside any transaction; we emit BEGIN ourselves.
    _apply_sqlite_pragmas(dbapi_connection, record)
    dbapi_connection.isolation_level = None


def _begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _ensure_private_file(url: URL) -> None:
    """A new catalog file is created for our user only: it holds customers' names and
    addresses. One that exists is left as its owner set it.
    """
    file = sqlite_file(url.render_as_string(hide_password=False))
    if file is not None:
        create_private(file)
