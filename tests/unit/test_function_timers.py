"""The Functions reconcile timer: each chore runs whatever became of the ones before it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from photogate.adapters.memory.catalog import InMemoryCatalog
from photogate.domain.catalog import Product
from photogate.domain.submission import Status, Submission
from photogate.entrypoints.functions.timers import sweep_and_reconcile
from photogate.errors import StorageUnavailable
from photogate.privacy.erase import erase_customer
from tests.support.privacy import sent_by
from tests.unit.conftest import SKU, Fakes
from tests.unit.test_direct_upload import services_for
from tests.unit.test_erasure import BlobsFailingOnce


class ReconcilerDown(InMemoryCatalog):
    """A catalog whose reconciler query fails, as a database timing out on it would."""

    async def stale_submissions(self, older_than: datetime, limit: int) -> list[Submission]:
        raise StorageUnavailable("the reconciler's query timed out")


async def test_a_failing_reconciler_does_not_keep_erasures_from_being_finished(
    fakes: Fakes, tmp_path: Path
) -> None:
    """The reconciler fails: the half-done erasure after it is still finished, and the
    invocation then fails with the reconciler's error, for the host to show.
    """
    fakes.catalog = ReconcilerDown()
    await fakes.catalog.upsert_products([Product(SKU, "Trail Tent 2P", "A tent.", 19900)])
    fakes.blobs = blobs = BlobsFailingOnce()
    stuck = await sent_by(fakes.ports, SKU, "ana@example.com", Status.REJECTED)
    blobs.failing.add(stuck.original_blob)
    with pytest.raises(StorageUnavailable):
        await erase_customer("ana@example.com", actor="operator:test", ports=fakes.ports)
    services = services_for(fakes, tmp_path, fakes.blobs)
    with pytest.raises(StorageUnavailable, match="reconciler"):
        await sweep_and_reconcile(services)
    erased = await fakes.catalog.get_submission(stuck.id)
    assert erased is not None and erased.status is Status.ERASED
