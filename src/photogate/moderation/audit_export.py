"""The whole audit trail as CSV, a page at a time, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from typing import Final

from photogate.domain.submission import AuditEntry
from photogate.ports.catalog import ModerationLedger

HEADER: Final = ("seq", "at", "submission_id", "from_status", "to_status", "actor", "reason")
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """`value`, with a leading quote if a spreadsheet would otherwise read it as a formula."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def audit_row(seq: int, entry: AuditEntry) -> tuple[str, ...]:
    """One entry as the cells of its CSV row."""
    return (
        str(seq),
        entry.at.isoformat(),
        entry.submission_id,
        str(entry.from_status or ""),
        str(entry.to_status),
        entry.actor,
        entry.reason or "",
    )


async def audit_csv(ledger: ModerationLedger, *, batch: int = 500) -> AsyncIterator[str]:
    """The trail as CSV text, oldest first: the header, then one chunk per page of entries."""
    yield _lines([HEADER])
    after = 0
    while page := await ledger.audit_page(after=after, limit=batch):
        yield _lines(audit_row(seq, entry) for seq, entry in page)
        after = page[-1][0]


def _lines(rows: Iterable[tuple[str, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue()
