"""The claim use cases on the in-memory catalog: claims last the configured time by the clock
they are given, and the setting is refused outside its range by name.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from photogate.domain.moderation import ReviewClaim
from photogate.domain.submission import SCANNABLE, Status
from photogate.errors import ConfigError
from photogate.moderation.claims import (
    ClaimTerms,
    claim_next,
    claims_on,
    kept_on_next,
    open_for_review,
)
from photogate.settings import load_settings
from tests.support.console import in_review
from tests.unit.conftest import SKU, Fakes

README = Path(__file__).resolve().parents[2] / "README.md"
NOON = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
TERMS = ClaimTerms(timedelta(minutes=7), lambda: NOON)


async def test_next_and_opening_claim_for_the_terms_length_by_their_clock(fakes: Fakes) -> None:
    """ "Next" claims the oldest photo until the clock's now plus the claim length; another
    moderator opening it is told that claim, and may take it over on the same terms.
    """
    first = await in_review(fakes.ports, SKU)
    second = await in_review(fakes.ports, SKU)
    claimed = await claim_next(fakes.catalog, "sam", TERMS)
    assert claimed is not None and claimed.id == first.id
    sams = ReviewClaim(first.id, "sam", NOON + timedelta(minutes=7))
    assert await open_for_review(fakes.catalog, first.id, "mia", TERMS) == sams
    assert await claims_on(fakes.catalog, [first, second], TERMS) == {first.id: sams}
    taken = await open_for_review(fakes.catalog, first.id, "mia", TERMS, take_over=True)
    assert taken == ReviewClaim(first.id, "mia", NOON + timedelta(minutes=7))


async def test_opening_a_photo_not_in_review_claims_nothing(fakes: Fakes) -> None:
    """A photo already decided opens without a claim, and no claims are asked for no photos."""
    decided = await in_review(fakes.ports, SKU)
    await fakes.catalog.transition(
        decided.id, allowed_from={Status.NEEDS_REVIEW, *SCANNABLE}, to=Status.REJECTED, actor="t"
    )
    assert await open_for_review(fakes.catalog, decided.id, "sam", TERMS) is None
    assert await claim_next(fakes.catalog, "sam", TERMS) is None
    assert await claims_on(fakes.catalog, [], TERMS) == {}


async def test_next_with_none_free_keeps_each_moderator_on_the_photo_they_hold(
    fakes: Fakes,
) -> None:
    """With Sam and Mia each holding one of two photos, "next" frees neither and keeps each on
    their own, not alone; once Mia's is decided Sam's is alone; who holds none is kept on none.
    """
    first = await in_review(fakes.ports, SKU)
    second = await in_review(fakes.ports, SKU)
    await claim_next(fakes.catalog, "sam", TERMS)
    await claim_next(fakes.catalog, "mia", TERMS)
    assert await claim_next(fakes.catalog, "sam", TERMS) is None
    sams = await kept_on_next(fakes.catalog, "sam", TERMS)
    assert sams is not None and (sams.submission.id, sams.alone) == (first.id, False)
    await fakes.catalog.transition(
        second.id, allowed_from={Status.NEEDS_REVIEW}, to=Status.REJECTED, actor="t"
    )
    alone = await kept_on_next(fakes.catalog, "sam", TERMS)
    assert alone is not None and (alone.submission.id, alone.alone) == (first.id, True)
    assert await kept_on_next(fakes.catalog, "mia", TERMS) is None


@pytest.mark.usefixtures("clean_env")
def test_the_claim_length_defaults_to_five_minutes() -> None:
    """Unset, PHOTOGATE_CONSOLE__CLAIM_MINUTES is 5, as the README's table says."""
    default = load_settings().console.claim_minutes
    assert default == 5
    assert f"| `PHOTOGATE_CONSOLE__CLAIM_MINUTES` | `{default}` |" in README.read_text()


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("minutes", ["0", "61", "soon"])
def test_a_claim_length_out_of_range_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, minutes: str
) -> None:
    """A claim of no time, of over an hour, or not a number, stops start-up naming the variable."""
    monkeypatch.setenv("PHOTOGATE_CONSOLE__CLAIM_MINUTES", minutes)
    with pytest.raises(ConfigError, match="PHOTOGATE_CONSOLE__CLAIM_MINUTES"):
        load_settings()
