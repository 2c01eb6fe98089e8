"""The catalog's connection pools on a real PostgreSQL: bounded, pinged, ready for PgBouncer."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import AsyncEngine

from photogate.adapters.sql.catalog import SqlCatalog
from photogate.adapters.sql.engine import create_catalog_engine, sync_url
from photogate.errors import StorageUnavailable
from photogate.settings import DatabaseSettings

pytestmark = pytest.mark.integration

POSTGRES_URL = os.environ.get("PHOTOGATE_TEST_POSTGRES_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"
# One connection, no overflow, a short wait; psycopg told to prepare nothing (PgBouncer).
ONE = DatabaseSettings(pool_size=1, max_overflow=0, pool_timeout_s=0.2, pgbouncer=True)


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    """The catalog's async engine on the server under test, with a pool of one."""
    if not POSTGRES_URL:
        reason = "PHOTOGATE_TEST_POSTGRES_URL is not set"
        if IN_CI:
            pytest.fail(f"{reason}, and CI=true requires the PostgreSQL run")
        pytest.skip(reason)
    engine = create_catalog_engine(POSTGRES_URL, ONE)
    yield engine
    await engine.dispose()


async def test_a_caller_finding_the_pool_busy_fails_transiently_then_recovers(
    engine: AsyncEngine,
) -> None:
    """With the one connection held, a query waits pool_timeout_s and raises StorageUnavailable;
    once it is back, queries run (and psycopg took prepare_threshold=None).
    """
    catalog = SqlCatalog(engine, pools=ONE)
    try:
        async with engine.connect():
            with pytest.raises(StorageUnavailable, match="busy"):
                await catalog.ping()
        await catalog.ping()
    finally:
        await catalog.aclose()


async def test_a_connection_the_server_closed_is_replaced_before_use(engine: AsyncEngine) -> None:
    """The pool pings each connection it hands out: one the server ended is not the caller's
    error (a restart or failover costs a reconnect, not a failed scan).
    """
    async with engine.connect() as conn:
        pid = await conn.scalar(text("SELECT pg_backend_pid()"))
    admin = create_engine(sync_url(POSTGRES_URL))
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        admin.dispose()
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT pg_backend_pid()")) != pid
