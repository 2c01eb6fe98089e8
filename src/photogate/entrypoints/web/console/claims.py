"""Claims in the console: "next photo" gives each moderator a different one, and a photo someone
else is reviewing can be taken over; the review queue and the photo's page say who has which.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response

from photogate.bootstrap import Services
from photogate.domain.moderation import ReviewClaim
from photogate.entrypoints.web.console.auth import ModeratorAction, Staff
from photogate.entrypoints.web.console.decided import when
from photogate.entrypoints.web.console.rendering import HOME, decided_first, see_other
from photogate.entrypoints.web.deps import ServicesDep
from photogate.moderation.claims import ClaimTerms, claim_next, held_alone, open_for_review

SUBMISSION: Final = "/console/submissions/"

router = APIRouter(prefix="/console", include_in_schema=False)


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


def page_of(submission_id: str) -> str:
    """The console page of one submission."""
    return SUBMISSION + quote(submission_id, safe="")


@router.post("/review/next")
async def next_photo(action: ModeratorAction, services: ServicesDep) -> Response:
    """Claim the oldest photo no one is reviewing and open it; the queue says so if none is
    free, and the moderator's own photo if it is the only one waiting.
    """
    terms = claim_terms(services)
    catalog, username = services.ports.catalog, action.staff.username
    claimed = await claim_next(catalog, username, terms)
    if claimed is not None:
        return see_other(page_of(claimed.id))
    yours = await held_alone(catalog, username, terms)
    return see_other(page_of(yours.id), "only_yours") if yours else see_other(HOME, "none_free")


@router.post("/submissions/{submission_id}/take-over")
async def take_over(submission_id: str, action: ModeratorAction, services: ServicesDep) -> Response:
    """Claim a photo someone else is reviewing (they may be away): its page then offers the
    decisions. A photo already decided says who decided it.
    """
    page = page_of(submission_id)
    terms = claim_terms(services)
    catalog, username = services.ports.catalog, action.staff.username
    claim = await open_for_review(catalog, submission_id, username, terms, take_over=True)
    return see_other(page, "taken_over") if claim else decided_first(page, submission_id)
