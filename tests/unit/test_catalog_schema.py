"""Opening the catalog checks its schema: one not migrated (or migrated by a newer photogate) is
refused with what to run, not taken for an outage on the first query.
"""

from __future__ import annotations

import importlib.util
import socket
import sqlite3
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from photogate.adapters.sql.catalog import open_sql_catalog
from photogate.adapters.sql.migrate import MIGRATIONS_DIR, head_revision, upgrade
from photogate.errors import ConfigError, StorageUnavailable


def sqlite_url(path: Path) -> str:
    """The async URL of the SQLite file at `path`."""
    return f"sqlite+aiosqlite:///{path}"


def set_revision(path: Path, revision: str) -> None:
    """Write `revision` into the migrated SQLite file's alembic_version, as if migrated there."""
    with sqlite3.connect(path) as db:
        db.execute("UPDATE alembic_version SET version_num = ?", (revision,))


async def refusal(url: str) -> str:
    """The message open_sql_catalog refuses `url` with."""
    with pytest.raises(ConfigError) as caught:
        await open_sql_catalog(url)
    return str(caught.value)


async def test_a_missing_sqlite_file_is_refused_and_not_created(tmp_path: Path) -> None:
    """No file yet: the message says to migrate, and opening it left no empty file behind."""
    path = tmp_path / "var" / "catalog.sqlite3"
    message = await refusal(sqlite_url(path))
    assert message == (
        f"the catalog database at {path} is at revision none (never migrated), this photogate"
        f" needs {head_revision()}: run `photogate db upgrade`"
    )
    assert not path.exists() and not path.parent.exists()


async def test_a_database_never_migrated_is_refused(tmp_path: Path) -> None:
    """An empty SQLite file (no alembic_version) is a database never migrated."""
    path = tmp_path / "catalog.sqlite3"
    sqlite3.connect(path).close()
    assert "revision none (never migrated)" in await refusal(sqlite_url(path))


async def test_a_database_behind_head_names_both_revisions(tmp_path: Path) -> None:
    """A database some migrations behind names where it is and where it must be."""
    path = tmp_path / "catalog.sqlite3"
    upgrade(sqlite_url(path))
    previous = ScriptDirectory(str(MIGRATIONS_DIR)).get_revision(head_revision()).down_revision
    assert isinstance(previous, str)
    set_revision(path, previous)
    message = await refusal(sqlite_url(path))
    assert f"is at revision {previous}, this photogate needs {head_revision()}" in message
    assert message.endswith("run `photogate db upgrade`")


async def test_a_database_a_newer_photogate_migrated_is_refused(tmp_path: Path) -> None:
    """A revision this code does not know is not one `db upgrade` could fix: it says so."""
    path = tmp_path / "catalog.sqlite3"
    upgrade(sqlite_url(path))
    set_revision(path, "f00dfeed")
    message = await refusal(sqlite_url(path))
    assert "is at revision f00dfeed, which this photogate does not know" in message
    assert "db upgrade" not in message


async def test_a_database_at_head_opens(tmp_path: Path) -> None:
    """The migrated database opens and answers."""
    url = sqlite_url(tmp_path / "catalog.sqlite3")
    upgrade(url)
    catalog = await open_sql_catalog(url)
    try:
        assert await catalog.list_products() == []
        assert await catalog.schema_revision() == head_revision()
    finally:
        await catalog.aclose()


@pytest.mark.skipif(
    importlib.util.find_spec("asyncpg") is not None, reason="asyncpg is installed here"
)
async def test_a_driver_not_installed_is_a_config_error() -> None:
    """A URL whose driver is missing says what to install instead of an ImportError traceback."""
    with pytest.raises(ConfigError, match="not installed"):
        await open_sql_catalog("postgresql+asyncpg://u@127.0.0.1/db")


def test_upgrading_an_unreachable_database_is_a_transient_error_without_password() -> None:
    """`db upgrade` against a server that is not there fails as unavailable, password hidden."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(StorageUnavailable, match="unavailable") as caught:
        upgrade(f"postgresql+psycopg://nobody:s3cret@127.0.0.1:{port}/none")
    assert "s3cret" not in str(caught.value)
    assert f"127.0.0.1:{port}/none" in str(caught.value)
