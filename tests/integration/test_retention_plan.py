"""The hourly retention purge reads the partial index of kept originals on SQLite, so it
costs the few submissions still holding one, not every one purged before.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from photogate.adapters.sql.migrate import upgrade
from photogate.adapters.sql.privacy import kept_originals_query
from photogate.adapters.sql.tables import KEPT_ORIGINALS_INDEX
from photogate.domain.submission import Status
from photogate.retention.purge import PUBLISHED, SETTLED

pytestmark = pytest.mark.integration

MOMENT = datetime(2025, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("statuses", "settled_before"), [(SETTLED, MOMENT), (PUBLISHED, None)], ids=["settled", "pub"]
)
def test_originals_to_purge_are_searched_in_the_kept_originals_index(
    tmp_path: Path, statuses: frozenset[Status], settled_before: datetime | None
) -> None:
    """Each branch of the purge's query searches the partial index; none scans or searches
    the full (status, ...) indexes, which hold every purged submission too.
    """
    upgrade(f"sqlite+aiosqlite:///{tmp_path}/catalog.sqlite3")
    engine = create_engine(f"sqlite:///{tmp_path}/catalog.sqlite3")
    query = kept_originals_query(statuses, settled_before, 100)
    compiled = query.compile(engine, compile_kwargs={"render_postcompile": True})
    # The plan does not depend on the values bound (no statistics are kept): strings will do.
    params = tuple("x" for _ in compiled.positiontup or ())
    try:
        with engine.connect() as conn:
            explained = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params)
            plan = [row[3] for row in explained]
    finally:
        engine.dispose()
    reads = [step for step in plan if step.startswith(("SCAN", "SEARCH"))]
    assert reads, plan
    assert all(f"USING INDEX {KEPT_ORIGINALS_INDEX} " in step for step in reads), plan
