"""Migrating a catalog: one SQLite file from several processes at once, as web and worker do,
and back down revision by revision without losing a row.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text

from photogate.adapters.sql.engine import sync_url
from photogate.adapters.sql.migrate import (
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
    head_revision,
    upgrade,
)
from photogate.adapters.sql.tables import metadata
from tests.contract.test_catalog import POSTGRES, _schema_differences
from tests.support.postgres import fresh_database

# Each process announces it is ready, then waits for the go file, so the upgrades truly overlap.
_UPGRADER = """
import os, sys, time
from photogate.adapters.sql.migrate import upgrade
url, go = sys.argv[1], sys.argv[2]
open(f"{go}.{os.getpid()}", "w").close()
deadline = time.monotonic() + 30
while not os.path.exists(go) and time.monotonic() < deadline:
    time.sleep(0.001)
upgrade(url)
"""


def _wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "upgrader processes never became ready"
        time.sleep(0.01)


@pytest.mark.integration
def test_simultaneous_upgrades_of_a_fresh_file_all_succeed(tmp_path: Path) -> None:
    """Three processes upgrading one new SQLite file at once all succeed: one migrates, two wait."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'catalog.sqlite3'}"
    go = tmp_path / "go"
    upgraders = [
        subprocess.Popen(
            [sys.executable, "-c", _UPGRADER, url, str(go)], stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    _wait_for(lambda: len(list(tmp_path.glob("go.*"))) == 3)
    go.touch()
    errors = [p.communicate(timeout=60)[1] for p in upgraders]
    assert [p.returncode for p in upgraders] == [0, 0, 0], errors
    assert current_revision(url) == head_revision()


# -- downgrades ----------------------------------------------------------------------------

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SUBMISSION = "sub-1"
# One row for each table at head, nullable columns filled too, so each column dropped is noticed.
ROWS: dict[str, dict[str, Any]] = {
    "products": {
        "sku": "MUG-1",
        "name": "Mug",
        "description": "A mug",
        "price_cents": 1200,
        "marketing_photos": ["https://example.com/mug.jpg"],
    },
    "submissions": {
        "id": SUBMISSION,
        "sku": "MUG-1",
        "email": " Åsa.Berg@example.se ",
        "display_name": "Åsa",
        "caption": "Mit Kaffee ☕",
        "original_blob": "quarantine/sub-1.jpg",
        "content_type": "image/jpeg",
        "size_bytes": 123_456,
        "width": 4032,
        "height": 3024,
        "status": "in_review",
        "status_reason": "looks fine",
        "created_at": T0,
        "updated_at": T0,
        "consent_at": T0,
        "scan": {"verdict": "pass"},
        "published_at": T0,
        "thanked_at": T0,
        "extra": {"source": "form"},
        "licence_version": "2025-01",
        "original_purged_at": T0,
        "email_key": "åsa.berg@example.se",
        "claimed_by": "moderator@example.com",
        "claimed_until": T0,
        "repeat_of": "e" * 32,
    },
    "customer_photos": {
        "submission_id": SUBMISSION,
        "sku": "MUG-1",
        "display_name": "Åsa",
        "caption": "Mit Kaffee ☕",
        "width": 4032,
        "height": 3024,
        "placeholder": "data:image/webp;base64,AAAA",
        "renditions": [{"width": 640, "url": "https://example.com/640.webp"}],
        "approved_at": T0,
    },
    "emails": {
        "id": "email-1",
        "submission_id": SUBMISSION,
        "kind": "thank_you",
        "to": "asa.berg@example.se",
        "status": "pending",
        "attempts": 1,
        "last_error": "timed out",
        "sent_at": T0,
        "created_at": T0,
        "claimed_until": T0,
        "held_until": T0,
    },
    "outbox": {
        "id": "outbox-1",
        "queue": "scan",
        "body": "{}",
        "submission_id": SUBMISSION,
        "created_at": T0,
        "dispatched_at": T0,
    },
    "audit_log": {
        "id": 1,
        "submission_id": SUBMISSION,
        "from_status": "received",
        "to_status": "in_review",
        "actor": "scanner",
        "reason": "clean",
        "at": T0,
    },
    "rate_events": {"id": 1, "bucket": "upload", "key": "k" * 64, "at": T0},
    "fingerprints": {
        "submission_id": SUBMISSION,
        "sku": "MUG-1",
        "sha256": "a" * 64,
        "phash": "f0f0f0f0f0f0f0f0",
    },
    "marketing_fingerprints": {
        "sku": "MUG-1",
        "url": "https://example.com/mug.jpg",
        "phash": "0f0f0f0f0f0f0f0f",
    },
    "erasure_requests": {
        "submission_id": SUBMISSION,
        "actor": "operator:sam",
        "takedown_reason": "the customer withdrew consent",
        "erasure_reason": "erased by admin: T-1",
        "requested_at": T0,
    },
    "heartbeats": {
        "worker": "host:1",
        "started_at": T0,
        "seen_at": T0,
        "limit": 4,
        "in_flight": 1,
        "waiting": 2,
        "succeeded": 3,
        "throttled": 0,
        "failed": 1,
        "paused_s": 0.5,
        "breaker_open": True,
        "last_error": "scanner timed out",
    },
}
# A submission with nothing but its fingerprint: a rebuild of submissions that fails on the
# rows other tables keep would, with none there, cascade to the fingerprint instead.
FINGERPRINTED = {"products", "submissions", "fingerprints"}
# The tables each revision creates; a downgrade past it may drop them, and their rows with them.
CREATED = {
    "0001": {"products", "submissions", "customer_photos", "emails", "outbox", "audit_log"},
    "0003": {"rate_events"},
    "0005": {"fingerprints", "marketing_fingerprints"},
    "0009": {"heartbeats"},
    "0012": {"erasure_requests"},
}


@pytest.fixture(params=["sqlite", POSTGRES])
def head_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database of its own at head: a SQLite file, or one on the PostgreSQL server."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'catalog.sqlite3'}"
        upgrade(url)
        yield url
        return
    yield from fresh_database("photogate_migrations")


@pytest.mark.integration
@pytest.mark.parametrize("filled", [set(ROWS), FINGERPRINTED], ids=["every-table", "fingerprint"])
def test_each_downgrade_keeps_every_row_and_upgrading_again_restores_the_schema(
    head_url: str, filled: set[str]
) -> None:
    """Downgrading one revision at a time down to 0001 loses no row of any table still there,
    only the dropped columns, and upgrading again gives exactly the schema of tables.py.
    """
    engine = create_engine(sync_url(head_url))
    try:
        _fill(engine, filled)
        at_head = _rows(engine)
        for revision in _below_head():
            command.downgrade(alembic_config(head_url), revision)
            rows = _rows(engine)
            assert set(rows) == _tables_at(revision), f"tables at {revision}"
            assert rows == _kept(at_head, _columns(engine)), f"rows at {revision}"
        at_base, base_columns = _rows(engine), _columns(engine)
        upgrade(head_url)
        assert _schema_differences(head_url, metadata) == []
        assert _kept(_rows(engine), base_columns) == at_base
    finally:
        engine.dispose()


EARLIER = "e" * 32
# Submissions failed before 0011 by id: their status and reason, and the repeat_of they get.
BEFORE_0011: dict[str, tuple[str, str | None, str | None]] = {
    "named": (
        "failed",
        f"already_sent: You already sent this. (earlier submission {EARLIER})",
        EARLIER,
    ),
    "unnamed": ("failed", "already_sent: You already sent this photo.", None),
    "other-code": ("failed", f"unsupported_type: odd (earlier submission {EARLIER})", None),
    "like-wildcard": ("failed", f"alreadyXsent: x (earlier submission {EARLIER})", None),
    "not-failed": ("queued", f"already_sent: x (earlier submission {EARLIER})", None),
    "not-at-end": ("failed", f"already_sent: (earlier submission {EARLIER}) and so", None),
    "no-reason": ("failed", None, None),
}


@pytest.mark.integration
def test_upgrading_to_0011_records_the_repeats_failed_before_it(head_url: str) -> None:
    """A repeat failed before 0011, its reason ending with the earlier submission's id, gets
    that id as repeat_of; no other row gets one, and every reason stays as it was.
    """
    engine = create_engine(sync_url(head_url))
    try:
        command.downgrade(alembic_config(head_url), "0010")
        _fill_failed_before_0011(engine)
        upgrade(head_url)
        query = text("SELECT id, status_reason, repeat_of FROM submissions")
        with engine.connect() as conn:
            found = {row.id: (row.status_reason, row.repeat_of) for row in conn.execute(query)}
    finally:
        engine.dispose()
    assert found == {
        key: (reason, repeat_of) for key, (_, reason, repeat_of) in BEFORE_0011.items()
    }


def _fill_failed_before_0011(engine: Engine) -> None:
    """Write the submissions of BEFORE_0011 (and their product) as revision 0010 kept them."""
    submission = {k: v for k, v in ROWS["submissions"].items() if k != "repeat_of"}
    rows = [
        {**submission, "id": key, "status": status, "status_reason": reason}
        for key, (status, reason, _) in BEFORE_0011.items()
    ]
    with engine.begin() as conn:
        conn.execute(metadata.tables["products"].insert(), [ROWS["products"]])
        conn.execute(metadata.tables["submissions"].insert(), rows)


def _fill(engine: Engine, filled: set[str]) -> None:
    """Write the row of ROWS for each table in `filled`, parents first."""
    assert set(metadata.tables) == set(ROWS), "each table of tables.py needs a row in ROWS"
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            if table.name in filled:
                conn.execute(table.insert(), [ROWS[table.name]])


def _below_head() -> list[str]:
    """Every revision before head, newest first, down to the first (0001)."""
    newest_first = ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions()
    return [script.revision for script in newest_first][1:]


def _tables_at(revision: str) -> set[str]:
    return {name for since, made in CREATED.items() if since <= revision for name in made}


def _rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every catalog table, as the driver returns it, by table name."""
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names()) - {"alembic_version"}
        return {
            name: [dict(row._mapping) for row in conn.execute(text(f'SELECT * FROM "{name}"'))]
            for name in names
        }


def _columns(engine: Engine) -> dict[str, list[str]]:
    """The column names of every catalog table, by table name."""
    with engine.connect() as conn:
        inspector = inspect(conn)
        names = set(inspector.get_table_names()) - {"alembic_version"}
        return {name: [column["name"] for column in inspector.get_columns(name)] for name in names}


def _kept(
    rows: dict[str, list[dict[str, Any]]], columns: dict[str, list[str]]
) -> dict[str, list[dict[str, Any]]]:
    """`rows` of the tables in `columns`, each with only the columns listed there."""
    return {
        name: [{column: row[column] for column in names} for row in rows[name]]
        for name, names in columns.items()
    }
