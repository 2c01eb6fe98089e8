"""Fault injection for the reference scanner: 500s, 503s, resets, hangs and slow answers.

Off by default (share 0, no fail sizes): the contract endpoints then behave as documented.
"""

from __future__ import annotations

import io
import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, get_args

from PIL import Image, UnidentifiedImageError

FaultKind = Literal["error_500", "error_503", "reset", "hang", "slow"]
KINDS: tuple[FaultKind, ...] = get_args(FaultKind)
# Answered before any scan; the other kinds scan first, so only the answer is lost or late.
ERRORS: frozenset[FaultKind] = frozenset({"error_500", "error_503"})
Size = tuple[int, int]


@dataclass(frozen=True)
class FaultConfig:
    """Which scan requests go wrong, and how.

    A `share` (0 to 1) of scan requests gets a fault, its kind drawn by `weights` (every kind
    alike by default): error_500 and error_503 answer at once without scanning; reset scans,
    then drops the connection with a TCP RST; hang scans, then answers only after `hang_s`
    (set it past the client's timeout); slow scans, then answers after `slow_s`. Images of
    a size in `fail_sizes` (width, height) always get a 500, whatever the share: a poison
    message for tests. `seed` makes the draws repeatable.
    """

    share: float = 0.0
    weights: Mapping[FaultKind, float] = field(
        default_factory=lambda: MappingProxyType(dict.fromkeys(KINDS, 1.0))
    )
    hang_s: float = 30.0
    slow_s: float = 1.0
    seed: int | None = None
    fail_sizes: frozenset[Size] = frozenset()

    def __post_init__(self) -> None:
        if not 0.0 <= self.share <= 1.0:
            raise ValueError(f"fault share must be from 0 to 1, not {self.share}")
        _check_weights(self.weights)
        for name in ("hang_s", "slow_s"):
            value = getattr(self, name)
            if not 0.0 <= value < math.inf:
                raise ValueError(f"{name} must be a number of seconds, 0 or more, not {value}")

    @property
    def active(self) -> bool:
        """Whether any request can get a fault."""
        return self.share > 0 or bool(self.fail_sizes)


class Faults:
    """The faults of one running scanner: draws a fault per request, counts what it injected."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self.injected: Counter[str] = Counter()
        self._random = random.Random(config.seed)  # noqa: S311 - repeatable draws, not crypto

    def draw(self, image: bytes) -> FaultKind | None:
        """The fault for a scan request of `image`, or None to serve it as the contract says."""
        config = self.config
        if not config.active:
            return None
        fault: FaultKind | None = None
        if config.fail_sizes and image_size(image) in config.fail_sizes:
            fault = "error_500"
        elif self._random.random() < config.share:
            kinds, weights = zip(*config.weights.items(), strict=True)
            fault = self._random.choices(kinds, weights)[0]
        if fault is not None:
            self.injected[fault] += 1
        return fault

    def change(self, config: FaultConfig) -> None:
        """Use `config` for the requests that arrive from now on (a new seed restarts the draws)."""
        if config.seed is not None and config.seed != self.config.seed:
            self._random = random.Random(config.seed)  # noqa: S311 - repeatable draws, not crypto
        self.config = config

    def describe(self) -> dict[str, object]:
        """The current fault settings and counts, as JSON-ready data."""
        config = self.config
        return {
            "share": config.share,
            "weights": dict(config.weights),
            "hang_s": config.hang_s,
            "slow_s": config.slow_s,
            "seed": config.seed,
            "fail_sizes": [f"{w}x{h}" for w, h in sorted(config.fail_sizes)],
            "injected": {kind: self.injected[kind] for kind in KINDS},
        }


def image_size(image: bytes) -> Size | None:
    """The (width, height) in the image's header, None if it is no image (no pixel decoded)."""
    try:
        with Image.open(io.BytesIO(image)) as opened:
            return opened.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def parse_size(text: str) -> Size:
    """ "WIDTHxHEIGHT" as a (width, height) pair; ValueError if it is not one."""
    width, sep, height = text.strip().lower().partition("x")
    if not (sep and width.isdigit() and height.isdigit()):
        raise ValueError(f"a size is WIDTHxHEIGHT in pixels, like 1001x701, not {text!r}")
    return int(width), int(height)


def parse_weights(text: str) -> dict[FaultKind, float]:
    """ "error_500=2,reset=1" as weights; kinds left out weigh 0. ValueError if malformed."""
    weights: dict[FaultKind, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, value = item.partition("=")
        kind = fault_kind(name.strip())
        try:
            weights[kind] = float(value) if value else 1.0
        except ValueError:
            raise ValueError(f"the weight of {kind} must be a number, not {value!r}") from None
    _check_weights(weights)
    return weights


def fault_kind(name: str) -> FaultKind:
    """`name` as a FaultKind; ValueError naming the known kinds otherwise."""
    for kind in KINDS:
        if name == kind:
            return kind
    raise ValueError(f"unknown fault kind {name!r}; known: {', '.join(KINDS)}")


def sizes(texts: Iterable[str]) -> frozenset[Size]:
    """Several "WIDTHxHEIGHT" texts as a set of sizes."""
    return frozenset(parse_size(text) for text in texts)


def _check_weights(weights: Mapping[Any, float]) -> None:
    unknown = sorted(set(weights) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown fault kinds {', '.join(unknown)}; known: {', '.join(KINDS)}")
    if any(not 0 <= w < math.inf for w in weights.values()) or not sum(weights.values()) > 0:
        raise ValueError("fault weights must be 0 or more, and not all 0")
