"""The same-file check runs under the catalog's write lock: on SQLite it must use the index."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine

from photogate.adapters.sql.migrate import upgrade
from photogate.adapters.sql.same_files import copies_query

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("count", [1, 3, 64])
def test_the_copies_of_a_batch_are_looked_up_in_the_index_not_scanned(
    tmp_path: Path, count: int
) -> None:
    """However many files a batch checks, SQLite searches the fingerprints index for each and
    never scans the submissions table (a row-value IN of several keys did).
    """
    upgrade(f"sqlite+aiosqlite:///{tmp_path}/catalog.sqlite3")
    engine = create_engine(f"sqlite:///{tmp_path}/catalog.sqlite3")
    keys = [(f"SKU-{n}", f"{n:064x}") for n in range(count)]
    sql = str(copies_query(keys).compile(engine, compile_kwargs={"literal_binds": True}))
    try:
        with engine.connect() as conn:
            plan = [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
    finally:
        engine.dispose()
    assert not [step for step in plan if step.startswith("SCAN")], plan
    searches = [step for step in plan if "USING INDEX ix_fingerprints_sku_sha256" in step]
    assert len(searches) == count, plan
