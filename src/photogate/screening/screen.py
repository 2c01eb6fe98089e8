"""The screening step of a scan: what a submission's caption and picture add to the decision."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from photogate.domain.fingerprint import ImageMatch, KnownImage
from photogate.domain.submission import Submission
from photogate.errors import ConfigError
from photogate.image_work import run_image_work
from photogate.intake.fingerprint import perceptual_hash
from photogate.ports.catalog import FingerprintLedger
from photogate.screening.blocklist import DEFAULT_PATH, Blocklist
from photogate.screening.captions import screen_caption
from photogate.screening.findings import CaptionHit, Findings
from photogate.screening.near_copies import near_copies
from photogate.settings.screening import ScreeningSettings


@dataclass(frozen=True)
class Screener:
    """The checks screening runs, as configured; `phash_max_distance` < 0 skips near-copies."""

    blocklist: Blocklist | None = None
    check_personal_data: bool = True
    phash_max_distance: int = 8

    @classmethod
    def from_settings(cls, settings: ScreeningSettings) -> Screener:
        """The screener `settings` describe; an unreadable blocklist stops start-up."""
        return cls(
            blocklist=_blocklist(settings) if settings.check_captions else None,
            check_personal_data=settings.check_captions and settings.check_personal_data,
            phash_max_distance=settings.phash_max_distance,
        )

    def caption_hits(self, caption: str) -> tuple[CaptionHit, ...]:
        """The caption's spans that need a person's eyes."""
        return screen_caption(caption, self.blocklist, check_personal_data=self.check_personal_data)

    @property
    def compares_pictures(self) -> bool:
        """Whether near-copies are looked for at all."""
        return self.phash_max_distance >= 0

    async def images_near(
        self, catalog: FingerprintLedger, phashes: Collection[str]
    ) -> list[KnownImage]:
        """The known images, pending ones included, that one of `phashes` may nearly copy."""
        if not self.compares_pictures:
            return []
        limit = self.phash_max_distance
        return await catalog.images_near(phashes, max_distance=limit, with_pending=True)

    def matches(
        self, submission: Submission, phash: str | None, known: Iterable[KnownImage]
    ) -> tuple[ImageMatch, ...]:
        """Known images the submission's picture (pHash `phash`) nearly copies."""
        if phash is None or not self.compares_pictures:
            return ()
        limit = self.phash_max_distance
        return near_copies(phash, known, max_distance=limit, exclude=submission.id)


async def screen_submission(
    submission: Submission, original: bytes, *, catalog: FingerprintLedger, screener: Screener
) -> Findings:
    """What screening finds in the submission's caption and picture (empty: nothing)."""
    hits = screener.caption_hits(submission.caption)
    if not screener.compares_pictures:
        return Findings(hits)
    phash = await stored_phash(submission, catalog)
    if phash is None:  # received before fingerprints were kept: hash the original now
        phash = await run_image_work(perceptual_hash, original)
    known = await screener.images_near(catalog, [phash])
    return Findings(hits, screener.matches(submission, phash, known))


async def stored_phash(submission: Submission, catalog: FingerprintLedger) -> str | None:
    """The pHash intake recorded; None for a submission received before fingerprints were kept."""
    fingerprint = await catalog.get_fingerprint(submission.id)
    return None if fingerprint is None else fingerprint.phash


def _blocklist(settings: ScreeningSettings) -> Blocklist:
    try:
        return Blocklist(settings.blocklist_path or DEFAULT_PATH)
    except ConfigError as exc:
        raise ConfigError(f"PHOTOGATE_SCREENING__BLOCKLIST_PATH: {exc}") from None
