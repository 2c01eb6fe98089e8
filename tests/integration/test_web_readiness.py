"""/readyz over HTTP: ready while the catalog and queue answer, 503 naming the one that does not."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from photogate.adapters.sql.catalog import SqlCatalog
from photogate.adapters.sql.engine import create_catalog_engine
from photogate.settings import Settings
from tests.support.processes import free_port
from tests.support.web_stack import BackgroundWebStack, prepare

pytestmark = pytest.mark.integration

PASSWORD = "readiness-s3cret"


def test_readyz_answers_ready_while_the_catalog_and_queue_answer(tmp_path: Path) -> None:
    """On a migrated SQLite data dir, /readyz is 200 ready and not to be cached."""
    settings = Settings(_env_file=None, data_dir=tmp_path / "var")
    prepare(settings, [])
    with BackgroundWebStack(settings) as web:
        response = httpx.get(f"{web.url}/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ready"})
    assert response.headers["cache-control"] == "no-store"


@pytest.fixture
def unreachable_catalog() -> Iterator[SqlCatalog]:
    """A real SqlCatalog on a PostgreSQL URL (with a password) whose port nothing listens on."""
    url = f"postgresql+psycopg://photogate:{PASSWORD}@127.0.0.1:{free_port()}/photogate"
    catalog = SqlCatalog(create_catalog_engine(url))
    yield catalog
    asyncio.run(catalog.aclose())


def test_readyz_is_503_naming_the_catalog_while_healthz_stays_ok(
    tmp_path: Path, unreachable_catalog: SqlCatalog
) -> None:
    """With the database down, /readyz says which dependency failed, without its URL or
    password, every time it is asked; /healthz still answers 200 (the process is alive).
    """
    settings = Settings(_env_file=None, data_dir=tmp_path / "var")
    prepare(settings, [])
    with BackgroundWebStack(settings, catalog=unreachable_catalog) as web:
        answers = [httpx.get(f"{web.url}/readyz") for _ in range(2)]
        alive = httpx.get(f"{web.url}/healthz")
    for response in answers:
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "failed": ["catalog"]}
        assert response.headers["cache-control"] == "no-store"
        assert PASSWORD not in response.text
    assert (alive.status_code, alive.json()) == (200, {"status": "ok"})
