"""An erasure asked for and not yet carried out: kept until it is, so none is left half-done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ErasureRequest:
    """The erasure of one submission, recorded before any of it is done.

    The customer's address leads an erasure to all their submissions only while some still
    hold it, so an erasure that stops half-way (storage or the database failing) would leave
    the rest beyond the reach of their other withdrawal links. Recorded first, for each, the
    request lets the worker finish the job. It holds no personal data: the audit's actor and
    reasons (the takedown's, for a published photo, and the erasure's).
    """

    submission_id: str
    actor: str
    takedown_reason: str
    erasure_reason: str
    requested_at: datetime
