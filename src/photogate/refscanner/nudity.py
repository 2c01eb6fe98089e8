"""The optional real nudity check: NudeNet (extra photogate[nudity]), imported only when enabled."""

from __future__ import annotations

import importlib
import tempfile
from pathlib import Path
from typing import Any

from PIL import Image

from photogate.errors import ConfigError

# Detections that mean nudity; covered parts, faces, feet, bellies and armpits do not.
EXPOSED = frozenset(
    {
        "FEMALE_BREAST_EXPOSED",
        "FEMALE_GENITALIA_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "BUTTOCKS_EXPOSED",
        "ANUS_EXPOSED",
    }
)


class NudeNetCheck:
    """Scores an image for nudity with NudeNet's detector (its ONNX model ships in the wheel)."""

    def __init__(self) -> None:
        self._detector = _load_detector()

    def __call__(self, pixels: Image.Image) -> float:
        """The highest score of an exposed-body detection, 0.0 when there is none."""
        detections = self._detect(pixels)
        scores = [float(d["score"]) for d in detections if d.get("class") in EXPOSED]
        return max(scores, default=0.0)

    def _detect(self, pixels: Image.Image) -> list[dict[str, Any]]:
        # A file path is the one input every NudeNet 3 release accepts.
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "image.png"
            pixels.save(path)
            return list(self._detector.detect(str(path)))


def _load_detector() -> Any:
    try:
        nudenet = importlib.import_module("nudenet")
    except ImportError:
        raise ConfigError(
            "the reference scanner's nudity check needs NudeNet: "
            "pip install 'photogate[nudity]', or turn the check off"
        ) from None
    return nudenet.NudeDetector()
