"""Abuse limits on uploads: photos per client address an hour, per email and product a day."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from photogate.errors import RateLimited
from photogate.ports.catalog import RateLedger
from photogate.settings import UploadSettings
from photogate.throttling import Limit, in_words, limit_key, record, retry_after

TOO_MANY = "too_many_uploads"


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
            Limit("upload-email", uploads.per_email_per_product_per_day, timedelta(days=1)),
        )


async def check_client(
    ledger: RateLedger, limits: UploadLimits, client: str, now: datetime
) -> None:
    """Raise RateLimited if this client address has sent its hour's share of photos."""
    wait = await retry_after(ledger, limits.per_client, limit_key(client), now)
    if wait is not None:
        detail = (
            "You have sent a lot of photos in a short time. "
            f"Please wait {in_words(wait)} and try again."
        )
        raise RateLimited(TOO_MANY, detail, retry_after=wait)


async def check_email(
    ledger: RateLedger, limits: UploadLimits, email: str, sku: str, now: datetime
) -> None:
    """Raise RateLimited if this address has sent its day's share of photos of this product."""
    wait = await retry_after(ledger, limits.per_email_product, _email_key(email, sku), now)
    if wait is not None:
        count = limits.per_email_product.max_events
        detail = (
            f"You have already sent {count} photos of this product today. Thank you! "
            f"You can send another in {in_words(wait)}."
        )
        raise RateLimited(TOO_MANY, detail, retry_after=wait)


async def count_upload(
    ledger: RateLedger, limits: UploadLimits, client: str, *, email: str, sku: str, now: datetime
) -> None:
    """Count one accepted upload against both limits (together: a catalog that group commits
    writes them in one transaction).
    """
    await asyncio.gather(
        record(ledger, limits.per_client, limit_key(client), now),
        record(ledger, limits.per_email_product, _email_key(email, sku), now),
    )


def _email_key(email: str, sku: str) -> str:
    return limit_key(email.strip().lower(), sku)
