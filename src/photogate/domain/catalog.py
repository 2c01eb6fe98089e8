"""The shop's side: products, the customer photos published on them, and the email outbox."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final


@dataclass(frozen=True)
class Product:
    """A product page: marketing photos are URLs of images the shop owns."""

    sku: str
    name: str
    description: str
    price_cents: int
    marketing_photos: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rendition:
    """One published, re-encoded version of a customer photo."""

    format: str
    width: int
    height: int
    url: str
    size_bytes: int


@dataclass(frozen=True)
class CustomerPhoto:
    """The catalog update: an approved customer photo shown on a product page."""

    submission_id: str
    sku: str
    display_name: str
    caption: str
    width: int
    height: int
    placeholder: str
    approved_at: datetime
    renditions: tuple[Rendition, ...] = field(default_factory=tuple)

    def best(self, fmt: str, max_width: int) -> Rendition | None:
        """The largest rendition of `fmt` no wider than `max_width`."""
        fits = [r for r in self.renditions if r.format == fmt and r.width <= max_width]
        return max(fits, key=lambda r: r.width, default=None)


class EmailStatus(StrEnum):
    """Delivery state of one outbox email."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class EmailRecord:
    """An email we owe someone; exactly one thank-you per approved submission."""

    id: str
    submission_id: str
    kind: str
    to: str
    status: EmailStatus = EmailStatus.PENDING
    attempts: int = 0
    last_error: str | None = None
    sent_at: datetime | None = None
    # No sender may claim it before this: a moderator's rejection waits out the window in
    # which it can be undone (PHOTOGATE_CONSOLE__UNDO_S); None: send at once.
    held_until: datetime | None = None


# The audit trail's name for the relay that moves a submission to queued once its scan request
# is on the queue.
OUTBOX_ACTOR: Final = "outbox"


@dataclass(frozen=True)
class OutboxMessage:
    """A queue message written in the same transaction as the state change that needs it."""

    id: str
    queue: str
    body: str
    submission_id: str | None = None

    def payload(self) -> dict[str, str]:
        """The decoded body."""
        data: dict[str, str] = json.loads(self.body)
        return data
