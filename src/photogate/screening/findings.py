"""What screening found: caption spans to highlight and images a photo nearly copies."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from photogate.domain.fingerprint import ImageMatch


class HitKind(StrEnum):
    """Why a stretch of a caption needs a person's eyes."""

    BLOCKED = "blocked word"
    EMAIL = "email address"
    PHONE = "phone number"
    ADDRESS = "street address"


@dataclass(frozen=True)
class CaptionHit:
    """One span of the caption, `caption[start:end]`, and why it was flagged."""

    kind: HitKind
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Findings:
    """Everything screening found about one submission; empty means nothing to add."""

    caption_hits: tuple[CaptionHit, ...] = ()
    near_copies: tuple[ImageMatch, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return bool(self.caption_hits or self.near_copies)

    @property
    def reason(self) -> str | None:
        """Why the submission goes to people, for its status and the audit trail.

        Blocked words are quoted; personal data is only named, so the audit trail (which is
        never changed) does not keep a copy of it.
        """
        parts = [*_caption_reasons(self.caption_hits), *map(_copy_reason, self.near_copies)]
        return "; ".join(parts) or None


def _caption_reasons(hits: tuple[CaptionHit, ...]) -> list[str]:
    blocked = sorted({hit.text.casefold() for hit in hits if hit.kind is HitKind.BLOCKED})
    personal = sorted({hit.kind.value for hit in hits if hit.kind is not HitKind.BLOCKED})
    reasons = []
    if blocked:
        reasons.append("caption has blocked words: " + ", ".join(f"'{w}'" for w in blocked))
    if personal:
        reasons.append("caption may show personal data: " + ", ".join(personal))
    return reasons


def _copy_reason(match: ImageMatch) -> str:
    return f"near-copy of {match.image.describe()} ({match.distance} of 64 pHash bits differ)"
