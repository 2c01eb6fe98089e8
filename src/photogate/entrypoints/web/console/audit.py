"""One submission's whole story (details, scan, audit trail), and the audit trail as CSV."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from photogate.bootstrap import Services
from photogate.domain.moderation import REASON_LABELS, TAKEDOWN_LABELS
from photogate.domain.submission import Status, Submission
from photogate.entrypoints.web.console.auth import AdminResource, ModeratorPage, Staff
from photogate.entrypoints.web.console.claim_view import ClaimView, claim_terms, claim_view
from photogate.entrypoints.web.console.errors import Refused
from photogate.entrypoints.web.console.rendering import page_notice, render
from photogate.entrypoints.web.console.screening_view import screening_view
from photogate.entrypoints.web.console.undo_offer import offer_for
from photogate.entrypoints.web.deps import ServicesDep
from photogate.moderation.audit_export import audit_csv
from photogate.moderation.claims import open_for_review

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/submissions/{submission_id}")
async def submission_page(
    request: Request, submission_id: str, staff: ModeratorPage, services: ServicesDep
) -> HTMLResponse:
    """Everything about one submission, every state change it went through, and its actions.

    Opening a photo in review claims it for the viewer, unless someone else is reviewing it:
    then the page says who, and offers to take it over instead of the decisions.
    """
    catalog = services.ports.catalog
    submission = await catalog.get_submission(submission_id)
    if submission is None:
        raise Refused(404, "There is no submission with this id.")
    claim = await _claimed_on_opening(submission, staff, services)
    product = await catalog.get_product(submission.sku)
    product_name = product.name if product else submission.sku
    trail = await catalog.audit_trail(submission_id)
    context = {
        "s": submission,
        "product_name": product_name,
        "trail": trail,
        "undo_offer": offer_for(services, submission, product_name, trail),
        "photo": await catalog.get_photo(submission_id),
        "reasons": REASON_LABELS,
        "takedown_reasons": TAKEDOWN_LABELS,
        "in_review": submission.status is Status.NEEDS_REVIEW,
        "claim": claim,
        "published": submission.status is Status.APPROVED,
        "screening": await screening_view(submission, catalog, services.scan_policy.screener),
    }
    notice = await page_notice(request, catalog, submission_id)
    return render(request, "submission.html", context, staff=staff, notice=notice)


async def _claimed_on_opening(
    submission: Submission, staff: Staff, services: Services
) -> ClaimView | None:
    """The claim on a photo in review once `staff` opened it: theirs, or someone else's."""
    if submission.status is not Status.NEEDS_REVIEW:
        return None
    terms = claim_terms(services)
    catalog = services.ports.catalog
    claim = await open_for_review(catalog, submission.id, staff.username, terms)
    return None if claim is None else claim_view(claim, staff, terms.clock())


@router.get("/audit.csv")
async def audit_export(staff: AdminResource, services: ServicesDep) -> StreamingResponse:
    """Every recorded state change, oldest first, streamed as CSV (admins only)."""
    headers = {
        "Content-Disposition": 'attachment; filename="photogate-audit.csv"',
        "Cache-Control": "no-store",
    }
    chunks = _encoded(audit_csv(services.ports.catalog))
    return StreamingResponse(chunks, media_type="text/csv; charset=utf-8", headers=headers)


async def _encoded(chunks: AsyncIterator[str]) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        yield chunk.encode()
