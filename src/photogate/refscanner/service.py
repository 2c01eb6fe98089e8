"""The reference scanner's behaviour without HTTP: key check, capacity, idempotency, rules."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime

from photogate.refscanner.capacity import Capacity
from photogate.refscanner.config import RefScannerConfig
from photogate.refscanner.decoding import decode
from photogate.refscanner.faults import Faults
from photogate.refscanner.nudity import NudeNetCheck
from photogate.refscanner.refusal import Refusal
from photogate.refscanner.results import ResultStore, ScanBody
from photogate.refscanner.rules import Judgement, NudityScore, judge


class RefScanner:
    """One running reference scanner: its capacity, stored results, rules and injected faults."""

    def __init__(self, config: RefScannerConfig) -> None:
        self.config = config
        self.capacity = Capacity(
            config.slots,
            config.latency_s,
            retry_after_s=config.retry_after_s,
            unavailable=config.unavailable,
        )
        self.results = ResultStore()
        self.faults = Faults(config.faults)
        # Loaded at start-up so a missing NudeNet fails the start, not the first scan.
        self._nudity: NudityScore | None = NudeNetCheck() if config.nudity else None

    def check_key(self, presented: str | None) -> None:
        """Refusal 401 unless the configured API key (if any) was presented."""
        expected = self.config.api_key
        if expected and not secrets.compare_digest((presented or "").encode(), expected.encode()):
            detail = "missing or wrong Ocp-Apim-Subscription-Key"
            raise Refusal(401, "unauthorized", detail)

    async def scan(self, request_id: str, image: bytes) -> ScanBody:
        """The result for `request_id`: the stored one, or a new scan of `image` in a free slot."""
        stored = await self.results.claim(request_id)
        if stored is not None:
            self.capacity.stats.replays += 1
            return stored
        body: ScanBody | None = None
        try:
            body = await self._scan_new(request_id, image)
        finally:
            self.results.finish(request_id, body)
        return body

    async def _scan_new(self, request_id: str, image: bytes) -> ScanBody:
        async with self.capacity.slot():
            # Decoding and the rules are CPU work: off the event loop, which keeps answering.
            judgement = await asyncio.to_thread(self._judge, image)
        self.capacity.stats.scans += 1
        return self._body(request_id, judgement)

    def _judge(self, image: bytes) -> Judgement:
        return judge(decode(image), self._nudity)

    def _body(self, request_id: str, judgement: Judgement) -> ScanBody:
        categories = [
            {"name": name, "score": score} for name, score in judgement.categories.items()
        ]
        return {
            "request_id": request_id,
            "verdict": judgement.verdict,
            "categories": categories,
            "reasons": list(judgement.reasons),
            "model_version": self.config.model_version,
            "scanned_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        }
