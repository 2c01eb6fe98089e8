"""The storefront's HTML pages: products, a product with its photos and form, an upload's status."""

from __future__ import annotations

from math import ceil
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from photogate.bootstrap import Services
from photogate.domain.submission import FINAL
from photogate.entrypoints.web.api import product_or_404
from photogate.entrypoints.web.deps import ServicesDep, undo_window
from photogate.entrypoints.web.direct_upload import uploads_api_url
from photogate.entrypoints.web.form_errors import (
    NOTHING_TYPED,
    FormError,
    TypedFields,
    error_table,
)
from photogate.entrypoints.web.paging import Offset
from photogate.entrypoints.web.schemas import photo_out, product_out, product_page_url
from photogate.entrypoints.web.status import customer_view
from photogate.entrypoints.web.templating import templates
from photogate.intake.direct_upload import direct_uploads
from photogate.intake.form import MAX_DISPLAY_NAME
from photogate.intake.image_check import MIN_SIDE

GALLERY_PAGE: Final = 12
# A status page shown without scripts reloads itself this often until the photo is settled.
NO_SCRIPT_REFRESH_S: Final = 10
# The status page's step each state is at (any other: the last, "done"); status.js is given it.
STEPS: Final = {
    "awaiting_upload": "waiting",
    "received": "waiting",
    "queued": "waiting",
    "scanning": "scanning",
}

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/")
async def home(request: Request, services: ServicesDep) -> HTMLResponse:
    """Every product as a card with its marketing photo and number of customer photos."""
    catalog = services.ports.catalog
    counts = await catalog.photo_counts()
    products = [product_out(p, counts.get(p.sku, 0)) for p in await catalog.list_products()]
    return templates().TemplateResponse(request, "index.html", {"products": products})


@router.get("/products/{sku}")
async def product_page(
    request: Request,
    sku: str,
    services: ServicesDep,
    offset: Offset = 0,
) -> HTMLResponse:
    """The product, its approved customer photos, and the form to send one."""
    context = await product_context(services, sku, offset)
    return templates().TemplateResponse(request, "product.html", context)


async def product_context(
    services: Services,
    sku: str,
    offset: int = 0,
    *,
    typed: TypedFields = NOTHING_TYPED,
    error: FormError | None = None,
) -> dict[str, object]:
    """What product.html shows; `typed` and `error` put a refused form back as it was sent."""
    catalog, limits = services.ports.catalog, services.settings.uploads
    product = await product_or_404(catalog, sku)
    photos, total = await catalog.list_photos(sku, limit=GALLERY_PAGE, offset=offset)
    return {
        "product": product_out(product, total),
        "photos": [photo_out(p) for p in photos],
        "next_offset": offset + GALLERY_PAGE if offset + GALLERY_PAGE < total else None,
        "form_url": photo_form_url(sku),
        "max_bytes": limits.max_bytes,
        "max_mib": f"{limits.max_bytes / (1024 * 1024):g}",
        "max_megapixels": f"{limits.max_pixels / 1_000_000:g}",
        "min_side": MIN_SIDE,
        "max_caption": limits.max_caption,
        "max_display_name": MAX_DISPLAY_NAME,
        "licence_version": services.settings.privacy.licence_version,
        "tells_rejections": services.settings.console.notify_rejections,
        # The page sends the photo straight to storage when the blob store can grant that.
        "direct_upload_url": uploads_api_url(sku) if direct_uploads(services) else "",
        "errors": error_table(limits),
        "typed": typed,
        "error": error,
    }


def photo_form_url(sku: str) -> str:
    """Where the product page's form posts when no script sends it (answered with pages)."""
    return f"{product_page_url(sku)}/photos"


@router.get("/submissions/{submission_id}")
async def submission_page(
    request: Request, submission_id: str, services: ServicesDep
) -> HTMLResponse:
    """The upload's status; it polls the API by itself until the photo is settled (a rejection
    a moderator may still undo shows as in review, and is not settled).
    """
    view = await customer_view(services.ports.catalog, submission_id, undo_window(services))
    status = view.status
    product = await services.ports.catalog.get_product(status.sku)
    context = {
        "s": status,
        "product_name": product.name if product else status.sku,
        "final": status.status in FINAL and not view.undecided_for,
        # status.js stops polling at these: the page tells it, so the two cannot drift.
        "final_states": " ".join(sorted(FINAL)),
        # ...but only once this is over: until then an "in review" may still become "rejected".
        "final_after_ms": ceil(view.undecided_for.total_seconds() * 1000),
        # Without scripts the page reloads itself this often until then.
        "refresh_s": NO_SCRIPT_REFRESH_S,
        "current_step": STEPS.get(status.status, "done"),
        "steps": " ".join(f"{state}:{step}" for state, step in STEPS.items()),
    }
    return templates().TemplateResponse(request, "submission.html", context)
