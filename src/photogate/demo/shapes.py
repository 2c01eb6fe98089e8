"""Flat product silhouettes for the demo's marketing photos, one drawer per kind of product."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PIL import ImageDraw

RGB = tuple[int, int, int]
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Palette:
    """The product's colours: body, shade, highlight and a contrasting accent."""

    main: RGB
    dark: RGB
    light: RGB
    accent: RGB


Drawer = Callable[[ImageDraw.ImageDraw, Box, Palette], None]


def _part(box: Box, left: float, top: float, right: float, bottom: float) -> Box:
    """A sub-box of `box`, the four edges given as fractions of its width and height."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    return (x0 + left * w, y0 + top * h, x0 + right * w, y0 + bottom * h)


def _at(box: Box, fx: float, fy: float) -> tuple[float, float]:
    """The point at fractions `fx`, `fy` of the box's width and height."""
    x0, y0, x1, y1 = box
    return (x0 + fx * (x1 - x0), y0 + fy * (y1 - y0))


def _radius(box: Box, fraction: float) -> float:
    return min(box[2] - box[0], box[3] - box[1]) * fraction


def _tent(draw: ImageDraw.ImageDraw, box: Box, p: Palette) -> None:
    x0, y0, x1, y1 = box
    cx, w = (x0 + x1) / 2, x1 - x0
    draw.polygon([(x0, y1), (cx, y0), (x1, y1)], fill=p.main)
    draw.polygon([(cx, y0), (x1, y1), (cx + 0.18 * w, y1)], fill=p.dark)
    door = [(cx - 0.13 * w, y1), (cx, y0 + 0.4 * (y1 - y0)), (cx + 0.1 * w, y1)]
    draw.polygon(door, fill=p.accent)
    draw.line([(cx, y0), (x0 + 0.08 * w, y1)], fill=p.light, width=max(2, int(w * 0.01)))


def _pack(draw: ImageDraw.ImageDraw, box: Box, p: Palette) -> None:
    body = _part(box, 0.2, 0.05, 0.8, 1.0)
    draw.rounded_rectangle(body, radius=_radius(body, 0.3), fill=p.main)
    flap = _part(box, 0.2, 0.05, 0.8, 0.35)
    draw.rounded_rectangle(flap, radius=_radius(flap, 0.45), fill=p.dark)
    pocket = _part(box, 0.3, 0.6, 0.7, 0.92)
    draw.rounded_rectangle(pocket, radius=_radius(pocket, 0.25), fill=p.accent)
    for left in (0.33, 0.62):
        draw.rectangle(_part(box, left, 0.3, left + 0.05, 0.6), fill=p.light)


def _bottle(draw: ImageDraw.ImageDraw, box: Box, p: Palette) -> None:
    body = _part(box, 0.34, 0.14, 0.66, 1.0)
    draw.rounded_rectangle(body, radius=_radius(body, 0.35), fill=p.main)
    draw.rounded_rectangle(_part(box, 0.4, 0.0, 0.6, 0.16), radius=8, fill=p.dark)
    draw.rectangle(_part(box, 0.34, 0.55, 0.66, 0.68), fill=p.accent)
    draw.rounded_rectangle(_part(box, 0.39, 0.22, 0.43, 0.9), radius=6, fill=p.light)


def _mug(draw: ImageDraw.ImageDraw, box: Box, p: Palette) -> None:
    handle = _part(box, 0.55, 0.38, 0.9, 0.8)
    draw.ellipse(handle, outline=p.dark, width=max(4, int(_radius(handle, 0.18))))
    body = _part(box, 0.12, 0.3, 0.72, 1.0)
    draw.rounded_rectangle(body, radius=_radius(body, 0.12), fill=p.main)
    draw.ellipse(_part(box, 0.12, 0.25, 0.72, 0.36), fill=p.light)
    draw.rectangle(_part(box, 0.12, 0.78, 0.72, 0.84), fill=p.accent)


def _lantern(draw: ImageDraw.ImageDraw, box: Box, p: Palette) -> None:
    handle = _part(box, 0.3, 0.0, 0.7, 0.3)
    draw.arc(handle, 180, 360, fill=p.dark, width=max(4, int(_radius(box, 0.03))))
    draw.polygon(_corners(_part(box, 0.22, 0.14, 0.78, 0.26)), fill=p.dark)
    draw.rounded_rectangle(_part(box, 0.27, 0.26, 0.73, 0.86), radius=12, fill=(255, 226, 150))
    draw.ellipse(_part(box, 0.4, 0.42, 0.6, 0.7), fill=(255, 250, 225))
    draw.rounded_rectangle(_part(box, 0.2, 0.86, 0.8, 1.0), radius=10, fill=p.main)


def _corners(box: Box) -> list[tuple[float, float]]:
    """A trapezoid narrower at the top than `box`."""
    x0, y0, x1, y1 = box
    inset = (x1 - x0) * 0.2
    return [(x0 + inset, y0), (x1 - inset, y0), (x1, y1), (x0, y1)]


