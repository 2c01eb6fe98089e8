"""The SQL catalog's plumbing: SQLite connection settings, sync URLs, migrations and errors."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy import text

from photogate.adapters.sql.catalog import open_sql_catalog
from photogate.adapters.sql.engine import create_catalog_engine, sync_url
from photogate.adapters.sql.migrate import current_revision, head_revision, upgrade
from photogate.errors import StorageUnavailable


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
