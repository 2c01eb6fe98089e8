"""`photogate demo seed`: the demo catalog, with marketing photos generated on the spot."""

from __future__ import annotations

import asyncio

from photogate.bootstrap import bootstrap
from photogate.demo.artwork import product_image
from photogate.demo.catalog import DEMO_PRODUCTS, DemoProduct
from photogate.domain.catalog import Product
from photogate.ports import BlobStore, Container
from photogate.screening.marketing import fingerprint_stored_marketing, record_marketing_photos
from photogate.settings import Settings

PHOTOS_PER_PRODUCT = 2


async def seed_demo(settings: Settings, *, only_if_empty: bool = False) -> int:
    """Write the demo products and their photos; returns how many products there are."""
    services = await bootstrap(settings)
    try:
        catalog, blobs = services.ports.catalog, services.ports.blobs
        existing = await catalog.list_products()
        if only_if_empty and existing:
            # A data dir seeded before fingerprints were kept gets its marketing photos' now.
            await fingerprint_stored_marketing(catalog, blobs)
            return len(existing)
        made = [await _product(entry, blobs) for entry in DEMO_PRODUCTS]
        await catalog.upsert_products([product for product, _ in made])
        for product, photos in made:
            await record_marketing_photos(catalog, product.sku, photos)
        return len(made)
    finally:
        await services.aclose()


async def _product(entry: DemoProduct, blobs: BlobStore) -> tuple[Product, dict[str, bytes]]:
    """The product and its marketing photos by URL (they are fingerprinted once it exists)."""
    photos = {}
    for variant in range(PHOTOS_PER_PRODUCT):
        data = await asyncio.to_thread(product_image, entry.sku, entry.name, entry.hue, variant)
        blob = f"catalog/{entry.sku.lower()}/{variant + 1}.jpg"
        await blobs.put(Container.PUBLIC, blob, data, "image/jpeg")
        photos[blobs.public_url(blob)] = data
    product = Product(
        sku=entry.sku,
        name=entry.name,
        description=entry.description,
        price_cents=entry.price_cents,
        marketing_photos=tuple(photos),
    )
    return product, photos
