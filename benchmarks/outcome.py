"""What the catalog database says after a run: when each submission settled, and duplicates."""

from __future__ import annotations

import sqlite3
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

FINAL = ("approved", "rejected", "needs_review", "failed")


@dataclass(frozen=True)
class Outcome:
    """Per submission: its status, the times (UNIX) it was moved into a final state by the
    pipeline, its thank-you email rows, whether a scan result is stored; and the .eml files
    written beyond the emails marked sent.
    """

    status: dict[str, str]
    decided: dict[str, list[float]]
    emails: dict[str, int]
    scanned: set[str]
    extra_eml_files: int

    @property
    def settled_at(self) -> dict[str, float]:
        """When each settled submission first reached a final state."""
        return {sid: min(times) for sid, times in self.decided.items()}


def read_outcome(data_dir: Path) -> Outcome:
    """Read the run's results from the data dir's catalog and mail outbox."""
    with closing(sqlite3.connect(data_dir / "catalog.sqlite3")) as db:
        status = dict(db.execute("SELECT id, status FROM submissions").fetchall())
        decided = _decisions(db)
        emails = Counter(r[0] for r in db.execute("SELECT submission_id FROM emails"))
        sent = db.execute("SELECT count(*) FROM emails WHERE status = 'sent'").fetchone()[0]
        rows = db.execute("SELECT id FROM submissions WHERE scan IS NOT NULL").fetchall()
    eml_files = len(list((data_dir / "outbox").glob("*.eml")))
    return Outcome(
        status=status,
        decided=decided,
        emails=dict(emails),
        scanned={r[0] for r in rows},
        extra_eml_files=max(0, eml_files - int(sent)),
    )


def _decisions(db: sqlite3.Connection) -> dict[str, list[float]]:
    """Each submission's moves into a final state by the pipeline (people's moves excluded)."""
    marks = ",".join("?" * len(FINAL))
    rows = db.execute(
        "SELECT submission_id, at FROM audit_log"
        f" WHERE to_status IN ({marks}) AND from_status IN ('received', 'queued', 'scanning')",
        FINAL,
    )
    decided: dict[str, list[float]] = {}
    for submission_id, at in rows:
        decided.setdefault(submission_id, []).append(_unix(at))
    return decided


def _unix(stored: str) -> float:
    moment = datetime.fromisoformat(stored)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
