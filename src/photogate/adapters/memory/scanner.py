"""InMemoryScanner: a scriptable fake of the scanning API that keeps the contract's promises."""

from __future__ import annotations

import re
from collections import defaultdict, deque
from dataclasses import dataclass, replace

from photogate.domain.scan import KNOWN_CATEGORIES, ScanResult, Verdict
from photogate.errors import ScanInputRejected

Outcome = ScanResult | Exception

MODEL_VERSION = "memory-1.0"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
_MEDIA_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
_MAX_BYTES = 4 * 1024 * 1024


def scan_result(
    verdict: Verdict = Verdict.PASS, *, reasons: tuple[str, ...] = (), **scores: float
) -> ScanResult:
    """A result shaped like the service's: every known category at 0.01, the unknown "novelty"
    at 0.01, then `scores` on top. The request id is filled in when a scan returns it.
    """
    categories = dict.fromkeys(KNOWN_CATEGORIES, 0.01) | {"novelty": 0.01} | scores
    return ScanResult("", verdict, categories, MODEL_VERSION, reasons)


@dataclass(frozen=True)
class ScanCall:
    """One call of scan(), as the fake received it."""

    request_id: str
    content_type: str
    image: bytes


class InMemoryScanner:
    """A Scanner in memory, idempotent by request id like the real service, and scriptable.

    A request id seen before gets its stored result back. A new one takes the next outcome
    scripted for it, else the next scripted for any id, else `default`. A result outcome is
    stored for its id; an exception outcome is raised and not stored, so a retry with the
    same id takes the next outcome. Requests the contract refuses (a malformed id, another
    media type, over 4 MiB) raise ScanInputRejected as the service would; images are not decoded.
    `up` is what health() answers (set it False to play an outage).
    """

    def __init__(self, default: ScanResult | None = None) -> None:
        self.default = default or scan_result()
        self.calls: list[ScanCall] = []
        self.scans = 0
        self._results: dict[str, ScanResult] = {}
        self._scripted: defaultdict[str, deque[Outcome]] = defaultdict(deque)
        self._next: deque[Outcome] = deque()
        self.up = True

    def script(self, request_id: str, *outcomes: Outcome) -> None:
        """Queue outcomes (results to return, exceptions to raise) for scans of `request_id`."""
        self._scripted[request_id].extend(outcomes)

    def script_next(self, *outcomes: Outcome) -> None:
        """Queue outcomes for the next scans of any request id that has no script of its own."""
        self._next.extend(outcomes)

    def result_for(self, request_id: str) -> ScanResult | None:
        """The result stored for `request_id`, if it was scanned."""
        return self._results.get(request_id)

    async def scan(self, request_id: str, image: bytes, content_type: str) -> ScanResult:
        """The stored result for `request_id`, else the next outcome (see the class docstring)."""
        self.calls.append(ScanCall(request_id, content_type, image))
        _check_request(request_id, image, content_type)
        stored = self._results.get(request_id)
        if stored is not None:
            return stored
        self.scans += 1
        outcome = self._next_outcome(request_id)
        if isinstance(outcome, Exception):
            raise outcome
        result = replace(outcome, request_id=request_id)
        self._results[request_id] = result
        return result

    async def health(self) -> bool:
        """`up`: whether this fake plays a scanner that is up."""
        return self.up

    def _next_outcome(self, request_id: str) -> Outcome:
        scripted = self._scripted.get(request_id)
        if scripted:
            return scripted.popleft()
        return self._next.popleft() if self._next else self.default


def _check_request(request_id: str, image: bytes, content_type: str) -> None:
    if not _REQUEST_ID.fullmatch(request_id):
        raise ScanInputRejected(
            400, f"bad_request_id: {request_id!r} is not 1-128 of [A-Za-z0-9._-]"
        )
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in _MEDIA_TYPES:
        raise ScanInputRejected(415, f"unsupported_media_type: {media_type or '(none)'}")
    if len(image) > _MAX_BYTES:
        raise ScanInputRejected(413, f"image_too_large: {len(image)} bytes is over {_MAX_BYTES}")
