"""What screening found, shown to staff: caption words highlighted, near-copies side by side."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from photogate.domain.submission import Submission
from photogate.entrypoints.web.console.near_copies import NearCopy, near_copies
from photogate.ports import Catalog
from photogate.screening.findings import CaptionHit
from photogate.screening.screen import Screener, stored_phash

_MARK = Markup('<mark class="flag" data-kind="{kind}" title="{kind}">{text}</mark>')


@dataclass(frozen=True)
class ScreeningView:
    """One submission's caption as markup, and the known images its picture nearly copies."""

    caption: Markup
    matches: tuple[NearCopy, ...] = ()


def highlighted(caption: str, hits: Iterable[CaptionHit]) -> Markup:
    """The caption, escaped, with each flagged span in a <mark>; no caption text is markup."""
    parts: list[Markup] = []
    at = 0
    for hit in sorted(hits, key=lambda h: h.start):
        parts.append(escape(caption[at : hit.start]))
        parts.append(_MARK.format(kind=hit.kind.value, text=caption[hit.start : hit.end]))
        at = hit.end
    parts.append(escape(caption[at:]))
    return Markup("").join(parts)


async def screening_views(
    submissions: Sequence[Submission], catalog: Catalog, screener: Screener | None
) -> dict[str, ScreeningView]:
    """The view of each submission (by id) as screening sees it now.

    Recomputed rather than stored: the highlight follows today's blocklist, and a matched
    photo taken down (or another submission rejected) since is no longer shown. The status
    reason keeps what was found then.
    """
    if screener is None:
        return {s.id: ScreeningView(escape(s.caption)) for s in submissions}
    phashes = {s.id: await stored_phash(s, catalog) for s in submissions}
    known = await screener.images_near(catalog, {p for p in phashes.values() if p is not None})
    products = {p.sku: p for p in await catalog.list_products()} if known else {}
    views = {}
    for submission in submissions:
        phash = phashes[submission.id]
        caption = highlighted(submission.caption, screener.caption_hits(submission.caption))
        matches = near_copies(screener.matches(submission, phash, known), submission.sku, products)
        views[submission.id] = ScreeningView(caption, matches)
    return views


async def screening_view(
    submission: Submission, catalog: Catalog, screener: Screener | None
) -> ScreeningView:
    """The view of one submission, for its own page."""
    return (await screening_views([submission], catalog, screener))[submission.id]
