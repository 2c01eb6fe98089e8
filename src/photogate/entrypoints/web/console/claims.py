"""Claims in the console: "next photo" gives each moderator a different one, and a photo someone
else is reviewing can be taken over (claim_view says who has which on the pages).
"""

from __future__ import annotations

from typing import Final
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response

from photogate.entrypoints.web.console.auth import ModeratorAction
from photogate.entrypoints.web.console.claim_view import claim_terms
from photogate.entrypoints.web.console.rendering import HOME, decided_first, see_other
from photogate.entrypoints.web.deps import ServicesDep
from photogate.moderation.claims import claim_next, kept_on_next, open_for_review

SUBMISSION: Final = "/console/submissions/"

router = APIRouter(prefix="/console", include_in_schema=False)


def page_of(submission_id: str) -> str:
    """The console page of one submission."""
    return SUBMISSION + quote(submission_id, safe="")


@router.post("/review/next")
async def next_photo(action: ModeratorAction, services: ServicesDep) -> Response:
    """Claim the oldest photo no one is reviewing and open it; if none is free, back to the
    photo the moderator is reviewing, saying so, or to the queue if they have none.
    """
    terms = claim_terms(services)
    catalog, username = services.ports.catalog, action.staff.username
    claimed = await claim_next(catalog, username, terms)
    if claimed is not None:
        return see_other(page_of(claimed.id))
    kept = await kept_on_next(catalog, username, terms)
    if kept is None:
        return see_other(HOME, "none_free")
    return see_other(page_of(kept.submission.id), "only_yours" if kept.alone else "others_taken")


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
