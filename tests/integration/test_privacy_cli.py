"""`photogate erase` and `photogate purge` as a shell runs them, on a real data dir."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from photogate.bootstrap import Services, bootstrap
from photogate.domain.catalog import Product
from photogate.domain.submission import Status
from photogate.ports import Container
from photogate.settings import Settings
from tests.support.privacy import mail_copies, send_owed_emails, sent_by
from tests.support.web_stack import prepare

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # a second per command run

SKU = "MUG-1"
ANA = "ana@example.com"


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    """Services on a migrated data dir (files and SQLite), as the commands will see it."""
    settings = Settings(_env_file=None, data_dir=tmp_path / "var")
    await asyncio.to_thread(prepare, settings, [Product(SKU, "Mug", "A mug.", 1299)])
    built = await bootstrap(settings)
    yield built
    await built.aclose()


def run(
    services: Services, *args: str, answer: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m photogate ARGS` on the data dir, with retention set to 0 days and no undo
    window (which retention would wait out too).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOGATE_")}
    env |= {
        "PHOTOGATE_DATA_DIR": str(services.settings.data_dir),
        "PHOTOGATE_PRIVACY__RETENTION_DAYS": "0",
        "PHOTOGATE_CONSOLE__UNDO_S": "0",
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "photogate", *args],
        cwd=services.settings.data_dir.parent,
        env=env,
        input=answer,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_erase_asks_first_then_erases_and_summarises(services: Services) -> None:
    """Without --yes a "no" changes nothing; with it the customer is erased, once."""
    live = await sent_by(services.ports, SKU, ANA, Status.APPROVED)
    declined = run(services, "erase", "--email", ANA, answer="n\n")
    assert declined.returncode == 1
    assert await services.ports.catalog.get_photo(live.id) is not None
    erased = run(services, "erase", "--email", ANA.upper(), "--yes", "--by", "sam")
    assert erased.returncode == 0, erased.stderr
    assert "erased 1 submission(s), unpublished 1 photo(s)" in erased.stdout
    assert await services.ports.catalog.get_photo(live.id) is None
    trail = await services.ports.catalog.audit_trail(live.id)
    assert trail[-1].actor == "operator:sam"
    again = run(services, "erase", "--email", ANA, "--yes")
    assert "nothing was erased" in again.stdout
    bad = run(services, "erase", "--email", "not-an-address", "--yes")
    assert bad.returncode == 2
    assert "not an email address" in bad.stderr


async def test_erase_deletes_the_outboxs_copies_of_the_customers_emails(
    services: Services,
) -> None:
    """The .eml copies of emails sent to the customer go, and the summary counts them."""
    await sent_by(services.ports, SKU, ANA, Status.APPROVED)
    await sent_by(services.ports, SKU, "bob@example.com", Status.APPROVED)
    assert await send_owed_emails(services.ports, services.notify_policy) == 2
    outbox = services.settings.outbox_dir
    assert len(mail_copies(outbox, ANA)) == 1
    erased = run(services, "erase", "--email", ANA, "--yes")
    assert erased.returncode == 0, erased.stderr
    assert "deleted 1 kept copy(ies) of emails sent to it" in erased.stdout
    assert mail_copies(outbox, ANA) == []
    assert len(mail_copies(outbox, "bob@example.com")) == 1


async def test_purge_dry_runs_then_deletes_what_retention_allows(services: Services) -> None:
    """--dry-run lists and keeps; the real run deletes rejected originals, never review ones."""
    rejected = await sent_by(services.ports, SKU, ANA, Status.REJECTED)
    review = await sent_by(services.ports, SKU, ANA, Status.NEEDS_REVIEW)
    dry = run(services, "purge", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"would delete {rejected.original_blob}" in dry.stdout
    assert "would delete 1 original(s)" in dry.stdout
    assert await services.ports.blobs.exists(Container.QUARANTINE, rejected.original_blob)
    done = run(services, "purge")
    assert done.returncode == 0, done.stderr
    assert "deleted 1 original(s)" in done.stdout
    assert not await services.ports.blobs.exists(Container.QUARANTINE, rejected.original_blob)
    assert await services.ports.blobs.exists(Container.QUARANTINE, review.original_blob)
    assert "deleted 0 original(s)" in run(services, "purge").stdout
