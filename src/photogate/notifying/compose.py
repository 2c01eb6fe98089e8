"""Builds the emails to customers (plain text and HTML) from templates: thank-you, rejection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from photogate.domain.catalog import CustomerPhoto, EmailRecord, Product
from photogate.domain.moderation import ReasonCode, reason_code
from photogate.domain.submission import Submission

_templates = Environment(
    loader=PackageLoader("photogate.notifying", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class ThankYou:
    """Everything an email to the customer says: a thank-you, or a moderator's rejection."""

    email: EmailRecord
    submission: Submission
    product: Product
    photo: CustomerPhoto | None
    shop_url: str
    sender: str
    # The signed link with which the customer withdraws consent; empty: none in the email.
    withdraw_url: str = ""
    # When the email is written (its Date); None: when the photo was sent.
    written_at: datetime | None = None


REJECTION = "rejection"
# Why a moderator refused a photo, as the customer reads it: kind, short, never blaming.
EXPLANATIONS: dict[ReasonCode, str] = {
    ReasonCode.INAPPROPRIATE: "it shows something we are not able to show in our shop",
    ReasonCode.PERSONAL_DATA: "personal details can be seen in it (such as a face, a name, "
    "an address or a number plate), and we want to keep those private",
    ReasonCode.COMPETITOR_BRAND: "another brand is more prominent in it than our product",
    ReasonCode.LOW_QUALITY: "it is too small, dark or blurry to help other customers",
    ReasonCode.NOT_THIS_PRODUCT: "we could not see this product in it",
    ReasonCode.COPYRIGHT: "it seems to be a picture that belongs to someone else",
    ReasonCode.SPAM: "it looks more like an advertisement than a photo of the product in use",
}
GENERAL: str = "it does not quite fit our photo guidelines"


def compose_thank_you(thanks: ThankYou) -> EmailMessage:
    """The thank-you message, with a Message-ID derived from the email's id (stable on retry)."""
    subject = f"Your photo of {thanks.product.name} is live"
    return _message(thanks, subject, "thank_you", _context(thanks))


def compose_rejection(letter: ThankYou) -> EmailMessage:
    """The message saying, kindly, that a moderator will not show the photo, and why."""
    code = reason_code(letter.submission.status_reason)
    context = {
        **_context(letter),
        "explanation": EXPLANATIONS.get(code, GENERAL) if code else GENERAL,
    }
    return _message(letter, f"About your photo of {letter.product.name}", "rejection", context)


def _message(
    letter: ThankYou, subject: str, template: str, context: dict[str, str]
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = letter.sender
    message["To"] = Address(display_name=letter.submission.display_name, addr_spec=letter.email.to)
    message["Date"] = format_datetime(letter.written_at or letter.submission.created_at)
    message["Message-ID"] = f"<{letter.email.id}@{_domain(letter.sender)}>"
    message.set_content(_templates.get_template(f"{template}.txt").render(context))
    message.add_alternative(
        _templates.get_template(f"{template}.html").render(context), subtype="html"
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
        "withdraw_url": thanks.withdraw_url,
    }


def _absolute(base: str, url: str) -> str:
    return url if url.startswith(("http://", "https://")) else f"{base}{url}"


def _domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "photogate.invalid"
