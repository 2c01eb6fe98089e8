"""Peak memory of the image work on one big, small-file PNG: intake's check, the scanner's copy
and the public renditions of an 8000x8000 solid-colour PNG (64 MP in a few hundred KB), in RGB,
RGBA and 16-bit greyscale with a transparent value.

    python -m benchmarks.image_memory [--quick] [--json PATH]

Each stage runs in a fresh child (`--stage STAGE --image PATH`) that reports its peak RSS
(getrusage ru_maxrss) before and after the one call; the growth is what the stage costs. The
PNGs are made in another child first, as Linux carries ru_maxrss across fork and exec.
Target: no stage grows by more than 3 x the decoded picture (width x height x 4 bytes).
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from rich.console import Console

from benchmarks._harness import child_env, run_and_report, verdict

TARGET = 3.0
MODES: dict[str, int | tuple[int, ...]] = {
    "RGB": (200, 120, 40),
    "RGBA": (200, 120, 40, 255),
    # 16-bit greyscale with a transparent value (tRNS): the mask is made from the 16-bit values.
    "I;16": 40000,
}
GREY16_TRANSPARENT = 12345
STAGES = ("intake", "scanner copy", "renditions")


def run(side: int, console: Console | None = None) -> dict[str, Any]:
    """Measure every stage on a side x side PNG of each mode; return the figures."""
    decoded_kib = side * side * 4 // 1024
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="photogate-image-memory-") as folder:
        for mode in MODES:
            image = Path(folder) / f"{mode.replace(';', '-')}.png"
            _child(["--make", mode, "--side", str(side), "--image", str(image)])
            for stage in STAGES:
                rows.append({"mode": mode, "stage": stage, **_measure(stage, image)})
                if console is not None:
                    console.print(f"measured {stage} on the {mode} PNG")
    worst = max(row["growth_kib"] for row in rows) / decoded_kib
    return {
        "side": side,
        "decoded_kib": decoded_kib,
        "stages": rows,
        "worst_ratio": worst,
        "target": TARGET,
        "passed": worst <= TARGET,
    }


def _measure(stage: str, image: Path) -> dict[str, int]:
    out = _child(["--stage", stage, "--image", str(image)])
    figures: dict[str, int] = json.loads(out)
    return figures


def _child(args: list[str]) -> str:
    argv = [sys.executable, "-m", "benchmarks.image_memory", *args]
    done = subprocess.run(argv, env=child_env({}), capture_output=True, check=True, text=True)
    return done.stdout


def measure_stage(stage: str, image: Path) -> dict[str, int]:
    """In a child: the peak RSS (KiB) before and after one stage on `image`, and the growth."""
    data = image.read_bytes()
    call = _stage_call(stage, data)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    call()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "file_kib": len(data) // 1024,
        "before_kib": before,
        "after_kib": after,
        "growth_kib": after - before,
    }


def _stage_call(stage: str, data: bytes) -> Callable[[], object]:
    # Imported before the "before" figure, so the growth is the work, not the modules.
    from photogate.intake.image_check import inspect_bytes
    from photogate.publishing.renditions import make_renditions
    from photogate.scanning.rendition import scanner_rendition
    from photogate.settings import UploadSettings

    calls: dict[str, Callable[[], object]] = {
        "intake": partial(inspect_bytes, data, UploadSettings()),
        "scanner copy": partial(scanner_rendition, data),
        "renditions": partial(make_renditions, data),
    }
    return calls[stage]


def make_png(mode: str, side: int, image: Path) -> None:
    """In a child: write a side x side solid-colour PNG in `mode`."""
    from PIL import Image

    out = io.BytesIO()
    extra = {"transparency": GREY16_TRANSPARENT} if mode == "I;16" else {}
    Image.new(mode, (side, side), MODES[mode]).save(out, "PNG", **extra)
    image.write_bytes(out.getvalue())


def print_figures(result: dict[str, Any], console: Console) -> None:
    """Each stage's peak RSS growth, and the worst against the decoded picture."""
    side, decoded = result["side"], result["decoded_kib"] / 1024
    console.print(f"{side}x{side} solid-colour PNG; decoded picture {decoded:.0f} MiB")
    for row in result["stages"]:
        console.print(
            f"{row['stage']:>13} {row['mode']:<5} ({row['file_kib']} KiB file): peak "
            f"{row['after_kib'] / 1024:.0f} MiB, +{row['growth_kib'] / 1024:.0f} MiB over "
            f"{row['before_kib'] / 1024:.0f} MiB"
        )
    console.print(
        f"worst growth / decoded picture = {result['worst_ratio']:.2f} (target <= {TARGET}): "
        f"{verdict(result['passed'])}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, or (with --stage or --make) one child's part of it."""
    args = _parser().parse_args(argv)
    if args.make:
        make_png(args.make, args.side, args.image)
        return 0
    if args.stage:
        print(json.dumps(measure_stage(args.stage, args.image)))
        return 0
    side = 4000 if args.quick else args.side
    return run_and_report(partial(run, side), print_figures, args.json)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.image_memory")
    parser.add_argument("--quick", action="store_true", help="a 4000x4000 PNG (16 MP)")
    parser.add_argument("--side", type=int, default=8000, help="the PNG's side (8000: 64 MP)")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--make", choices=tuple(MODES), help=argparse.SUPPRESS)
    parser.add_argument("--image", type=Path, help=argparse.SUPPRESS)
    return parser


if __name__ == "__main__":
    sys.exit(main())
