"""Rate limits: uploads per client and per email and product, counted in the catalog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from photogate.adapters.memory.catalog import InMemoryCatalog
from photogate.errors import InputError, RateLimited, StorageUnavailable
from photogate.intake.limits import UploadLimits, email_slot, take_client_slot
from photogate.settings import UploadSettings
from photogate.throttling import Limit, client_key, give_back, in_words, limit_key, take_slot

T0 = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)


async def test_a_key_is_refused_at_its_limit_until_the_oldest_event_ages_out() -> None:
    """After N slots in the window the wait is until the oldest leaves it; other keys are free."""
    catalog, limit = InMemoryCatalog(), Limit("b", 2, timedelta(minutes=10))
    assert await take_slot(catalog, limit, "k", T0) is None
    assert await take_slot(catalog, limit, "k", T0 + timedelta(minutes=4)) is None
    now = T0 + timedelta(minutes=5)
    assert await take_slot(catalog, limit, "k", now) == 300
    assert await take_slot(catalog, limit, "other", now) is None
    assert await take_slot(catalog, limit, "k", T0 + timedelta(minutes=10, seconds=1)) is None


async def test_a_slot_given_back_can_be_taken_again() -> None:
    """Giving back the slot taken at a moment frees it: that event no longer counts."""
    catalog, limit = InMemoryCatalog(), Limit("b", 1, timedelta(minutes=10))
    assert await take_slot(catalog, limit, "k", T0) is None
    await give_back(catalog, limit, "k", T0)
    assert await take_slot(catalog, limit, "k", T0 + timedelta(minutes=1)) is None
    assert await take_slot(catalog, limit, "k", T0 + timedelta(minutes=2)) == 9 * 60


async def test_a_limit_of_zero_counts_and_refuses_nothing() -> None:
    """max_events 0 turns the limit off: nothing is stored, nothing refused."""
    catalog, limit = InMemoryCatalog(), Limit("b", 0, timedelta(hours=1))
    assert await take_slot(catalog, limit, "k", T0) is None
    await give_back(catalog, limit, "k", T0)
    assert await catalog.count_rate_events("b", "k", since=T0) == (0, None)


async def test_upload_limits_speak_plainly_and_carry_retry_after() -> None:
    """The 21st photo an hour from one address, or the 6th of a product a day, is a 429."""
    catalog = InMemoryCatalog()
    limits = UploadLimits.from_settings(UploadSettings())
    for minute in range(20):
        await take_client_slot(catalog, limits, "203.0.113.7", T0 + timedelta(minutes=minute))
    with pytest.raises(RateLimited) as by_client:
        await take_client_slot(catalog, limits, "203.0.113.7", T0 + timedelta(minutes=30))
    assert by_client.value.status == 429
    assert by_client.value.retry_after == 30 * 60
    assert "Please wait about 30 minutes" in by_client.value.detail
    await take_client_slot(catalog, limits, "198.51.100.1", T0 + timedelta(minutes=30))


async def test_the_upload_limit_counts_an_ipv6_network_not_each_address() -> None:
    """Twenty photos from twenty addresses of one /64: the next, from yet another, is a 429."""
    catalog = InMemoryCatalog()
    limits = UploadLimits.from_settings(UploadSettings())
    for host in range(1, 21):
        await take_client_slot(catalog, limits, f"2001:db8:5:6::{host:x}", T0)
    with pytest.raises(RateLimited):
        await take_client_slot(catalog, limits, "2001:db8:5:6:abcd::1", T0)
    await take_client_slot(catalog, limits, "2001:db8:5:7::1", T0)


async def test_the_email_limit_is_per_product_and_ignores_case() -> None:
    """Five photos of one product by one address; a sixth is refused, another product is fine."""
    catalog = InMemoryCatalog()
    limits = UploadLimits.from_settings(UploadSettings(per_ip_per_hour=0))
    for _ in range(5):
        async with email_slot(catalog, limits, "Kim@X.example", "S", T0):
            pass
    with pytest.raises(RateLimited) as refused:
        async with email_slot(catalog, limits, " kim@x.example", "S", T0 + timedelta(hours=1)):
            pytest.fail("the sixth photo got a slot")
    assert "already sent 5 photos of this product today" in refused.value.detail
    assert "about 23 hours" in refused.value.detail
    async with email_slot(catalog, limits, "kim@x.example", "OTHER", T0):
        pass


async def test_a_refused_photo_gives_its_email_slot_back() -> None:
    """A photo the block refuses (InputError) costs none of the day's share; another failure
    (the catalog down after the photo may have been stored) keeps the slot.
    """
    catalog = InMemoryCatalog()
    limits = UploadLimits.from_settings(UploadSettings(per_email_per_product_per_day=1))
    with pytest.raises(InputError):
        async with email_slot(catalog, limits, "kim@x.example", "S", T0):
            raise InputError("corrupt_image", "not a photo")
    with pytest.raises(StorageUnavailable):
        async with email_slot(catalog, limits, "kim@x.example", "S", T0):
            raise StorageUnavailable("down")
    with pytest.raises(RateLimited):
        async with email_slot(catalog, limits, "kim@x.example", "S", T0):
            pass


@pytest.mark.parametrize(
    ("one", "other", "same"),
    [
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", True),  # one /64
        ("2001:db8:1:2::1", "2001:db8:1:3::1", False),  # the next /64
        ("2001:DB8:1:2:0:0:0:1", "2001:db8:1:2::1", True),  # spelt otherwise
        ("::ffff:192.0.2.7", "192.0.2.7", True),  # IPv4 mapped into IPv6
        ("192.0.2.7", "192.0.2.8", False),  # IPv4: each address
        ("testclient", "testclient", True),  # no IP address: as given
    ],
)
def test_client_keys_count_an_ipv6_network_as_one_client(one: str, other: str, same: bool) -> None:
    """An IPv6 customer holds a /64 and may use any address in it: it is one client."""
    assert (client_key(one) == client_key(other)) is same


def test_keys_are_one_way_and_distinct() -> None:
    """A key reveals neither the address nor the email, and different parts differ."""
    key = limit_key("kim@x.example", "S")
    assert "kim" not in key and len(key) == 32
    assert key != limit_key("kim@x.example", "T") != limit_key("kim@x.exampleS")


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "about a minute"),
        (61, "about 2 minutes"),
        (89 * 60, "about 89 minutes"),
        (5400, "about 2 hours"),
    ],
)
def test_waits_are_said_as_a_person_would(seconds: float, words: str) -> None:
    """Seconds become minutes, and hours past an hour and a half."""
    assert in_words(seconds) == words
