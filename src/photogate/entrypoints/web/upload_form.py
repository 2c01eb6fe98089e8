"""POST /products/{sku}/photos: the product page's form as sent without JavaScript, answered
with pages. The same steps, limits and checks as the API route; its JSON stays for API clients
and upload.js.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from photogate.bootstrap import Services
from photogate.entrypoints.web.api import product_or_404
from photogate.entrypoints.web.deps import ServicesDep
from photogate.entrypoints.web.form_errors import form_error, typed_fields
from photogate.entrypoints.web.pages import product_context
from photogate.entrypoints.web.schemas import product_page_url, status_page_url
from photogate.entrypoints.web.templating import templates
from photogate.entrypoints.web.upload import accept_received, admit_photo
from photogate.errors import InputError, RateLimited

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.post("/products/{sku}/photos", response_model=None)
async def send_photo_form(sku: str, request: Request, services: ServicesDep) -> Response:
    """Take the photo and answer 303 See Other to its status page (or, for the same file sent
    again, to the earlier one's); on a refusal, the product page again with the message by
    the field at fault and what was typed kept. A refusal before the form was read (too many
    photos, a file over the limit) cannot keep the typed fields: they were never read.
    """
    await product_or_404(services.ports.catalog, sku)
    try:
        received = await admit_photo(request, services)
    except InputError as exc:
        return await _refused(request, sku, services, exc, {})
    try:
        taken = await accept_received(sku, received, services)
    except InputError as exc:
        return await _refused(request, sku, services, exc, received.fields)
    finally:
        received.discard()
    return RedirectResponse(status_page_url(taken.submission.id), status_code=303)


@router.get("/products/{sku}/photos")
async def photo_form(sku: str) -> RedirectResponse:
    """The address a refused form was shown at, opened again: the form is on the product page."""
    return RedirectResponse(f"{product_page_url(sku)}#share", status_code=303)


async def _refused(
    request: Request,
    sku: str,
    services: Services,
    exc: InputError,
    fields: Mapping[str, str],
) -> HTMLResponse:
    settings = services.settings
    context = await product_context(
        services,
        sku,
        typed=typed_fields(fields, settings.privacy.licence_version),
        error=form_error(exc.code, exc.detail, settings.uploads),
    )
    response = templates().TemplateResponse(
        request, "product.html", context, status_code=exc.status
    )
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(round(exc.retry_after))
    return response
