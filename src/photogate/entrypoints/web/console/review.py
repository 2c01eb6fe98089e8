"""The review queue: photos the scanner left to people, approved or rejected with a reason."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from photogate.domain.moderation import REASON_LABELS, ReasonCode
from photogate.entrypoints.web.console.auth import ModeratorAction, ModeratorPage
from photogate.entrypoints.web.console.errors import Refused, as_refusal
from photogate.entrypoints.web.console.rendering import HOME, render, safe_back, see_other
from photogate.entrypoints.web.console.screening_view import screening_views
from photogate.entrypoints.web.deps import ServicesDep
from photogate.entrypoints.web.paging import Offset
from photogate.moderation.review import approve_submission, reject_submission, review_queue

PAGE: Final = 20

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("")
async def console_home(staff: ModeratorPage) -> Response:
    """The console opens on the review queue."""
    return see_other(HOME)


@router.get("/review")
async def review_page(
    request: Request,
    staff: ModeratorPage,
    services: ServicesDep,
    offset: Offset = 0,
) -> HTMLResponse:
    """Everything waiting for people, oldest first, with the photo, scores and caption."""
    catalog = services.ports.catalog
    waiting, total = await review_queue(catalog, limit=PAGE, offset=offset)
    products = {p.sku: p.name for p in await catalog.list_products()}
    context = {
        "submissions": waiting,
        "total": total,
        "offset": offset,
        "next_offset": offset + PAGE if offset + PAGE < total else None,
        "products": products,
        "reasons": REASON_LABELS,
        "screening": await screening_views(waiting, catalog, services.scan_policy.screener),
    }
    return render(request, "review.html", context, staff=staff)


@router.post("/submissions/{submission_id}/approve")
async def approve(submission_id: str, action: ModeratorAction, services: ServicesDep) -> Response:
    """Publish the photo through the same path as an automatic approval."""
    with as_refusal():
        done = await approve_submission(
            submission_id, moderator=action.staff.username, ports=services.ports
        )
    return see_other(safe_back(action.field("back")), "approved" if done else "settled")


@router.post("/submissions/{submission_id}/reject")
async def reject(submission_id: str, action: ModeratorAction, services: ServicesDep) -> Response:
    """Refuse the photo with a reason code (and a note); maybe tell the customer kindly."""
    with as_refusal():
        done = await reject_submission(
            submission_id,
            moderator=action.staff.username,
            code=_reason_code(action.field("reason")),
            note=action.field("note"),
            notify=services.settings.console.notify_rejections,
            ports=services.ports,
        )
    return see_other(safe_back(action.field("back")), "rejected" if done else "settled")


def _reason_code(value: str) -> ReasonCode:
    try:
        return ReasonCode(value)
    except ValueError:
        raise Refused(422, "Choose one of the listed reasons for the rejection.") from None
