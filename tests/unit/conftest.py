"""Unit-test fixtures: the pipeline wired to the in-memory fakes of every port."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from photogate.adapters.memory.blobs import InMemoryBlobStore
from photogate.adapters.memory.catalog import InMemoryCatalog
from photogate.adapters.memory.mailer import InMemoryMailer
from photogate.adapters.memory.queue import InMemoryMessageQueue
from photogate.adapters.memory.scanner import InMemoryScanner
from photogate.domain.catalog import Product
from photogate.domain.scan import Thresholds
from photogate.intake.form import UploadForm
from photogate.notifying.thank_customer import NotifyPolicy
from photogate.ports import Ports
from photogate.scanning.scan_submission import ScanPolicy
from photogate.settings import UploadSettings
from photogate.testing import samples

SKU = "TT-TENT-2P"
# Seeds of photos no other upload in the run has: the same file twice would be a duplicate.
_SEEDS = itertools.count(1000)


@dataclass
class Fakes:
    """The in-memory adapters, typed as themselves so tests can inspect them."""

    blobs: InMemoryBlobStore
    queue: InMemoryMessageQueue
    catalog: InMemoryCatalog
    scanner: InMemoryScanner
    mailer: InMemoryMailer

    @property
    def ports(self) -> Ports:
        return Ports(self.blobs, self.queue, self.catalog, self.scanner, self.mailer)


@pytest.fixture
async def fakes() -> Fakes:
    catalog = InMemoryCatalog()
    await catalog.upsert_products([Product(SKU, "Trail Tent 2P", "A tent.", 19900)])
    return Fakes(
        InMemoryBlobStore(), InMemoryMessageQueue(), catalog, InMemoryScanner(), InMemoryMailer()
    )


@pytest.fixture
def limits() -> UploadSettings:
    return UploadSettings()


@pytest.fixture
def scan_policy() -> ScanPolicy:
    return ScanPolicy(Thresholds())


@pytest.fixture
def notify_policy() -> NotifyPolicy:
    return NotifyPolicy(sender="Shop <photos@shop.example>", shop_url="http://shop.example")


def form(**changes: object) -> UploadForm:
    """A valid upload form, with `changes` applied."""
    fields: dict[str, object] = {
        "sku": SKU,
        "email": "kim@example.com",
        "display_name": "Kim",
        "caption": "Kept us dry all weekend",
        "consent": True,
    }
    fields.update(changes)
    return UploadForm(**fields)  # type: ignore[arg-type]


def photo_file(tmp_path: Path, data: bytes | None = None) -> tuple[Path, int]:
    """A photo written to a temp file as the web layer would leave it."""
    path = tmp_path / "upload.bin"
    path.write_bytes(samples.clean_jpeg() if data is None else data)
    return path, path.stat().st_size


def another_photo_file(tmp_path: Path) -> tuple[Path, int]:
    """A photo file unlike any other this run made, for tests that upload several photos."""
    return photo_file(tmp_path, samples.clean_jpeg(480, 360, seed=next(_SEEDS)))


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run each test in an empty directory with no PHOTOGATE_ variables."""
    for name in list(os.environ):
        if name.startswith("PHOTOGATE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
