"""Published photos, searchable by SKU, and taking one down."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from photogate.domain.moderation import moderator_actor
from photogate.entrypoints.web.console.auth import ModeratorAction, ModeratorPage
from photogate.entrypoints.web.console.errors import as_refusal
from photogate.entrypoints.web.console.rendering import render, safe_back, see_other
from photogate.entrypoints.web.deps import ServicesDep
from photogate.entrypoints.web.paging import Offset
from photogate.moderation.takedown import take_down

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
    }
    return render(request, "photos.html", context, staff=staff)


@router.post("/submissions/{submission_id}/takedown")
async def takedown(submission_id: str, action: ModeratorAction, services: ServicesDep) -> Response:
    """Unpublish the photo: renditions deleted, gallery row gone, the audit keeps why."""
    with as_refusal():
        done = await take_down(
            submission_id,
            actor=moderator_actor(action.staff.username),
            reason=action.field("reason"),
            ports=services.ports,
        )
    return see_other(
        safe_back(action.field("back"), PHOTOS), "taken_down" if done else "not_published"
    )
