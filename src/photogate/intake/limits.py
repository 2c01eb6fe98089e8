"""Abuse limits on uploads: photos per client address an hour, per email and product a day."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from photogate.errors import InputError, RateLimited
from photogate.ports.rate_limits import RateLedger
from photogate.settings import UploadSettings
from photogate.throttling import Limit, client_key, give_back, in_words, limit_key, take_slot

TOO_MANY = "too_many_uploads"
EMAIL_BUCKET = "upload-email"


@dataclass(frozen=True)
class UploadLimits:
    """The two upload limits in force."""

    per_client: Limit
    per_email_product: Limit

    @classmethod
    def from_settings(cls, uploads: UploadSettings) -> UploadLimits:
        """The limits `uploads` asks for."""
        return cls(
            Limit("upload-ip", uploads.per_ip_per_hour, timedelta(hours=1)),
            Limit(EMAIL_BUCKET, uploads.per_email_per_product_per_day, timedelta(days=1)),
        )


async def take_client_slot(
    ledger: RateLedger, limits: UploadLimits, client: str, now: datetime
) -> None:
    """Count one photo from this client address, or raise RateLimited if it has sent its hour's
    share. Taken before the photo is read and kept whatever becomes of it: each costs the work.
    """
    wait = await take_slot(ledger, limits.per_client, client_key(client), now)
    if wait is not None:
        detail = (
            "You have sent a lot of photos in a short time. "
            f"Please wait {in_words(wait)} and try again."
        )
        raise RateLimited(TOO_MANY, detail, retry_after=wait)


@asynccontextmanager
async def email_slot(
    ledger: RateLedger, limits: UploadLimits, email: str, sku: str, now: datetime
) -> AsyncIterator[None]:
    """Count one photo of this product from this email for the block's work, or raise
    RateLimited if it has sent its day's share. A photo the block refuses (InputError, a
    duplicate included) gives its slot back: a customer's mistake costs none of their share.
    """
    key = _email_key(email, sku)
    wait = await take_slot(ledger, limits.per_email_product, key, now)
    if wait is not None:
        count = limits.per_email_product.max_events
        detail = (
            f"You have already sent {count} photos of this product today. Thank you! "
            f"You can send another in {in_words(wait)}."
        )
        raise RateLimited(TOO_MANY, detail, retry_after=wait)
    try:
        yield
    except InputError:
        await give_back_email_slot(ledger, limits, email, sku, now)
        raise


async def give_back_email_slot(
    ledger: RateLedger, limits: UploadLimits, email: str, sku: str, at: datetime
) -> None:
    """Return the slot an upload took at `at` once its file is refused or never comes (a
    direct upload learns that after the slot's block has ended).
    """
    await give_back(ledger, limits.per_email_product, _email_key(email, sku), at)


async def forget_customer(ledger: RateLedger, sent: Collection[tuple[str, str]]) -> None:
    """Forget the counts kept of the photos sent as each (email, sku): their keys derive from
    the address (one-way, but anyone can hash a guess), so an erasure takes them too. Give
    every spelling the customer used: the key folds only ASCII case.
    """
    await ledger.forget_rate_keys(EMAIL_BUCKET, {_email_key(email, sku) for email, sku in sent})


def _email_key(email: str, sku: str) -> str:
    return limit_key(email.strip().lower(), sku)
