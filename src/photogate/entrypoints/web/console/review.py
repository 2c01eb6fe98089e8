"""The review queue: photos the scanner left to people, approved or rejected with a reason."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from photogate.bootstrap import Services
from photogate.domain.moderation import REASON_LABELS, ReasonCode, moderator_actor
from photogate.domain.submission import Status, Submission
from photogate.entrypoints.web.console.auth import ModeratorAction, ModeratorPage
from photogate.entrypoints.web.console.claim_view import claim_terms, claim_views
from photogate.entrypoints.web.console.decided import is_second_copy
from photogate.entrypoints.web.console.errors import Refused, as_refusal
from photogate.entrypoints.web.console.rendering import (
    HOME,
    decided_first,
    page_notice,
    render,
    safe_back,
    see_other,
    undo_asked,
    undo_offered,
)
from photogate.entrypoints.web.console.screening_view import screening_views
from photogate.entrypoints.web.console.undo_offer import UndoOffer, undo_offer
from photogate.entrypoints.web.deps import ServicesDep, undo_window
from photogate.entrypoints.web.paging import Offset
from photogate.moderation.claims import claims_on
from photogate.moderation.review import approve_submission, reject_submission, review_queue
from photogate.ports import Catalog

PAGE: Final = 20
# The value of the "Approve without the caption" button.
DROP_CAPTION: Final = "yes"

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
    """Everything waiting for people, oldest first, with the photo, scores, caption and the
    product it was sent for, and who is reviewing it; an offset past the end shows the last page.
    """
    catalog = services.ports.catalog
    waiting, total, offset = await _queue_page(catalog, offset)
    products = {p.sku: p for p in await catalog.list_products()}
    terms = claim_terms(services)
    claims = await claims_on(catalog, waiting, terms)
    context = {
        "submissions": waiting,
        "total": total,
        "offset": offset,
        "previous_offset": max(offset - PAGE, 0) if offset else None,
        "next_offset": offset + PAGE if offset + PAGE < total else None,
        "here": queue_address(offset),
        "products": products,
        "reasons": REASON_LABELS,
        "screening": await screening_views(waiting, catalog, services.scan_policy.screener),
        "claims": claim_views(claims, staff, terms.clock()),
        "undo_offer": await _undo_offer(request, services),
    }
    notice = await page_notice(request, catalog)
    return render(request, "review.html", context, staff=staff, notice=notice)


async def _undo_offer(request: Request, services: Services) -> UndoOffer | None:
    """The Undo under a rejection's notice: for the photo the URL names, while it still can be."""
    asked = undo_asked(request)
    return None if asked is None else await undo_offer(services, asked)


def queue_address(offset: int) -> str:
    """The review queue's page at `offset`: where a decision taken on it returns to."""
    return f"{HOME}?offset={offset}" if offset else HOME


async def _queue_page(catalog: Catalog, offset: int) -> tuple[list[Submission], int, int]:
    """The page at `offset`, its total and offset; the last page if `offset` is past the end
    (the queue shrank while a moderator worked through it).
    """
    waiting, total = await review_queue(catalog, limit=PAGE, offset=offset)
    if waiting or not total:
        return waiting, total, offset
    last = (total - 1) // PAGE * PAGE
    waiting, total = await review_queue(catalog, limit=PAGE, offset=last)
    return waiting, total, last


@router.post("/submissions/{submission_id}/approve")
async def approve(submission_id: str, action: ModeratorAction, services: ServicesDep) -> Response:
    """Publish the photo through the same path as an automatic approval, with its caption or,
    if the moderator chose so, without it.
    """
    with as_refusal():
        done = await approve_submission(
            submission_id,
            moderator=action.staff.username,
            ports=services.ports,
            drop_caption=action.field("drop_caption") == DROP_CAPTION,
        )
    done = done or await _repeated(action, submission_id, services, Status.APPROVED)
    return _decided(action, submission_id, "approved" if done else None)


@router.post("/submissions/{submission_id}/reject")
async def reject(submission_id: str, action: ModeratorAction, services: ServicesDep) -> Response:
    """Refuse the photo with a reason code (and a note); maybe tell the customer kindly, after
    the window in which the rejection's notice offers to undo it.
    """
    undo = undo_window(services)
    with as_refusal():
        done = await reject_submission(
            submission_id,
            moderator=action.staff.username,
            code=_reason_code(action.field("reason")),
            note=action.field("note"),
            notify=services.settings.console.notify_rejections,
            ports=services.ports,
            undo=undo,
        )
    done = done or await _repeated(action, submission_id, services, Status.REJECTED)
    if done and undo is not None:
        return see_other(undo_offered(safe_back(action.field("back")), submission_id), "rejected")
    return _decided(action, submission_id, "rejected" if done else None)


async def _repeated(
    action: ModeratorAction, submission_id: str, services: Services, outcome: Status
) -> bool:
    """Whether this moderator's own decision came first: this form is a second copy of it."""
    actor, now = moderator_actor(action.staff.username), services.clock()
    return await is_second_copy(services.ports.catalog, submission_id, actor, outcome, now)


def _decided(action: ModeratorAction, submission_id: str, notice: str | None) -> Response:
    """Back to the page the form came from, saying what was done, or (None) who decided first."""
    back = safe_back(action.field("back"))
    return see_other(back, notice) if notice else decided_first(back, submission_id)


def _reason_code(value: str) -> ReasonCode:
    try:
        return ReasonCode(value)
    except ValueError:
        raise Refused(422, "Choose one of the listed reasons for the rejection.") from None
