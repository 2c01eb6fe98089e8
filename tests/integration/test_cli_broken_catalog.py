"""Commands meeting a catalog they cannot use (written by a newer photogate, not a database at
all) or an Azure connection string that does not parse say so in one line with exit code 2,
as a shell sees them: no traceback, and no secret echoed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.integration.test_start_up_cli import one_line_refusal, photogate
from tests.support.processes import free_port

pytestmark = pytest.mark.integration


def migrated(tmp_path: Path) -> Path:
    """A data dir under `tmp_path` with its catalog at head; the catalog's file."""
    assert photogate(tmp_path, "db", "upgrade").returncode == 0
    return tmp_path / "var" / "catalog.sqlite3"


def stamped(catalog: Path, revision: str) -> None:
    """Set the catalog's Alembic revision, as a newer photogate's migration would."""
    with sqlite3.connect(catalog) as db:
        db.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    db.close()


def revision_of(catalog: Path) -> str:
    with sqlite3.connect(catalog) as db:
        [(revision,)] = db.execute("SELECT version_num FROM alembic_version").fetchall()
    db.close()
    return str(revision)


def test_db_upgrade_refuses_a_revision_from_newer_code_in_one_line(tmp_path: Path) -> None:
    """A catalog at a revision this code does not ship: one line saying so, nothing changed."""
    catalog = migrated(tmp_path)
    stamped(catalog, "0099")
    line = one_line_refusal(photogate(tmp_path, "db", "upgrade"))
    assert line.startswith(f"photogate: the catalog database at {catalog} is at revision 0099")
    assert "which this photogate does not know (a newer one migrated it)" in line
    assert revision_of(catalog) == "0099"


@pytest.mark.parametrize("command", [["status"], ["db", "upgrade"], ["worker"], ["web"]])
def test_a_catalog_file_that_is_not_a_database_is_named_in_one_line(
    tmp_path: Path, command: list[str]
) -> None:
    """Garbage where catalog.sqlite3 was: every command names the file, says it is not a
    usable SQLite database and what to do, and leaves the file as it was.
    """
    catalog = migrated(tmp_path)
    garbage = bytes(range(256)) * 32
    catalog.write_bytes(garbage)
    # web started on a port of its settings: with --port it would warn the worker of it first.
    port = {"PHOTOGATE_WEB__PORT": str(free_port())}
    line = one_line_refusal(photogate(tmp_path, *command, **port))
    assert line.startswith(
        f"photogate: the catalog database at {catalog} is not a usable SQLite database"
        " (file is not a database): restore it from a backup"
    )
    assert catalog.read_bytes() == garbage


ACCOUNT_KEY = "c2VjcmV0LWFjY291bnQta2V5LW5vdC10by1sZWFr"


@pytest.mark.parametrize(
    "connection_string",
    [f"AccountName=shop;AccountKey={ACCOUNT_KEY};garbage", f"AccountKey={ACCOUNT_KEY}"],
)
@pytest.mark.parametrize("command", [["status"], ["worker"], ["web"]])
def test_a_malformed_azure_connection_string_is_named_without_its_value(
    tmp_path: Path, command: list[str], connection_string: str
) -> None:
    """A connection string the Storage SDK cannot parse: one line naming the variable, with
    nothing of the key it holds, from every command that builds the Azure clients.
    """
    migrated(tmp_path)
    done = photogate(
        tmp_path,
        *command,
        PHOTOGATE_BACKEND="azure",
        PHOTOGATE_AZURE__CONNECTION_STRING=connection_string,
        PHOTOGATE_CONSOLE__SECRET_KEY="k" * 40,
        PHOTOGATE_WEB__PORT=str(free_port()),
    )
    line = one_line_refusal(done)
    assert line.startswith(
        "photogate: PHOTOGATE_AZURE__CONNECTION_STRING is not a valid Azure Storage"
        " connection string"
    )
    assert ACCOUNT_KEY not in done.stderr + done.stdout
    assert "shop" not in line
