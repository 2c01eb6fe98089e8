"""Contract of the catalog's rate-limit slots: counted and counted in as one step, per key,
however many callers (or processes) take them at once; the in-memory fake, SQLite, PostgreSQL.
"""

# The catalog suite's fixtures are imported by name, and tests take them as parameters of the
# same name: that is how pytest injects them, not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from photogate.adapters.sql.catalog import open_sql_catalog
from photogate.ports.catalog import Catalog
from tests.contract.test_catalog import (  # noqa: F401 - fixtures are found by name
    T0,
    backend,
    catalog,
    clock,
    migrated_url,
    postgres_url,
)

HOUR = timedelta(hours=1)


async def take(
    catalog: Catalog, at: datetime, *, key: str = "k", bucket: str = "upload-ip", most: int = 2
) -> datetime | None:
    """Take a slot of `key` at `at` under `most` an hour, pruning what is older than a day."""
    return await catalog.take_rate_slot(
        bucket, key, at, since=at - HOUR, max_events=most, prune_before=at - timedelta(days=1)
    )


async def test_slots_are_taken_until_the_limit_then_refused_with_the_oldest(
    catalog: Catalog,
) -> None:
    """Under the limit a slot is taken and counted; at it, the answer is the oldest event
    counted and nothing is written; other keys and buckets are free; old events age out.
    """
    assert await take(catalog, T0) is None
    assert await take(catalog, T0 + timedelta(minutes=10)) is None
    assert await take(catalog, T0 + timedelta(minutes=20)) == T0
    assert await catalog.count_rate_events("upload-ip", "k", since=T0) == (2, T0)
    assert await take(catalog, T0 + timedelta(minutes=20), key="other") is None
    assert await take(catalog, T0 + timedelta(minutes=20), bucket="signin-ip") is None
    assert await take(catalog, T0 + timedelta(minutes=61)) is None
    counted = await catalog.count_rate_events("upload-ip", "k", since=T0)
    assert counted == (3, T0)


async def test_taking_a_slot_prunes_its_own_bucket_only(catalog: Catalog) -> None:
    """A slot taken forgets its bucket's events before `prune_before`, not other buckets'."""
    old = T0 - timedelta(days=2)
    await catalog.record_rate_event("upload-ip", "k", old, prune_before=old)
    await catalog.record_rate_event("signin-ip", "k", old, prune_before=old)
    assert await take(catalog, T0) is None
    long_ago = old - timedelta(days=1)
    assert await catalog.count_rate_events("upload-ip", "k", since=long_ago) == (1, T0)
    assert await catalog.count_rate_events("signin-ip", "k", since=long_ago) == (1, old)


async def test_a_slot_given_back_is_free_again_and_only_that_one_goes(catalog: Catalog) -> None:
    """Giving back removes one event of the key at that time, so another may be taken; a slot
    never taken gives back nothing.
    """
    await catalog.record_rate_event("upload-ip", "k", T0, prune_before=T0 - HOUR)
    assert await take(catalog, T0) is None
    assert await take(catalog, T0) == T0
    await catalog.give_back_rate_slot("upload-ip", "k", T0)
    assert await catalog.count_rate_events("upload-ip", "k", since=T0) == (1, T0)
    await catalog.give_back_rate_slot("upload-ip", "k", T0 + timedelta(seconds=1))
    await catalog.give_back_rate_slot("signin-ip", "k", T0)
    assert await catalog.count_rate_events("upload-ip", "k", since=T0) == (1, T0)
    assert await take(catalog, T0 + timedelta(seconds=1)) is None


async def test_forgetting_keys_deletes_all_their_events_in_that_bucket_only(
    catalog: Catalog,
) -> None:
    """Every event of the keys goes, at any time; other keys and buckets stay."""
    for key, bucket in [("a", "upload-email"), ("a", "upload-email"), ("b", "upload-email")]:
        await catalog.record_rate_event(bucket, key, T0, prune_before=T0 - HOUR)
    await catalog.record_rate_event("upload-ip", "a", T0, prune_before=T0 - HOUR)
    await catalog.forget_rate_keys("upload-email", ["a", "never-seen"])
    await catalog.forget_rate_keys("upload-email", [])
    since = T0 - HOUR
    assert await catalog.count_rate_events("upload-email", "a", since=since) == (0, None)
    assert await catalog.count_rate_events("upload-email", "b", since=since) == (1, T0)
    assert await catalog.count_rate_events("upload-ip", "a", since=since) == (1, T0)


async def test_a_limit_below_one_is_refused(catalog: Catalog) -> None:
    """max_events 0 could never be met: it is the caller's bug, and nothing is written."""
    with pytest.raises(ValueError, match="max_events must be at least 1"):
        await take(catalog, T0, most=0)
    assert await catalog.count_rate_events("upload-ip", "k", since=T0) == (0, None)


async def test_slots_taken_at_once_never_pass_the_limit(catalog: Catalog) -> None:
    """Forty callers at the same moment, five slots: exactly five are taken, for each key."""
    keys = ("a", "b")
    taken = await asyncio.gather(
        *(take(catalog, T0 + timedelta(seconds=n), key=keys[n % 2], most=5) for n in range(40))
    )
    assert sum(answer is None for answer in taken) == 10
    for key in keys:
        assert (await catalog.count_rate_events("upload-ip", key, since=T0))[0] == 5


async def test_separate_connections_at_once_never_pass_the_limit(migrated_url: str) -> None:
    """Four catalogs on one database (as four processes would be), each taking slots one after
    another while the others do too: exactly five are taken in all.
    """
    catalogs = [await open_sql_catalog(migrated_url) for _ in range(4)]

    async def keep_taking(catalog: Catalog, first: int) -> list[datetime | None]:
        moments = [T0 + timedelta(milliseconds=first + 4 * n) for n in range(8)]
        return [await take(catalog, at, most=5) for at in moments]

    try:
        answers = await asyncio.gather(*(keep_taking(c, n) for n, c in enumerate(catalogs)))
        counted = await catalogs[0].count_rate_events("upload-ip", "k", since=T0)
    finally:
        for catalog in catalogs:
            await catalog.aclose()
    assert sum(answer is None for answers_of_one in answers for answer in answers_of_one) == 5
    assert counted[0] == 5
