"""The console's confirmation tokens for erasures, and its "who decided first" notice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from photogate.domain.submission import AuditEntry, Status
from photogate.entrypoints.web.console.decided import own_repeat, settled_notice
from photogate.entrypoints.web.console.erase_confirmation import (
    EXPIRED,
    INVALID,
    TTL_S,
    Asked,
    confirmation,
    confirmed_plan,
)
from photogate.entrypoints.web.console.errors import Refused
from photogate.entrypoints.web.console.session import SessionCodec
from photogate.privacy.erase import ErasurePlan

CODEC = SessionCodec(b"k" * 32, 3600)
ASKED = Asked("ada", "Ana@example.com", "T-42")
PLAN = ErasurePlan(submissions=2, published=1)
NOW = 1_700_000_000.0


def test_a_confirmation_gives_back_the_plan_it_was_made_for() -> None:
    """The same admin, address (in any case) and reference get the confirmed counts back."""
    token = confirmation(CODEC, ASKED, PLAN, NOW)
    same = Asked("ada", " ana@EXAMPLE.com", "T-42")
    assert confirmed_plan(CODEC, same, token, NOW + TTL_S - 1) == PLAN


@pytest.mark.parametrize(
    "asked",
    [
        Asked("sam", ASKED.email, ASKED.reference),
        Asked("ada", "bob@example.com", ASKED.reference),
        Asked("ada", ASKED.email, "T-43"),
    ],
)
def test_a_confirmation_is_refused_for_another_admin_address_or_reference(asked: Asked) -> None:
    """A token made for one request confirms no other (400, nothing erased)."""
    token = confirmation(CODEC, ASKED, PLAN, NOW)
    with pytest.raises(Refused) as refused:
        confirmed_plan(CODEC, asked, token, NOW)
    assert (refused.value.status, refused.value.message) == (400, INVALID)


@pytest.mark.parametrize(
    "change",
    [
        lambda t: "9" + t[1:],  # more submissions than were shown
        lambda t: t[:-2] + "AA",  # a damaged signature
        lambda t: "",
        lambda t: "².1.9.sig",
        lambda t: "nonsense",
    ],
)
def test_a_changed_or_malformed_confirmation_is_refused(change: object) -> None:
    """Changed counts, a damaged signature or garbage are a 400 with the same sentence."""
    token = confirmation(CODEC, ASKED, PLAN, NOW)
    with pytest.raises(Refused) as refused:
        confirmed_plan(CODEC, ASKED, change(token), NOW)  # type: ignore[operator]
    assert (refused.value.status, refused.value.message) == (400, INVALID)


def test_a_confirmation_expires() -> None:
    """Past its lifetime a genuine token is a 410 that says to start again."""
    token = confirmation(CODEC, ASKED, PLAN, NOW)
    with pytest.raises(Refused) as refused:
        confirmed_plan(CODEC, ASKED, token, NOW + TTL_S)
    assert (refused.value.status, refused.value.message) == (410, EXPIRED)


def entry(actor: str, to: Status, at: datetime) -> AuditEntry:
    return AuditEntry("s1", Status.NEEDS_REVIEW, to, actor, None, at)


@pytest.mark.parametrize(
    ("actor", "to", "said"),
    [
        ("moderator:mia", Status.APPROVED, "mia approved it at 10:42 UTC"),
        ("moderator:noah", Status.REJECTED, "noah rejected it at 10:42 UTC"),
        ("moderator:mia", Status.TAKEN_DOWN, "mia took it down at 10:42 UTC"),
        ("customer:withdrawal-link", Status.ERASED, "the customer erased it at 10:42 UTC"),
        ("scanner:v2", Status.FAILED, "the scanner moved it to failed at 10:42 UTC"),
        ("operator:root", Status.APPROVED, "root approved it at 10:42 UTC"),
    ],
)
def test_the_settled_notice_names_who_did_what(actor: str, to: Status, said: str) -> None:
    """The notice says who made the last decision, what it was and when."""
    at = datetime(2025, 3, 5, 10, 42, 7, tzinfo=UTC)
    notice = settled_notice(entry(actor, to, at), at.replace(hour=11))
    assert notice == f"Someone else decided on this photo first: {said}. Nothing was changed."


def test_the_settled_notice_gives_the_date_of_an_older_decision() -> None:
    """A decision of another day names the day too."""
    at = datetime(2025, 3, 5, 10, 42, tzinfo=UTC)
    notice = settled_notice(
        entry("moderator:mia", Status.APPROVED, at), datetime(2025, 3, 6, tzinfo=UTC)
    )
    assert "mia approved it at 10:42 UTC on 05 Mar 2025." in notice


def test_only_a_decision_made_moments_ago_by_the_same_moderator_is_a_repeat() -> None:
    """A double click finds its own decision seconds old; a tab left open for hours, or
    another moderator's decision, or another outcome, is not a repeat.
    """
    now = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
    rejected = AuditEntry("s1", Status.NEEDS_REVIEW, Status.REJECTED, "moderator:sam", "spam", now)
    trail = [rejected]
    assert own_repeat(trail, "moderator:sam", Status.REJECTED, now + timedelta(seconds=5))
    assert not own_repeat(trail, "moderator:sam", Status.REJECTED, now + timedelta(hours=3))
    assert not own_repeat(trail, "moderator:ada", Status.REJECTED, now)
    assert not own_repeat(trail, "moderator:sam", Status.APPROVED, now)
    assert not own_repeat([], "moderator:sam", Status.REJECTED, now)