def _chair(draw: ImageDraw.ImageDraw, box: Box, p: Palette) -> None:
    width = max(4, int(_radius(box, 0.04)))
    for foot, top in ((0.2, 0.8), (0.8, 0.2)):
        draw.line([_at(box, foot, 1.0), _at(box, top, 0.55)], fill=p.dark, width=width)
    draw.rounded_rectangle(_part(box, 0.15, 0.5, 0.85, 0.62), radius=10, fill=p.main)
    draw.rounded_rectangle(_part(box, 0.2, 0.05, 0.8, 0.5), radius=14, fill=p.main)
    draw.rectangle(_part(box, 0.2, 0.2, 0.8, 0.26), fill=p.accent)


def _sleeping_bag(draw: ImageDraw.ImageDraw, box: Box, p: Palette) -> None:
    roll = _part(box, 0.05, 0.35, 0.95, 1.0)
    draw.rounded_rectangle(roll, radius=_radius(roll, 0.5), fill=p.main)
    draw.ellipse(_part(box, 0.05, 0.35, 0.3, 1.0), fill=p.light)
    draw.ellipse(_part(box, 0.1, 0.47, 0.25, 0.88), fill=p.dark)
    for left in (0.45, 0.75):
        draw.rectangle(_part(box, left, 0.35, left + 0.05, 1.0), fill=p.accent)


def _stove(draw: ImageDraw.ImageDraw, box: Box, p: Palette) -> None:
    draw.rounded_rectangle(_part(box, 0.2, 0.3, 0.8, 0.75), radius=14, fill=p.main)
    draw.ellipse(_part(box, 0.18, 0.22, 0.82, 0.38), fill=p.light)
    draw.rectangle(_part(box, 0.45, 0.12, 0.55, 0.24), fill=p.dark)
    draw.rectangle(_part(box, 0.3, 0.75, 0.7, 0.85), fill=p.dark)
    draw.polygon(_corners(_part(box, 0.15, 0.85, 0.85, 1.0)), fill=p.accent)


def _hammock(draw: ImageDraw.ImageDraw, box: Box, p: Palette) -> None:
    width = max(6, int(_radius(box, 0.05)))
    for left in (0.02, 0.94):
        draw.rectangle(_part(box, left, 0.0, left + 0.04, 1.0), fill=p.dark)
    draw.chord(_part(box, 0.06, -0.2, 0.94, 0.85), 0, 180, fill=p.main)
    draw.arc(_part(box, 0.06, -0.2, 0.94, 0.85), 0, 180, fill=p.accent, width=width)


def _blanket(draw: ImageDraw.ImageDraw, box: Box, p: Palette) -> None:
    layers = ((0.1, 0.7, p.dark), (0.06, 0.45, p.main), (0.02, 0.2, p.accent))
    for inset, top, colour in layers:
        fold = _part(box, inset, top, 1 - inset, top + 0.28)
        draw.rounded_rectangle(fold, radius=_radius(fold, 0.3), fill=colour)
    for step in range(8):
        left = 0.15 + step * 0.1
        draw.line([_at(box, left, 0.96), _at(box, left, 1.04)], fill=p.dark, width=4)


def _planter(draw: ImageDraw.ImageDraw, box: Box, p: Palette) -> None:
    leaf = (70, 150, 85)
    for tip in (0.2, 0.4, 0.6, 0.8):
        outline = [_at(box, 0.5, 0.5), _at(box, tip - 0.07, 0.25), _at(box, tip, 0.0)]
        draw.polygon([*outline, _at(box, tip + 0.07, 0.25)], fill=leaf)
    x0, y0, x1, y1 = _part(box, 0.2, 0.5, 0.8, 1.0)
    inset = (x1 - x0) * 0.12
    draw.polygon([(x0, y0), (x1, y0), (x1 - inset, y1), (x0 + inset, y1)], fill=p.main)
    draw.rectangle(_part(box, 0.17, 0.48, 0.83, 0.58), fill=p.dark)


def _cooler(draw: ImageDraw.ImageDraw, box: Box, p: Palette) -> None:
    draw.rounded_rectangle(_part(box, 0.05, 0.35, 0.95, 1.0), radius=18, fill=p.main)
    draw.rounded_rectangle(_part(box, 0.03, 0.25, 0.97, 0.42), radius=14, fill=p.light)
    draw.rounded_rectangle(_part(box, 0.35, 0.15, 0.65, 0.25), radius=10, fill=p.dark)
    draw.rectangle(_part(box, 0.45, 0.42, 0.55, 0.55), fill=p.accent)


def _crate(draw: ImageDraw.ImageDraw, box: Box, p: Palette) -> None:
    draw.rounded_rectangle(_part(box, 0.1, 0.2, 0.9, 1.0), radius=16, fill=p.main)
    draw.rectangle(_part(box, 0.1, 0.5, 0.9, 0.58), fill=p.accent)


DRAWERS: dict[str, Drawer] = {
    "TENT": _tent,
    "PACK": _pack,
    "BOTL": _bottle,
    "MUG": _mug,
    "LAMP": _lantern,
    "CHAIR": _chair,
    "SLEEP": _sleeping_bag,
    "STOVE": _stove,
    "HAMK": _hammock,
    "BLNK": _blanket,
    "PLNT": _planter,
    "COOL": _cooler,
}


def drawer_for(sku: str) -> Drawer:
    """The silhouette for a SKU like "TT-TENT-2P" (its middle part); a plain crate otherwise."""
    parts = sku.upper().split("-")
    kind = parts[1] if len(parts) > 1 else ""
    return DRAWERS.get(kind, _crate)
