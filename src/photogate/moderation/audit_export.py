"""The whole audit trail as CSV, a page at a time, safe to open in a spreadsheet.

Each row names the submission's SKU and, apart from the free text, the reason's code, so Legal
can filter the export by product and by why a photo was refused or taken down.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from typing import Final

from photogate.domain.moderation import recorded_code
from photogate.domain.submission import AuditEntry
from photogate.ports.catalog import Catalog

HEADER: Final = (
    "seq",
    "at",
    "submission_id",
    "sku",
    "from_status",
    "to_status",
    "actor",
    "reason_code",
    "reason",
)
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """`value`, with a leading quote if a spreadsheet would otherwise read it as a formula."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def audit_row(seq: int, entry: AuditEntry, sku: str) -> tuple[str, ...]:
    """One entry, of a submission of `sku`, as the cells of its CSV row."""
    return (
        str(seq),
        entry.at.isoformat(),
        entry.submission_id,
        sku,
        str(entry.from_status or ""),
        str(entry.to_status),
        entry.actor,
        recorded_code(entry.reason),
        entry.reason or "",
    )


async def audit_csv(catalog: Catalog, *, batch: int = 500) -> AsyncIterator[str]:
    """The trail as CSV text, oldest first: the header, then one chunk per page of entries."""
    yield _lines([HEADER])
    after = 0
    while page := await catalog.audit_page(after=after, limit=batch):
        yield _lines(audit_row(line.number, line.entry, line.sku) for line in page)
        after = page[-1].number


def _lines(rows: Iterable[tuple[str, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue()
