"""The demo catalog's data and its generated marketing photos."""

from __future__ import annotations

import io

from PIL import Image

from photogate.demo.artwork import product_image
from photogate.demo.catalog import DEMO_PRODUCTS
from photogate.demo.shapes import DRAWERS, drawer_for


def test_demo_catalog_has_twelve_distinct_products_each_with_its_own_silhouette() -> None:
    """Twelve products, unique SKUs, and every SKU maps to a drawn product shape."""
    skus = [product.sku for product in DEMO_PRODUCTS]
    assert len(set(skus)) == len(skus) == 12
    assert all(drawer_for(sku) in DRAWERS.values() for sku in skus)


def test_product_image_is_a_jpeg_of_the_requested_size() -> None:
    """product_image returns JPEG bytes at exactly the size asked for, variants differing."""
    product = DEMO_PRODUCTS[0]
    first = product_image(product.sku, product.name, product.hue, 0, size=(480, 360))
    second = product_image(product.sku, product.name, product.hue, 1, size=(480, 360))
    img = Image.open(io.BytesIO(first))
    assert (img.format, img.size) == ("JPEG", (480, 360))
    assert first != second
