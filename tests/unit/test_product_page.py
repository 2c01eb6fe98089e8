"""The product page's gallery, in process on the fakes."""

from __future__ import annotations

from pathlib import Path

from photogate.adapters.memory.blobs import InMemoryBlobStore
from photogate.entrypoints.web.pages import GALLERY_PAGE
from tests.support.console import published
from tests.unit.conftest import SKU, Fakes
from tests.unit.test_web_direct_upload import client_for


async def test_a_gallery_page_past_the_last_photo_points_back_to_the_first(
    fakes: Fakes, tmp_path: Path
) -> None:
    """Past the last page there are photos all the same: the page says there are no more
    here and links to the first ones, not that there are none yet.
    """
    store = InMemoryBlobStore()
    fakes.blobs = store
    async with client_for(fakes, tmp_path, store) as client:
        empty = (await client.get(f"/products/{SKU}")).text
        await published(fakes.ports, SKU)
        first = (await client.get(f"/products/{SKU}")).text
        past = (await client.get(f"/products/{SKU}?offset={GALLERY_PAGE}")).text
    assert "No customer photos yet" in empty
    assert "No customer photos yet" not in first and "No more photos here" not in first
    assert "No more photos here" in past and "No customer photos yet" not in past
