"""The SQL catalog's plumbing: SQLite connection settings, sync URLs, migrations and errors."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy import QueuePool, text
from sqlalchemy.ext.asyncio import create_async_engine

from photogate.adapters.sql.catalog import SqlCatalog, open_sql_catalog
from photogate.adapters.sql.engine import (
    create_blocking_engine,
    create_catalog_engine,
    pool_options,
    sync_url,
)
from photogate.adapters.sql.migrate import current_revision, head_revision, upgrade
from photogate.errors import ConfigError, StorageUnavailable
from photogate.settings import DatabaseSettings, load_settings

SERVER_URL = "postgresql+psycopg://u@127.0.0.1:5432/db"


async def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    """Every async SQLite connection runs in WAL mode, enforces foreign keys and waits for locks."""
    engine = create_catalog_engine(f"sqlite+aiosqlite:///{tmp_path / 'c.sqlite3'}")
    try:
        async with engine.connect() as conn:
            pragmas = [
                await conn.scalar(text(f"PRAGMA {name}"))
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            ]
    finally:
        await engine.dispose()
    assert pragmas == ["wal", 1, 10000]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite+aiosqlite:////var/c.sqlite3", "sqlite+pysqlite:////var/c.sqlite3"),
        ("postgresql+asyncpg://u:p%40ss@h/db", "postgresql+psycopg://u:p%40ss@h/db"),
        ("postgresql+psycopg://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("sqlite:///relative.db", "sqlite:///relative.db"),
    ],
)
def test_sync_url_swaps_async_drivers_only(url: str, expected: str) -> None:
    """sync_url keeps the database and credentials and swaps only an async driver for a sync one."""
    assert sync_url(url).render_as_string(hide_password=False) == expected


def test_upgrade_creates_the_database_directory_and_reaches_head(tmp_path: Path) -> None:
    """Upgrading a SQLite URL under a missing directory creates it and lands on the head."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'data' / 'catalog.sqlite3'}"
    assert current_revision(url) is None
    upgrade(url)
    assert current_revision(url) == head_revision()


async def test_an_unreachable_database_fails_at_open_with_a_transient_error() -> None:
    """open_sql_catalog on a port nobody listens on raises StorageUnavailable at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(StorageUnavailable, match="unavailable"):
        await open_sql_catalog(f"postgresql+psycopg://nobody@127.0.0.1:{port}/none")


def test_a_server_pool_is_small_fixed_pinged_and_recycled_by_default() -> None:
    """By default each PostgreSQL pool holds 2 connections, no overflow, pings before use."""
    assert pool_options(SERVER_URL) == {
        "pool_size": 2,
        "max_overflow": 0,
        "pool_timeout": 10.0,
        "pool_recycle": 240,
        "pool_pre_ping": True,
    }


def test_both_engines_get_the_configured_pool() -> None:
    """The async engine and its sync twin are each sized as PHOTOGATE_DATABASE__* say."""
    pools = DatabaseSettings(pool_size=3, max_overflow=1, pool_timeout_s=2.5, pool_recycle_s=60)
    engines = [create_catalog_engine(SERVER_URL, pools).sync_engine]
    engines.append(create_blocking_engine(SERVER_URL, pools))
    for engine in engines:
        pool = engine.pool
        assert isinstance(pool, QueuePool)
        assert (pool.size(), pool._max_overflow, pool.timeout()) == (3, 1, 2.5)
        assert (pool._recycle, pool._pre_ping) == (60, True)
        engine.dispose()


def test_sqlite_keeps_its_own_pool_whatever_the_settings() -> None:
    """Pool settings are for a server's connection limit; a local SQLite file ignores them."""
    assert pool_options("sqlite+aiosqlite:////var/c.sqlite3", DatabaseSettings(pool_size=1)) == {}


def test_behind_pgbouncer_psycopg_prepares_no_statements() -> None:
    """PHOTOGATE_DATABASE__PGBOUNCER turns psycopg's server-side prepared statements off."""
    options = pool_options(SERVER_URL, DatabaseSettings(pgbouncer=True))
    assert options["connect_args"] == {"prepare_threshold": None}


def test_pgbouncer_with_another_driver_is_refused_naming_the_setting() -> None:
    """Only psycopg is told how to work behind PgBouncer; asyncpg is refused, not left broken."""
    with pytest.raises(ConfigError, match="PHOTOGATE_DATABASE__PGBOUNCER"):
        pool_options("postgresql+asyncpg://u@h/db", DatabaseSettings(pgbouncer=True))


def test_pool_settings_come_from_the_environment_beside_the_url(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """PHOTOGATE_DATABASE__POOL_SIZE and PHOTOGATE_DATABASE_URL are read side by side."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PHOTOGATE_DATABASE_URL", SERVER_URL)
    monkeypatch.setenv("PHOTOGATE_DATABASE__POOL_SIZE", "4")
    monkeypatch.setenv("PHOTOGATE_DATABASE__PGBOUNCER", "true")
    settings = load_settings()
    assert (settings.catalog_url(), settings.database.pool_size) == (SERVER_URL, 4)
    assert settings.database.pgbouncer
    monkeypatch.setenv("PHOTOGATE_DATABASE__POOL_SIZE", "0")
    with pytest.raises(ConfigError, match="PHOTOGATE_DATABASE__POOL_SIZE"):
        load_settings()


async def test_a_caller_finding_every_connection_busy_gets_a_transient_error(
    tmp_path: Path,
) -> None:
    """Waiting past the pool timeout for a connection raises StorageUnavailable (retried)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'c.sqlite3'}"
    engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=0.05)
    catalog = SqlCatalog(engine)
    try:
        async with engine.connect():
            with pytest.raises(StorageUnavailable, match="busy"):
                await catalog.ping()
        await catalog.ping()
    finally:
        await catalog.aclose()


async def test_a_catalog_file_that_is_not_a_database_is_a_transient_error_naming_it(
    tmp_path: Path,
) -> None:
    """A running catalog whose file holds garbage raises StorageUnavailable naming the file
    (a worker puts its message back at no cost), not the driver's bare DatabaseError.
    """
    file = tmp_path / "c.sqlite3"
    file.write_bytes(bytes(range(256)) * 32)
    catalog = SqlCatalog(create_catalog_engine(f"sqlite+aiosqlite:///{file}"))
    try:
        with pytest.raises(StorageUnavailable, match=f"at {file} is not a usable SQLite"):
            await catalog.ping()
    finally:
        await catalog.aclose()
