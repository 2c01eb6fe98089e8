"""A PostgreSQL database of a test's own, migrated to head, on the server under test
(PHOTOGATE_TEST_POSTGRES_URL, which scripts/test.sh starts); skipped without one, except in CI.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from typing import Final

import pytest
from sqlalchemy import create_engine, make_url

from photogate.adapters.sql.engine import sync_url
from photogate.adapters.sql.migrate import upgrade

POSTGRES_URL: Final = os.environ.get("PHOTOGATE_TEST_POSTGRES_URL", "")
IN_CI: Final = os.environ.get("CI", "").lower() == "true"


def fresh_database(prefix: str) -> Iterator[str]:
    """Yield the URL of a new database named `prefix`_<random>, at head; drop it afterwards."""
    if not POSTGRES_URL:
        reason = "PHOTOGATE_TEST_POSTGRES_URL is not set"
        if IN_CI:
            pytest.fail(f"{reason}, and CI=true requires the PostgreSQL run")
        pytest.skip(reason)
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = create_engine(sync_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()
