"""Builds the thank-you email (plain text and HTML) from templates."""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from photogate.domain.catalog import CustomerPhoto, EmailRecord, Product
from photogate.domain.submission import Submission

_templates = Environment(
    loader=PackageLoader("photogate.notifying", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class ThankYou:
    """Everything a thank-you email says."""

    email: EmailRecord
    submission: Submission
    product: Product
    photo: CustomerPhoto | None
    shop_url: str
    sender: str


def compose_thank_you(thanks: ThankYou) -> EmailMessage:
    """The thank-you message, with a Message-ID derived from the email's id (stable on retry)."""
    context = _context(thanks)
    message = EmailMessage()
    message["Subject"] = f"Your photo of {thanks.product.name} is live"
    message["From"] = thanks.sender
    message["To"] = Address(display_name=thanks.submission.display_name, addr_spec=thanks.email.to)
    message["Date"] = format_datetime(thanks.submission.created_at)
    message["Message-ID"] = f"<{thanks.email.id}@{_domain(thanks.sender)}>"
    message.set_content(_templates.get_template("thank_you.txt").render(context))
    message.add_alternative(
        _templates.get_template("thank_you.html").render(context), subtype="html"
    )
    return message


def _context(thanks: ThankYou) -> dict[str, str]:
    product_url = f"{thanks.shop_url}/products/{thanks.product.sku}"
    photo = thanks.photo.best("jpeg", 800) if thanks.photo else None
    return {
        "name": thanks.submission.display_name,
        "product_name": thanks.product.name,
        "product_url": product_url,
        "photo_url": _absolute(thanks.shop_url, photo.url) if photo else "",
        "caption": thanks.submission.caption,
        "shop_url": thanks.shop_url,
        "uploaded_on": thanks.submission.created_at.strftime("%d %B %Y"),
    }


def _absolute(base: str, url: str) -> str:
    return url if url.startswith(("http://", "https://")) else f"{base}{url}"


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "photogate.invalid"
