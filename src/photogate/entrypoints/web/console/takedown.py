"""Published photos, searchable by SKU, and taking one down: a reason, then a confirmation.

A takedown cannot be undone (the renditions are deleted), so the form only leads to a page
showing the photo and the reason; the photo goes only when that page's button is pressed.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from photogate.bootstrap import Services
from photogate.domain.moderation import TAKEDOWN_LABELS, TakedownCode, moderator_actor
from photogate.domain.submission import Status
from photogate.entrypoints.web.console.auth import Action, ModeratorAction, ModeratorPage
from photogate.entrypoints.web.console.decided import is_second_copy
from photogate.entrypoints.web.console.errors import Refused, as_refusal
from photogate.entrypoints.web.console.rendering import (
    decided_first,
    page_notice,
    render,
    safe_back,
    see_other,
)
from photogate.entrypoints.web.deps import ServicesDep
from photogate.entrypoints.web.paging import Offset
from photogate.moderation.takedown import take_down, takedown_reason

PAGE: Final = 24
PHOTOS: Final = "/console/photos"

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/photos")
async def photos_page(
    request: Request,
    staff: ModeratorPage,
    services: ServicesDep,
    sku: Annotated[str, Query(max_length=64)] = "",
    offset: Offset = 0,
) -> HTMLResponse:
    """Published customer photos, newest first, narrowed to SKUs starting with `sku`."""
    sku = sku.strip()
    catalog = services.ports.catalog
    photos, total = await catalog.list_published(sku_prefix=sku, limit=PAGE, offset=offset)
    context = {
        "photos": photos,
        "total": total,
        "sku": sku,
        "offset": offset,
        "next_offset": offset + PAGE if offset + PAGE < total else None,
        "reasons": TAKEDOWN_LABELS,
    }
    notice = await page_notice(request, catalog)
    return render(request, "photos.html", context, staff=staff, notice=notice)


@router.post("/submissions/{submission_id}/takedown")
async def confirm_takedown(
    request: Request, submission_id: str, action: ModeratorAction, services: ServicesDep
) -> Response:
    """The takedown form's first step: check the reason, then show the photo with it and ask
    to confirm. Nothing changes yet.
    """
    back = safe_back(action.field("back"), PHOTOS)
    code, _ = _reason(action)
    catalog = services.ports.catalog
    submission = await catalog.get_submission(submission_id)
    if submission is None:
        raise Refused(404, "There is no submission with this id.")
    photo = await catalog.get_photo(submission_id)
    if photo is None or submission.status is not Status.APPROVED:
        return decided_first(back, submission_id)
    product = await catalog.get_product(submission.sku)
    context = {
        "s": submission,
        "photo": photo,
        "product_name": product.name if product else submission.sku,
        "code": code,
        "label": TAKEDOWN_LABELS[code],
        "note": action.field("note"),
        "back": back,
    }
    return render(request, "takedown_confirm.html", context, staff=action.staff)


@router.post("/submissions/{submission_id}/takedown/confirm")
async def takedown(submission_id: str, action: ModeratorAction, services: ServicesDep) -> Response:
    """Unpublish the photo: renditions deleted, gallery row gone, the audit keeps why."""
    done = await _take_down_as(action, submission_id, services)
    if not done:  # a second copy of this moderator's own takedown is answered as the first
        actor, now = moderator_actor(action.staff.username), services.clock()
        catalog = services.ports.catalog
        done = await is_second_copy(catalog, submission_id, actor, Status.TAKEN_DOWN, now)
    back = safe_back(action.field("back"), PHOTOS)
    return see_other(back, "taken_down") if done else decided_first(back, submission_id)


async def _take_down_as(action: Action, submission_id: str, services: Services) -> bool:
    """Take the photo down for the form's reason, signed by who sent it."""
    _, reason = _reason(action)
    with as_refusal():
        return await take_down(
            submission_id,
            actor=moderator_actor(action.staff.username),
            reason=reason,
            ports=services.ports,
        )


def _reason(action: Action) -> tuple[TakedownCode, str]:
    """The form's reason code, and the audit reason it makes with the note; refused unless the
    code is a listed one (and, for "other", there is a note).
    """
    try:
        code = TakedownCode(action.field("reason"))
    except ValueError:
        raise Refused(422, "Choose one of the listed reasons for the takedown.") from None
    with as_refusal():
        return code, takedown_reason(code, action.field("note"))
