"""Claims as console pages show them: how long they last, and who holds each, by the viewer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from photogate.bootstrap import Services
from photogate.domain.moderation import ReviewClaim
from photogate.entrypoints.web.console.auth import Staff
from photogate.entrypoints.web.console.decided import when
from photogate.moderation.claims import ClaimTerms


@dataclass(frozen=True)
class ClaimView:
    """A claim as a page shows it: who holds it (the viewer or someone else), until when."""

    moderator: str
    until: str
    mine: bool


def claim_terms(services: Services) -> ClaimTerms:
    """How long the console's claims last (PHOTOGATE_CONSOLE__CLAIM_MINUTES), by its clock."""
    minutes = services.settings.console.claim_minutes
    return ClaimTerms(timedelta(minutes=minutes), services.clock)


def claim_views(
    claims: Mapping[str, ReviewClaim], staff: Staff, now: datetime
) -> dict[str, ClaimView]:
    """The claims by submission id, as `staff` sees them at `now`."""
    return {sid: claim_view(claim, staff, now) for sid, claim in claims.items()}


def claim_view(claim: ReviewClaim, staff: Staff, now: datetime) -> ClaimView:
    """One claim as `staff` sees it at `now`."""
    return ClaimView(claim.moderator, when(claim.until, now), claim.held_by(staff.username))
