"""Withdrawal links: signed for one submission and purpose, expiring, refused when changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from photogate.errors import InputError
from photogate.privacy.links import WithdrawalLinks, link_key

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
ANA, BOB = "a" * 32, "b" * 32


def links(*, at: datetime = NOW, root: bytes = b"r" * 48) -> WithdrawalLinks:
    return WithdrawalLinks(link_key(root), "https://shop.example/", timedelta(days=30), lambda: at)


def refusal(token: str, signer: WithdrawalLinks | None = None) -> str:
    with pytest.raises(InputError) as caught:
        (signer or links()).verify(token)
    return caught.value.code


def test_a_fresh_token_names_its_submission() -> None:
    """A token made now verifies to the submission it was made for."""
    assert links().verify(links().token(ANA)) == ANA


def test_the_url_points_at_the_withdraw_page_without_an_email() -> None:
    """The link is the shop's /withdraw/ page with the token; it names no address."""
    url = links().url(ANA)
    assert url.startswith("https://shop.example/withdraw/")
    assert "@" not in url


def test_a_link_cannot_be_pointed_at_another_customer() -> None:
    """Swapping the submission id for another one breaks the signature."""
    _, expiry, signature = links().token(ANA).split(".")
    assert refusal(f"{BOB}.{expiry}.{signature}") == "link_invalid"


def test_a_lengthened_expiry_is_refused() -> None:
    """Changing the expiry (to live longer) breaks the signature."""
    submission_id, expiry, signature = links().token(ANA).split(".")
    assert refusal(f"{submission_id}.{int(expiry) + 86400}.{signature}") == "link_invalid"


def test_a_link_signed_with_another_key_is_forged() -> None:
    """A token signed with any other key is refused."""
    forged = links(root=b"x" * 48).token(ANA)
    assert refusal(forged) == "link_invalid"


def test_an_expired_link_is_refused_as_expired() -> None:
    """After its lifetime the link is refused with a 410 and a sentence saying what to do."""
    token = links().token(ANA)
    with pytest.raises(InputError) as caught:
        links(at=NOW + timedelta(days=30, seconds=1)).verify(token)
    assert (caught.value.code, caught.value.status) == ("link_expired", 410)
    assert "expired" in caught.value.detail


@pytest.mark.parametrize(
    "token",
    ["", "abc", f"{ANA}..", f"{ANA}.soon.sig", ".123.sig", f"{ANA}.{'9' * 13}.sig"],
)
def test_malformed_tokens_are_refused(token: str) -> None:
    """Cut-short or garbled tokens are refused as invalid, not crashed on."""
    assert refusal(token) == "link_invalid"


def test_a_truncated_signature_is_refused() -> None:
    """Dropping the last character of the signature is enough to be refused."""
    assert refusal(links().token(ANA)[:-1]) == "link_invalid"


@pytest.mark.parametrize("expiry", ["²", "1893456000①", "١٨٩٣٤٥٦٠٠٠"])
def test_digits_that_are_not_ascii_are_refused_as_invalid(expiry: str) -> None:
    """Superscript, circled or Arabic-Indic digits in the expiry are invalid, not a crash."""
    assert refusal(f"{ANA}.{expiry}.sig") == "link_invalid"
