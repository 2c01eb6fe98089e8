"""The read-only JSON API: products, their approved photos, a submission's status, health."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from photogate.domain.catalog import Product
from photogate.entrypoints.web.deps import ServicesDep, undo_window
from photogate.entrypoints.web.paging import Offset
from photogate.entrypoints.web.readiness import unreachable
from photogate.entrypoints.web.schemas import (
    ErrorOut,
    PhotoPage,
    ProductOut,
    SubmissionOut,
    photo_out,
    photos_api_url,
    product_out,
)
from photogate.entrypoints.web.status import submission_status
from photogate.errors import NotFound
from photogate.ports import Catalog

PAGE_SIZE: Final = 24
MAX_PAGE_SIZE: Final = 100
NOT_FOUND: Final[dict[int | str, dict[str, Any]]] = {
    404: {"model": ErrorOut, "description": "No such product or submission"}
}
# A probe's answer is about this moment: no cache between it and the instance may keep it.
NO_STORE: Final = {"Cache-Control": "no-store"}

router = APIRouter(prefix="/api", tags=["catalog"])
health = APIRouter(tags=["health"])


@router.get("/products", summary="All products")
async def list_products(services: ServicesDep) -> list[ProductOut]:
    """Every product, by SKU, with its number of approved customer photos."""
    catalog = services.ports.catalog
    counts = await catalog.photo_counts()
    return [product_out(p, counts.get(p.sku, 0)) for p in await catalog.list_products()]


@router.get("/products/{sku}", summary="One product", responses=NOT_FOUND)
async def get_product(sku: str, services: ServicesDep) -> ProductOut:
    """One product and its number of approved customer photos."""
    catalog = services.ports.catalog
    product = await product_or_404(catalog, sku)
    counts = await catalog.photo_counts()
    return product_out(product, counts.get(sku, 0))


@router.get("/products/{sku}/photos", summary="A product's customer photos", responses=NOT_FOUND)
async def list_photos(
    sku: str,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = PAGE_SIZE,
    offset: Offset = 0,
) -> PhotoPage:
    """A page of the product's approved photos, newest first; follow `next` for more."""
    catalog = services.ports.catalog
    await product_or_404(catalog, sku)
    photos, total = await catalog.list_photos(sku, limit=limit, offset=offset)
    following = offset + limit
    next_url = f"{photos_api_url(sku)}?limit={limit}&offset={following}"
    return PhotoPage(
        items=[photo_out(p) for p in photos],
        total=total,
        limit=limit,
        offset=offset,
        next=next_url if following < total else None,
    )


@router.get("/submissions/{submission_id}", summary="Where an upload stands", responses=NOT_FOUND)
async def get_submission(submission_id: str, services: ServicesDep) -> SubmissionOut:
    """The upload's status, its place in the queue while waiting, and its photo once approved."""
    return await submission_status(services.ports.catalog, submission_id, undo_window(services))


@health.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    """Answers as long as the web process serves requests."""
    return {"status": "ok"}


@health.get(
    "/readyz",
    summary="Readiness",
    responses={503: {"description": "The catalog or the queue did not answer"}},
)
async def readyz(services: ServicesDep) -> JSONResponse:
    """200 when the catalog database and the queue answer (uploads can be taken), else 503
    naming the ones that did not. Checked on every request; /healthz stays the liveness check.
    """
    failed = await unreachable(services.ports)
    if failed:
        body: dict[str, object] = {"status": "unavailable", "failed": failed}
        return JSONResponse(body, status_code=503, headers=NO_STORE)
    return JSONResponse({"status": "ready"}, headers=NO_STORE)


async def product_or_404(catalog: Catalog, sku: str) -> Product:
    """The product, or NotFound naming the SKU."""
    product = await catalog.get_product(sku)
    if product is None:
        raise NotFound("unknown_product", f"There is no product with SKU {sku[:64]!r}.")
    return product
