"""Bring a catalog database to the newest schema with the migrations shipped in the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from photogate.adapters.sql.engine import create_migration_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# Any fixed number: it names the lock concurrent upgraders of one PostgreSQL database share.
_PG_MIGRATION_LOCK = 7_413_620_551


def alembic_config(url: str, connection: Connection | None = None) -> Config:
    """An Alembic config for the packaged migrations; no alembic.ini needed."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # configparser would read a % in a password as interpolation.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(url: str) -> None:
    """Migrate the database at `url` (async URLs welcome) to head; a no-op when already there.

    Call it from sync code or through asyncio.to_thread, never on a running event loop's thread.
    """
    engine = create_migration_engine(url)
    try:
        with engine.begin() as connection:
            _serialise_upgraders(connection)
            command.upgrade(alembic_config(url, connection), "head")
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    """The revision the database at `url` is at, or None before the first migration."""
    engine = create_migration_engine(url)
    try:
        with engine.connect() as connection:
            if not _has_version_table(connection):
                return None
            version = connection.scalar(text("SELECT version_num FROM alembic_version"))
            return None if version is None else str(version)
    finally:
        engine.dispose()


def head_revision() -> str:
    """The newest revision shipped in the package: what `upgrade` brings a database to."""
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def _serialise_upgraders(connection: Connection) -> None:
    # SQLite is already serialised by BEGIN IMMEDIATE; PostgreSQL needs a lock of its own.
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})


def _has_version_table(connection: Connection) -> bool:
    return connection.dialect.has_table(connection, "alembic_version")
