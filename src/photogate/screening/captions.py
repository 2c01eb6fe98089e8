"""Caption screening: blocked words and personal data, as spans a moderator sees highlighted."""

from __future__ import annotations

from photogate.screening.blocklist import Blocklist
from photogate.screening.findings import CaptionHit, HitKind
from photogate.screening.personal_data import personal_data


def screen_caption(
    caption: str, blocklist: Blocklist | None, *, check_personal_data: bool = True
) -> tuple[CaptionHit, ...]:
    """The caption's flagged spans, in reading order, overlaps merged into the first."""
    hits = [] if blocklist is None else list(_blocked(caption, blocklist))
    if check_personal_data:
        hits += personal_data(caption)
    return _without_overlaps(hits)


def _blocked(caption: str, blocklist: Blocklist) -> list[CaptionHit]:
    found = blocklist.find(caption)
    return [CaptionHit(HitKind.BLOCKED, m.start(), m.end(), m.group()) for m in found]


def _without_overlaps(hits: list[CaptionHit]) -> tuple[CaptionHit, ...]:
    # One span per stretch of text: the highlighter then never has to nest or split marks.
    kept: list[CaptionHit] = []
    for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
        if not kept or hit.start >= kept[-1].end:
            kept.append(hit)
    return tuple(kept)
