"""Scanner: the in-house image scanning API, as the pipeline sees it."""

from __future__ import annotations

from typing import Protocol

from photogate.domain.scan import ScanResult


class Scanner(Protocol):
    """Scans one image.

    Raises ScannerBusy or ScannerUnavailable (transient, with `retry_after` when the service
    gave one) and ScanInputRejected (permanent: the image itself was refused).
    """

    async def scan(self, request_id: str, image: bytes, content_type: str) -> ScanResult:
        """The scanner's result for `image`; the same `request_id` is never scanned twice."""
        ...

    async def health(self) -> bool:
        """Whether the scanner says it is up (GET /v1/health); False, never an error, when it
        cannot be reached. Tells an outage from a photo the scanner fails on.
        """
        ...
