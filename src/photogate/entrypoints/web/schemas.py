"""The JSON the API speaks, and how domain objects become it (never an email, never quarantine)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from pydantic import BaseModel, Field

from photogate.domain.catalog import CustomerPhoto, Product, Rendition
from photogate.domain.submission import Status, Submission


class ErrorOut(BaseModel):
    """Every error: a machine-readable code and a sentence saying what to fix."""

    error: str = Field(examples=["consent_required"])
    detail: str


class RenditionOut(BaseModel):
    """One public, re-encoded version of a photo."""

    format: str = Field(examples=["webp"])
    width: int
    height: int
    url: str


class PhotoOut(BaseModel):
    """An approved customer photo as shown on a product page."""

    display_name: str
    caption: str
    approved_at: datetime
    width: int
    height: int
    placeholder: str = Field(description="A CSS colour to paint while the photo loads")
    url: str | None = Field(description="The largest JPEG rendition")
    renditions: list[RenditionOut]


class PhotoPage(BaseModel):
    """A page of a product's approved photos, newest first."""

    items: list[PhotoOut]
    total: int
    limit: int
    offset: int
    next: str | None = Field(description="The URL of the next page, if there is one")


class ProductOut(BaseModel):
    """A product and how many customer photos it has."""

    sku: str
    name: str
    description: str
    price_cents: int
    marketing_photos: list[str]
    photo_count: int
    page_url: str
    photos_url: str


class SubmissionOut(BaseModel):
    """Where an upload stands, in words fit for the customer who sent it."""

    id: str
    sku: str
    status: Status
    status_reason: str | None = Field(description="Why it ended this way, when it was not approved")
    message: str = Field(description="One sentence for the customer about where the photo is")
    created_at: datetime
    queue_position: int | None = Field(description="1 = next to be checked; only while waiting")
    photo: PhotoOut | None = Field(description="The published photo, once approved")
    product_url: str


class UploadAccepted(BaseModel):
    """The answer to an upload: it is stored and queued; follow status_url to see it through.

    With 200 and `duplicate` true, the customer had sent this very file for this product
    before: nothing new was stored, and the ids and links are those of that submission.
    """

    id: str
    status: Status
    status_url: str
    page_url: str
    # Only in the 200 answer to a repeat (the route leaves out fields that are None).
    duplicate: bool | None = Field(None, description="True: you had sent this very file before")
    message: str | None = Field(None, description="One sentence for the customer, if any")


def upload_accepted(
    submission: Submission, *, duplicate: bool | None = None, message: str | None = None
) -> UploadAccepted:
    """The answer to an upload (or, with `duplicate`, to a repeat) of `submission`."""
    return UploadAccepted(
        id=submission.id,
        status=submission.status,
        status_url=status_api_url(submission.id),
        page_url=status_page_url(submission.id),
        duplicate=duplicate,
        message=message,
    )


def product_out(product: Product, photo_count: int) -> ProductOut:
    """A product as the API shows it."""
    return ProductOut(
        sku=product.sku,
        name=product.name,
        description=product.description,
        price_cents=product.price_cents,
        marketing_photos=list(product.marketing_photos),
        photo_count=photo_count,
        page_url=product_page_url(product.sku),
        photos_url=photos_api_url(product.sku),
    )


def photo_out(photo: CustomerPhoto) -> PhotoOut:
    """A published photo, without the submission id (its URLs do not reveal it either)."""
    largest = photo.best("jpeg", photo.width)
    return PhotoOut(
        display_name=photo.display_name,
        caption=photo.caption,
        approved_at=photo.approved_at,
        width=photo.width,
        height=photo.height,
        placeholder=photo.placeholder,
        url=largest.url if largest else None,
        renditions=[_rendition_out(r) for r in photo.renditions],
    )


def _rendition_out(rendition: Rendition) -> RenditionOut:
    return RenditionOut(
        format=rendition.format,
        width=rendition.width,
        height=rendition.height,
        url=rendition.url,
    )


def product_page_url(sku: str) -> str:
    """The storefront page of a product."""
    return f"/products/{quote(sku, safe='')}"


def photos_api_url(sku: str) -> str:
    """The JSON list of a product's approved photos."""
    return f"/api/products/{quote(sku, safe='')}/photos"


def status_api_url(submission_id: str) -> str:
    """The JSON status of a submission."""
    return f"/api/submissions/{submission_id}"


def status_page_url(submission_id: str) -> str:
    """The self-updating status page of a submission."""
    return f"/submissions/{submission_id}"
