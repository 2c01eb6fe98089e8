"""Bring a catalog database to the newest schema with the migrations shipped in the package."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, text
from sqlalchemy.exc import DatabaseError, OperationalError

from photogate.adapters.sql.engine import (
    create_migration_engine,
    database_location,
    driver_message,
    unusable_file,
)
from photogate.errors import ConfigError, StorageUnavailable

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
            _refuse_unknown(revision_of(connection), database_location(url))
            command.upgrade(alembic_config(url, connection), "head")
    except OperationalError as exc:
        where = database_location(url)
        raise StorageUnavailable(
            f"the catalog database at {where} is unavailable: {driver_message(exc)}"
        ) from exc
    except DatabaseError as exc:
        raise (unusable_file(exc, database_location(url)) or exc) from exc
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    """The revision the database at `url` is at, or None before the first migration."""
    engine = create_migration_engine(url)
    try:
        with engine.connect() as connection:
            return revision_of(connection)
    finally:
        engine.dispose()


def revision_of(connection: Connection) -> str | None:
    """The revision of the database `connection` is open on, or None before the first migration."""
    if not _has_version_table(connection):
        return None
    version = connection.scalar(text("SELECT version_num FROM alembic_version"))
    return None if version is None else str(version)


def require_head(revision: str | None, where: str) -> None:
    """Refuse a catalog database (at `where`) not at the schema this photogate's code needs,
    with a ConfigError that says how to get there.
    """
    head = head_revision()
    if revision == head:
        return
    _refuse_unknown(revision, where)
    raise ConfigError(
        f"the catalog database at {where} is at revision {revision or 'none (never migrated)'},"
        f" this photogate needs {head}: run `photogate db upgrade`"
    )


@cache  # the migrations shipped in the package do not change while it runs
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


def _refuse_unknown(revision: str | None, where: str) -> None:
    """A ConfigError for a revision none of our migrations has: a newer photogate wrote it, and
    neither upgrading (alembic cannot find it) nor running this code on it would be right.
    """
    if revision is not None and not _is_known(revision):
        raise ConfigError(
            f"the catalog database at {where} is at revision {revision}, which this photogate"
            " does not know (a newer one migrated it): run that newer photogate, or one at"
            f" {head_revision()}"
        )


def _is_known(revision: str) -> bool:
    try:
        return ScriptDirectory(str(MIGRATIONS_DIR)).get_revision(revision) is not None
    except CommandError:  # alembic: "No such revision or branch"
        return False


def _has_version_table(connection: Connection) -> bool:
    return connection.dialect.has_table(connection, "alembic_version")
