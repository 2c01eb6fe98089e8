"""What the scanner said about an image, and how photogate turns that into a decision."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Verdict(StrEnum):
    """The scanner's own recommendation."""

    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"


# The categories the scanning API documents; it may add names, which clients must keep.
KNOWN_CATEGORIES: tuple[str, ...] = (
    "sexual",
    "violence",
    "hate",
    "self_harm",
    "drugs",
    "weapons",
    "text_pii",
    "competitor_brand",
    "low_quality",
)

# Ordered from most lenient to strictest: a local rule may only move a verdict rightwards.
_STRICTNESS = {Verdict.PASS: 0, Verdict.INCONCLUSIVE: 1, Verdict.FAIL: 2}


@dataclass(frozen=True)
class ScanResult:
    """The scanner's answer; unknown category names are kept as they came."""

    request_id: str
    verdict: Verdict
    categories: dict[str, float]
    model_version: str
    reasons: tuple[str, ...] = ()
    scanned_at: str | None = None


def scan_summary(result: ScanResult, *, top: int = 3) -> str:
    """What the audit keeps of a scan: "scanner: pass; highest scores adult 0.02, gore 0.01"
    and the scanner's own reasons, if it gave any.
    """
    highest = sorted(result.categories.items(), key=lambda item: (-item[1], item[0]))[:top]
    parts = [f"scanner: {result.verdict.value}"]
    if highest:
        parts.append(
            "highest scores " + ", ".join(f"{name} {score:.2f}" for name, score in highest)
        )
    return "; ".join([*parts, *result.reasons])


@dataclass(frozen=True)
class Thresholds:
    """Per-category limits of our own: at or over `fail` fails, at or over `review` goes to people.

    They can only make a decision stricter than the scanner's verdict, never more lenient.
    """

    fail: Mapping[str, float] = field(default_factory=dict)
    review: Mapping[str, float] = field(default_factory=dict)

    def decide(self, result: ScanResult) -> tuple[Verdict, str | None]:
        """The final verdict and, when our rule tightened it, the reason why."""
        verdict, reason = result.verdict, None
        for name, score in sorted(result.categories.items()):
            local = self._local_verdict(name, score)
            if _STRICTNESS[local] > _STRICTNESS[verdict]:
                verdict, reason = local, f"{name} score {score:.2f} over our {local} limit"
        return verdict, reason

    def _local_verdict(self, name: str, score: float) -> Verdict:
        if name in self.fail and score >= self.fail[name]:
            return Verdict.FAIL
        if name in self.review and score >= self.review[name]:
            return Verdict.INCONCLUSIVE
        return Verdict.PASS
