"""The reference scanner's deterministic rules, applied to decoded pixels.

The pipeline re-encodes images and strips their metadata before scanning, so every rule
looks at pixels only (colour means over the image, its size, a hash of its pixels):

1. shorter side under 200 px: inconclusive, low_quality 0.85, "image is too small to judge";
2. mostly pure red (mean R > 200, G < 60, B < 60): fail, violence 0.97, "test marker: red image";
3. mostly pure magenta (mean R > 200, G < 60, B > 200): inconclusive, sexual 0.55,
   "test marker: magenta image, needs a person";
4. otherwise pass.

Every answer scores all nine known categories (under 0.1 each, derived from a hash of the
pixels, so the same image always gets the same scores) plus the extra category "novelty" at
0.01, so that clients meet a category name they do not know. With the optional NudeNet check
on, an image that would pass gets sexual = the highest score of an exposed-body detection:
0.6 or more fails it, 0.3 or more makes it inconclusive.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageStat

from photogate.domain.scan import KNOWN_CATEGORIES
from photogate.refscanner.decoding import Decoded

Verdict = Literal["pass", "fail", "inconclusive"]
NudityScore = Callable[[Image.Image], float]

CATEGORIES = KNOWN_CATEGORIES
NOVELTY = "novelty"
MIN_SIDE = 200
NUDITY_FAIL = 0.6
NUDITY_REVIEW = 0.3

RULES = """\
Reference scanner rules (on decoded pixels; the first that matches decides):
  shorter side < 200 px          -> inconclusive, low_quality 0.85,
                                    "image is too small to judge"
  mean R > 200, G < 60, B < 60   -> fail, violence 0.97,
                                    "test marker: red image"
  mean R > 200, G < 60, B > 200  -> inconclusive, sexual 0.55,
                                    "test marker: magenta image, needs a person"
  anything else                  -> pass
Every answer scores all nine known categories (< 0.1 unless a rule raised one; derived from a
hash of the pixels) plus the unknown category "novelty" at 0.01.
Optional NudeNet check (--nudity): for an image that would pass, sexual = highest exposed-body
detection score; >= 0.6 -> fail, >= 0.3 -> inconclusive.
"""


@dataclass(frozen=True)
class Judgement:
    """What the rules decided about one image."""

    verdict: Verdict
    categories: dict[str, float]
    reasons: tuple[str, ...] = ()


def judge(image: Decoded, nudity: NudityScore | None = None) -> Judgement:
    """Apply the rules to `image`; `nudity` is the optional NudeNet check."""
    scores = baseline_scores(image.pixels)
    if min(image.width, image.height) < MIN_SIDE:
        return _flag(scores, "inconclusive", "low_quality", 0.85, "image is too small to judge")
    red, green, blue = ImageStat.Stat(image.pixels).mean[:3]
    if red > 200 and green < 60 and blue < 60:
        return _flag(scores, "fail", "violence", 0.97, "test marker: red image")
    if red > 200 and green < 60 and blue > 200:
        reason = "test marker: magenta image, needs a person"
        return _flag(scores, "inconclusive", "sexual", 0.55, reason)
    if nudity is not None:
        return _nudity_rule(scores, nudity(image.pixels))
    return Judgement("pass", scores)


def baseline_scores(pixels: Image.Image) -> dict[str, float]:
    """Low scores (< 0.1) for every known category, the same for the same pixels, plus novelty."""
    digest = hashlib.blake2b(pixels.tobytes(), digest_size=len(CATEGORIES)).digest()
    pairs = zip(CATEGORIES, digest, strict=True)
    scores = {name: round(byte / 255 * 0.09, 4) for name, byte in pairs}
    scores[NOVELTY] = 0.01
    return scores


def _nudity_rule(scores: dict[str, float], score: float) -> Judgement:
    scores = {**scores, "sexual": max(scores["sexual"], round(score, 4))}
    if score >= NUDITY_FAIL:
        return Judgement("fail", scores, (f"nudity detected (score {score:.2f})",))
    if score >= NUDITY_REVIEW:
        return Judgement("inconclusive", scores, (f"possible nudity (score {score:.2f})",))
    return Judgement("pass", scores)


def _flag(
    scores: dict[str, float], verdict: Verdict, category: str, score: float, reason: str
) -> Judgement:
    return Judgement(verdict, {**scores, category: score}, (reason,))
