"""Synthetic marketing photos for the demo shop, drawn with Pillow alone (no files shipped)."""

from __future__ import annotations

import colorsys
import io
from typing import Final

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from photogate.demo.shapes import RGB, Box, Palette, drawer_for

# Drawn at twice the size and scaled down, because ImageDraw does not anti-alias shapes.
_SUPERSAMPLE: Final = 2
_BRAND: Final = "TAILWIND TRADERS"
_WHITE: Final[RGB] = (255, 255, 255)
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def product_image(
    sku: str, title: str, hue: int, variant: int, size: tuple[int, int] = (1200, 900)
) -> bytes:
    """A JPEG "studio shot" of the product: gradient backdrop, lit product shape, title text."""
    w, h = size[0] * _SUPERSAMPLE, size[1] * _SUPERSAMPLE
    canvas = _backdrop((w, h), hue, variant)
    box = _product_box((w, h), variant)
    canvas = _with_shadow(canvas, box)
    drawer_for(sku)(ImageDraw.Draw(canvas), box, _palette(hue, variant))
    canvas = canvas.resize(size, Image.Resampling.LANCZOS)
    _caption(canvas, title, sku)
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=88, optimize=True, progressive=True)
    return out.getvalue()


def _colour(hue: float, lightness: float, saturation: float) -> RGB:
    red, green, blue = colorsys.hls_to_rgb((hue % 360) / 360, lightness, saturation)
    return (round(red * 255), round(green * 255), round(blue * 255))


def _palette(hue: int, variant: int) -> Palette:
    # The product takes the split complement of the backdrop, so it stands out against it.
    body = hue + 150 + 40 * (variant % 3)
    return Palette(
        main=_colour(body, 0.48, 0.55),
        dark=_colour(body, 0.3, 0.5),
        light=_colour(body, 0.72, 0.6),
        accent=_colour(hue + 20, 0.55, 0.75),
    )


def _backdrop(size: tuple[int, int], hue: int, variant: int) -> Image.Image:
    """A wall fading from a pale tint to a deeper tone, a floor, and a soft light spot."""
    w, h = size
    top, bottom = _colour(hue, 0.9, 0.45), _colour(hue + 12 * variant, 0.58, 0.42)
    ramp = Image.linear_gradient("L").resize(size)
    wall = Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), ramp)
    floor_top = int(h * (0.7 + 0.04 * (variant % 2)))
    floor = _colour(hue + 12 * variant, 0.4, 0.3)
    ImageDraw.Draw(wall).rectangle((0, floor_top, w, h), fill=floor)
    return _lit(wall, variant)


def _lit(img: Image.Image, variant: int) -> Image.Image:
    w, h = img.size
    centre = 0.25 if variant % 2 == 0 else 0.75
    spot = (w * (centre - 0.3), -h * 0.3, w * (centre + 0.3), h * 0.6)
    light = Image.new("RGB", img.size, _WHITE)
    return Image.composite(light, img, _soft_mask(img.size, spot, 0.45))


def _soft_mask(size: tuple[int, int], ellipse: Box, strength: float) -> Image.Image:
    """A blurred elliptical mask, built small and scaled up because a big blur is slow."""
    small = (max(1, size[0] // 16), max(1, size[1] // 16))
    mask = Image.new("L", small, 0)
    scaled = tuple(edge / 16 for edge in ellipse)
    ImageDraw.Draw(mask).ellipse(scaled, fill=round(255 * strength))
    mask = mask.filter(ImageFilter.GaussianBlur(max(1.0, (ellipse[3] - ellipse[1]) / 64)))
    return mask.resize(size, Image.Resampling.BICUBIC)


def _product_box(size: tuple[int, int], variant: int) -> Box:
    w, h = size
    side = h * (0.56 if variant % 2 == 0 else 0.5)
    centre_x = w * (0.5, 0.62, 0.4)[variant % 3]
    bottom = h * (0.82 + 0.02 * (variant % 2))
    return (centre_x - side * 0.6, bottom - side, centre_x + side * 0.6, bottom)


def _with_shadow(img: Image.Image, box: Box) -> Image.Image:
    x0, _, x1, y1 = box
    spread = (x1 - x0) * 0.08
    ellipse = (x0 - spread, y1 - spread, x1 + spread, y1 + spread)
    shade = Image.new("RGB", img.size, (15, 15, 25))
    return Image.composite(shade, img, _soft_mask(img.size, ellipse, 0.6))


def _caption(img: Image.Image, title: str, sku: str) -> None:
    w, h = img.size
    draw = ImageDraw.Draw(img)
    margin = round(w * 0.045)
    brand = ImageFont.load_default(size=max(10, h // 40))
    draw.text((margin, margin), _BRAND, font=brand, fill=(40, 40, 50))
    font = _fitting_font(draw, title, w - 2 * margin, h // 12)
    baseline = h - margin - h // 28
    _shadowed_text(draw, (margin, baseline), title, font)
    small = ImageFont.load_default(size=max(10, h // 36))
    draw.text((margin, h - margin), sku, font=small, fill=(235, 235, 240), anchor="ls")


def _fitting_font(draw: ImageDraw.ImageDraw, text: str, max_width: int, size: int) -> Font:
    """The default font at the largest size up to `size` that fits the text in `max_width`."""
    while True:
        font = ImageFont.load_default(size=size)
        if size <= 12 or draw.textlength(text, font=font) <= max_width:
            return font
        size = int(size * 0.9)


def _shadowed_text(
    draw: ImageDraw.ImageDraw,
    at: tuple[int, int],
    text: str,
    font: Font,
) -> None:
    offset = max(1, int(getattr(font, "size", 10)) // 18)
    draw.text((at[0] + offset, at[1] + offset), text, font=font, fill=(0, 0, 0), anchor="ls")
    draw.text(at, text, font=font, fill=_WHITE, anchor="ls")
