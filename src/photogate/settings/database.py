"""Settings of the catalog database: its URL's form, and its connection pools on PostgreSQL."""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel, Field

# The async drivers the catalog runs on (migrations map each to a sync twin).
DATABASE_SCHEMES: Final = (
    "postgresql+psycopg",
    "postgresql+psycopg_async",
    "postgresql+asyncpg",
    "sqlite+aiosqlite",
)


def check_database_url(url: str) -> None:
    """Refuse a URL SQLAlchemy cannot parse or whose driver the catalog cannot use (empty: the
    SQLite default). The message never repeats the URL: it may hold a password.
    """
    if not url:
        return
    from sqlalchemy.engine import make_url  # only a configured URL pays for the import
    from sqlalchemy.exc import ArgumentError

    accepted = ", ".join(f"{scheme}://" for scheme in DATABASE_SCHEMES)
    try:
        scheme = make_url(url).drivername
    except (ArgumentError, ValueError):
        raise ValueError(f"not a database URL; use one of {accepted}") from None
    if scheme not in DATABASE_SCHEMES:
        raise ValueError(f"photogate cannot use {scheme}://; use one of {accepted}")


class DatabaseSettings(BaseModel):
    """How many PostgreSQL connections one process holds, and how it keeps them usable.

    A process has two pools, the async engine's and its sync twin's, so it holds at most
    2 x (pool_size + max_overflow) connections; a deployment holds that many per process (per
    Functions instance), and the server's connection limit must cover the sum.
    """

    # Two per pool keep up with one Functions instance (4 scans, 4 emails and a few requests
    # at once, each transaction a few milliseconds), and no overflow keeps the total fixed.
    pool_size: int = Field(2, ge=1, le=100)
    max_overflow: int = Field(0, ge=0, le=100)
    # A caller waits this long for a free connection, then fails as a passing outage
    # (StorageUnavailable, retried) instead of holding an execution toward its timeout.
    pool_timeout_s: float = Field(10.0, gt=0)
    # Azure drops a TCP connection idle for 4 minutes without telling either end; one older
    # than this is replaced before use rather than pinged into a hang.
    pool_recycle_s: int = Field(240, ge=1)
    # A transaction-mode PgBouncer in front (port 6432): no server-side prepared statements.
    pgbouncer: bool = False
