"""Fingerprints of the shop's own marketing photos, so re-posts of them are caught."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import unquote

from photogate.errors import BlobNotFound
from photogate.image_work import run_image_work
from photogate.intake.fingerprint import perceptual_hash
from photogate.ports import BlobStore, Catalog, Container
from photogate.ports.catalog import FingerprintLedger


async def record_marketing_photos(
    catalog: FingerprintLedger, sku: str, photos: Mapping[str, bytes]
) -> None:
    """Fingerprint a product's marketing photos (URL -> image bytes), replacing earlier ones.

    Whoever adds a product's photos calls this with the bytes at hand (the demo seed does);
    photos nobody fingerprinted are not compared against.
    """
    phashes = {url: await run_image_work(perceptual_hash, data) for url, data in photos.items()}
    await catalog.record_marketing_fingerprints(sku, phashes)


async def fingerprint_stored_marketing(catalog: Catalog, blobs: BlobStore) -> int:
    """Fingerprint marketing photos kept in the public container that have no fingerprint yet.

    For catalogs filled before fingerprints were kept; photos served from elsewhere are left
    alone. Returns how many products were fingerprinted.
    """
    done = {(image.sku, image.url) for image in await catalog.marketing_images()}
    prefix = blobs.public_url("x")[:-1]  # the store's URL of a name, less the name
    count = 0
    for product in await catalog.list_products():
        ours = [url for url in product.marketing_photos if url.startswith(prefix)]
        if all((product.sku, url) in done for url in ours):
            continue
        photos = await _stored(blobs, prefix, ours)
        if photos:
            await record_marketing_photos(catalog, product.sku, photos)
            count += 1
    return count


async def _stored(blobs: BlobStore, prefix: str, urls: Iterable[str]) -> dict[str, bytes]:
    """The bytes of the public blobs at `urls` (all starting with `prefix`) still there."""
    found = {}
    for url in urls:
        try:
            found[url] = await blobs.get(Container.PUBLIC, unquote(url.removeprefix(prefix)))
        except (BlobNotFound, ValueError):  # gone, or not a name we could have written
            continue
    return found
