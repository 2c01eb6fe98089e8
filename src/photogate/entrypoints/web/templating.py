"""The Jinja2 environment of the storefront pages (autoescaped) and its little helpers."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Final

import jinja2
from starlette.templating import Jinja2Templates

from photogate.entrypoints.web.schemas import PhotoOut

TEMPLATES_DIR: Final = Path(__file__).parent / "templates"
# Rendered widths are 1600, 800 and 320 px; the gallery shows photos about 20rem wide.
GALLERY_SIZES: Final = "(min-width: 48rem) 20rem, 100vw"


@functools.cache
def templates() -> Jinja2Templates:
    """The one template renderer, built on first use."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["price"] = price
    env.globals["srcset"] = srcset
    env.globals["gallery_sizes"] = GALLERY_SIZES
    return Jinja2Templates(env=env)


def price(cents: int) -> str:
    """ "$12.50" from 1250."""
    return f"${cents / 100:,.2f}"


def srcset(photo: PhotoOut, fmt: str) -> str:
    """The srcset attribute of one format's renditions, narrowest first."""
    chosen = sorted((r for r in photo.renditions if r.format == fmt), key=lambda r: r.width)
    return ", ".join(f"{r.url} {r.width}w" for r in chosen)
