"""Contract of the catalog's email claims: the in-memory fake, SQLite and PostgreSQL alike."""

# The catalog suite's fixtures are imported by name, and tests take them as parameters of the
# same name: that is how pytest injects them, not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect

from photogate.adapters.sql.engine import sync_url
from photogate.adapters.sql.migrate import alembic_config, upgrade
from photogate.adapters.sql.tables import metadata
from photogate.domain.catalog import EmailStatus
from photogate.ports.catalog import Catalog
from tests.contract.test_catalog import (  # noqa: F401 - fixtures are found by name
    T0,
    _schema_differences,
    approved,
    backend,
    catalog,
    clock,
    migrated_url,
    postgres_url,
)

LEASE = timedelta(minutes=5)


async def claim(catalog: Catalog, email_id: str, now: datetime = T0) -> bool:
    return await catalog.claim_email(email_id, now=now, until=now + LEASE)


async def test_a_pending_email_is_claimed_once_until_its_lease_ends(catalog: Catalog) -> None:
    """The first claim wins; another one before the lease ends, even at its last instant, loses."""
    _, email = await approved(catalog)
    assert await claim(catalog, email.id) is True
    assert await claim(catalog, email.id) is False
    assert await claim(catalog, email.id, T0 + LEASE - timedelta(milliseconds=1)) is False
    stored = await catalog.get_email(email.id)
    assert stored is not None and stored.status is EmailStatus.PENDING


async def test_a_claim_can_be_taken_again_once_its_lease_ran_out(catalog: Catalog) -> None:
    """A lapsed claim (its sender crashed) is taken over, from the instant it ends, and renewed."""
    _, email = await approved(catalog)
    assert await claim(catalog, email.id)
    assert await claim(catalog, email.id, T0 + LEASE) is True
    assert await claim(catalog, email.id, T0 + LEASE + timedelta(seconds=1)) is False


async def test_sent_failed_and_unknown_emails_cannot_be_claimed(catalog: Catalog) -> None:
    """Only pending emails can be claimed; marking sent or finally failed drops the claim too."""
    _, sent = await approved(catalog)
    _, failed = await approved(catalog, sku="MUG-2")
    assert await claim(catalog, sent.id) and await claim(catalog, failed.id)
    await catalog.mark_email_sent(sent.id, T0)
    await catalog.mark_email_attempt(failed.id, "550 no such user", final=True)
    later = T0 + 2 * LEASE
    assert await claim(catalog, sent.id, later) is False
    assert await claim(catalog, failed.id, later) is False
    assert await claim(catalog, "missing") is False


async def test_release_lets_another_claim_at_once(catalog: Catalog) -> None:
    """After release_email the next claim wins right away, without waiting for the lease."""
    _, email = await approved(catalog)
    assert await claim(catalog, email.id)
    await catalog.release_email(email.id)
    assert await claim(catalog, email.id) is True
    await catalog.release_email("missing")


async def test_a_deferred_attempt_keeps_the_claim_and_the_email_pending(catalog: Catalog) -> None:
    """A non-final failed attempt leaves the claim alone: only release_email drops it."""
    _, email = await approved(catalog)
    assert await claim(catalog, email.id)
    await catalog.mark_email_attempt(email.id, "451 try later", final=False)
    assert await claim(catalog, email.id) is False
    stored = await catalog.get_email(email.id)
    assert stored is not None and stored.status is EmailStatus.PENDING and stored.attempts == 1


async def test_concurrent_claims_have_exactly_one_winner(catalog: Catalog) -> None:
    """Several claims racing for one email: exactly one gets it."""
    _, email = await approved(catalog)
    results = await asyncio.gather(*(claim(catalog, email.id) for _ in range(6)))
    assert sorted(results) == [False] * 5 + [True]


async def test_naive_claim_times_are_refused(catalog: Catalog) -> None:
    """A claim with a datetime without a zone raises ValueError instead of comparing a guess."""
    _, email = await approved(catalog)
    naive = datetime(2025, 3, 1, 12, 0)
    with pytest.raises(ValueError, match="naive"):
        await catalog.claim_email(email.id, now=naive, until=T0 + LEASE)
    with pytest.raises(ValueError, match="naive"):
        await catalog.claim_email(email.id, now=T0, until=naive + LEASE)


def test_claims_migration_downgrades_and_upgrades_again(migrated_url: str) -> None:
    """Revision 0006 can be undone and redone, back to exactly the schema of tables.py."""
    engine = create_engine(sync_url(migrated_url))
    try:
        command.downgrade(alembic_config(migrated_url), "0005")
        columns = {c["name"] for c in inspect(engine).get_columns("emails")}
        assert "claimed_until" not in columns
        upgrade(migrated_url)
        assert _schema_differences(migrated_url, metadata) == []
    finally:
        engine.dispose()
